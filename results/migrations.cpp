// The migration scripts and the code that applies them (see migrations.hpp).
#include "results/migrations.hpp"

#include <array>
#include <set>
#include <utility>
#include <vector>

#include "harness/errors.hpp"
#include "results/run_uid.hpp"
#include "results/sqlite_util.hpp"
#include "results/task_views.hpp"

namespace archbench::results {
namespace {

// v1: the initial schema. Times are UTC ISO-8601 text (sortable, readable in `query`).
// Outcomes are checked in code, not with CHECK, because SQLite cannot alter a CHECK
// without rebuilding the table and new outcomes may appear.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  started_at     TEXT NOT NULL,
  finished_at    TEXT,
  status         TEXT NOT NULL,
  host           TEXT NOT NULL DEFAULT '',
  cpu_model      TEXT NOT NULL DEFAULT '',
  cpu_flags      TEXT NOT NULL DEFAULT '',
  threads        INTEGER NOT NULL DEFAULT 0,
  onednn_version TEXT NOT NULL DEFAULT '',
  onednn_isa     TEXT NOT NULL DEFAULT '',
  git_sha        TEXT NOT NULL DEFAULT '',
  build_type     TEXT NOT NULL DEFAULT '',
  command_line   TEXT NOT NULL DEFAULT '',
  plugins_json   TEXT NOT NULL DEFAULT '[]',
  suites         TEXT NOT NULL DEFAULT ''
);

CREATE TABLE problems (
  id          INTEGER PRIMARY KEY,
  canonical   TEXT NOT NULL UNIQUE,
  variant     TEXT NOT NULL,
  kind        TEXT NOT NULL,
  dtype       TEXT NOT NULL DEFAULT '',
  params_json TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE results (
  id                        INTEGER PRIMARY KEY,
  run_id                    INTEGER NOT NULL REFERENCES runs(id),
  problem_id                INTEGER NOT NULL REFERENCES problems(id),
  backend                   TEXT NOT NULL,
  suite                     TEXT NOT NULL DEFAULT '',
  outcome                   TEXT NOT NULL,
  reason                    TEXT NOT NULL DEFAULT '',
  median_s                  REAL,
  mean_s                    REAL,
  stddev_s                  REAL,
  cv                        REAL,
  min_s                     REAL,
  iterations                INTEGER NOT NULL DEFAULT 0,
  repetitions               INTEGER NOT NULL DEFAULT 0,
  gflops                    REAL,
  gbps                      REAL,
  tokens_per_s              REAL,
  frac_peak_compute         REAL,
  frac_peak_bandwidth       REAL,
  nmse                      REAL,
  max_abs                   REAL,
  max_rel                   REAL,
  flops                     REAL NOT NULL DEFAULT 0,
  bytes                     REAL NOT NULL DEFAULT 0,
  tokens                    REAL NOT NULL DEFAULT 0,
  kv_cache_bytes_per_token  REAL NOT NULL DEFAULT 0,
  peak_memory_bytes         INTEGER NOT NULL DEFAULT 0,
  created_at                TEXT NOT NULL
);
CREATE INDEX results_by_run ON results(run_id);
-- the leaderboard's "latest result per (problem, backend)"
CREATE INDEX results_by_problem ON results(problem_id, backend, run_id);

CREATE TABLE samples (
  result_id  INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
  repetition INTEGER NOT NULL,
  seconds    REAL NOT NULL,
  PRIMARY KEY (result_id, repetition)
) WITHOUT ROWID;

CREATE TABLE calibrations (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER REFERENCES runs(id),
  created_at TEXT NOT NULL,
  host       TEXT NOT NULL,
  backend    TEXT NOT NULL,
  metric     TEXT NOT NULL,
  unit       TEXT NOT NULL DEFAULT '',
  value      REAL NOT NULL,
  details    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX calibrations_lookup ON calibrations(host, backend, metric, id);
)sql";

// v2: a problem's canonical tokens split into the workload designs are compared
// at and the design itself (see AB_PARAM_FLAG_DESIGN); '' for rows from v1.
constexpr std::string_view kV2 = R"sql(
ALTER TABLE problems ADD COLUMN workload TEXT NOT NULL DEFAULT '';
ALTER TABLE problems ADD COLUMN design TEXT NOT NULL DEFAULT '';
CREATE INDEX problems_by_workload ON problems(kind, workload);
)sql";

// v3: the Vulkan device a run measured on ("" when the run had no Vulkan
// backend), so GPU results stay tied to their device like CPU results to cpu_model.
constexpr std::string_view kV3 = R"sql(
ALTER TABLE runs ADD COLUMN vulkan_device TEXT NOT NULL DEFAULT '';
)sql";

// v4: the accuracy tasks (issue 5). A task row is one result (the variant's
// problem at one context length, run through a task) whose `task` names the
// task string. As released, v4 also made one `<kind>_cells` table and one view
// per task of that time; v5 moves any such tables into task_cells (see
// move_cell_tables below) and the store makes a kind's view when it needs it,
// so a database created now goes without them: the tables v4 made are found in
// the file, never named here. (Editing a released migration is safe only
// because v5 accepts both shapes: a database is never left at v4 by this build.)
constexpr std::string_view kV4 = R"sql(
ALTER TABLE results ADD COLUMN task TEXT NOT NULL DEFAULT '';
)sql";

// v5: results/ stops knowing tasks and parsing canonical strings (issue 12).
// - task_cells: every task's cells in one table, the kind and its axis named in
//   each row; task_kinds lists the kinds and their axes, and each kind has a
//   view of its own name with the columns v4's per-task views had.
// - results: what the harness's task registry says of a task row (kind, label,
//   headline rank, and its group key: the workload with the context as '*').
// - problems.shape and problem_params: a problem's parameters as the harness
//   knows them from the schema (key, type, value, printed token, design flag).
// The step below moves v4's cells over; rows older than v5 get their structure
// and task facts from the harness when it next opens the file for writing (see
// backfill.hpp): only it can read a canonical or task string.
constexpr std::string_view kV5 = R"sql(
ALTER TABLE problems ADD COLUMN shape TEXT NOT NULL DEFAULT '';
CREATE TABLE problem_params (
  problem_id INTEGER NOT NULL REFERENCES problems(id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,       -- schema order, then dtype and seed
  name       TEXT NOT NULL,          -- "seq", ..., "dtype", "seed"
  key        TEXT NOT NULL,          -- canonical key ("s"); '' where the value is printed bare
  type       TEXT NOT NULL,          -- int | real | enum
  value      REAL,                   -- int and real parameters
  text       TEXT,                   -- enums (and the dtype): the choice
  token      TEXT NOT NULL,          -- as printed in the canonical string; '' when not printed
  design     INTEGER NOT NULL,       -- 1: a design parameter (part of problems.design)
  PRIMARY KEY (problem_id, position)
) WITHOUT ROWID;
CREATE INDEX problem_params_by_name ON problem_params(name, problem_id);
ALTER TABLE results ADD COLUMN task_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE results ADD COLUMN task_label TEXT NOT NULL DEFAULT '';
ALTER TABLE results ADD COLUMN task_headline INTEGER NOT NULL DEFAULT 0;
ALTER TABLE results ADD COLUMN task_workload TEXT NOT NULL DEFAULT '';
CREATE TABLE task_kinds (
  kind TEXT PRIMARY KEY,             -- also the name of its view
  axis TEXT NOT NULL                 -- its cells' coordinate, a column of that view
) WITHOUT ROWID;
CREATE TABLE task_cells (
  result_id  INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
  kind       TEXT NOT NULL REFERENCES task_kinds(kind),
  context    INTEGER NOT NULL,
  axis       TEXT NOT NULL,
  coordinate REAL NOT NULL,          -- the cell's point on its kind's axis
  trials     INTEGER NOT NULL,
  successes  INTEGER NOT NULL,
  accuracy   REAL NOT NULL,
  chance     REAL NOT NULL,
  canonical  TEXT NOT NULL,          -- the cell: `archbench run --problem` replays its row
  PRIMARY KEY (result_id, coordinate)
) WITHOUT ROWID;
CREATE INDEX task_cells_by_kind ON task_cells(kind, result_id);
CREATE INDEX results_by_task_kind ON results(task_kind) WHERE task_kind <> '';
)sql";

// The columns every v4 cell table has; the one column left is its axis.
const std::set<std::string> kCellColumns = {"result_id", "context", "trials", "successes",
                                            "accuracy", "chance", "canonical"};

// v5's step: every `<kind>_cells` table moves into task_cells with its prefix as
// the kind and its remaining column as the axis; its view is dropped with it and
// made again over task_cells. Tables found by name and shape, so this code
// names no task; a `*_cells` table of another shape is left alone.
void move_cell_tables(sqlite3* db) {
  std::vector<std::string> tables;
  {
    sql::Stmt list(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_cells' ESCAPE '\\'"
                       " AND name <> 'task_cells' ORDER BY name");
    while (list.step()) tables.push_back(std::get<std::string>(list.column(0)));
  }
  for (const std::string& table : tables) {
    const std::string kind = table.substr(0, table.size() - std::string("_cells").size());
    if (!task_identifier(kind)) continue;
    std::set<std::string> common;
    std::vector<std::string> others;
    {
      sql::Stmt columns(db, "SELECT name FROM pragma_table_info(?1)");
      columns.bind(1, table);
      while (columns.step()) {
        const std::string column = std::get<std::string>(columns.column(0));
        if (kCellColumns.count(column)) common.insert(column);
        else others.push_back(column);
      }
    }
    if (common.size() != kCellColumns.size() || others.size() != 1 || !task_identifier(others[0])) continue;
    const std::string& axis = others[0];
    bool has_view = false;
    {
      sql::Stmt view(db, "SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = ?1");
      view.bind(1, kind);
      has_view = view.step();
    }
    // Names checked as identifiers above, so quoting makes them safe to splice.
    const std::string quoted = "\"" + table + "\"";
    if (has_view) sql::exec(db, "DROP VIEW \"" + kind + "\"");
    ensure_task_view(db, kind, axis);
    {
      sql::Stmt copy(db, "INSERT INTO task_cells (result_id, kind, context, axis, coordinate, trials, successes,"
                         " accuracy, chance, canonical) SELECT result_id, ?1, context, ?2, \"" + axis + "\", trials,"
                         " successes, accuracy, chance, canonical FROM " + quoted);
      copy.bind(1, kind).bind(2, axis);
      copy.run();
    }
    {
      sql::Stmt mark(db, "UPDATE results SET task_kind = ?1 WHERE id IN (SELECT result_id FROM " + quoted + ")");
      mark.bind(1, kind);
      mark.run();
    }
    sql::exec(db, "DROP TABLE " + quoted);
  }
}

// v6 (plugin identity, issue 13): the plugin library that produced each
// result, its path when loaded and a content hash ("sha1:<hex>"), so results
// from different code under one variant name (a rebuild, an impostor) can be
// told apart. '' for rows recorded before v6.
constexpr std::string_view kV6Plugin = R"sql(
ALTER TABLE results ADD COLUMN plugin_path TEXT NOT NULL DEFAULT '';
ALTER TABLE results ADD COLUMN plugin_hash TEXT NOT NULL DEFAULT '';
)sql";

// v7 (issue 13): the process that records a run, so a later `archbench run` or
// `archbench runs` on the same host can tell a run whose process is gone (kill -9,
// power loss) and mark it 'abandoned' instead of 'running' forever (see
// run_liveness.hpp). pid_host is the store's own gethostname(), apart from the
// provenance in `host`. Rows from before v7 keep pid 0: their process is unknown.
constexpr std::string_view kV7 = R"sql(
ALTER TABLE runs ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN pid_host TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN pid_start TEXT NOT NULL DEFAULT '';
)sql";

// v8 (issue 19: many machines): a run's stable unique id, which `archbench merge`
// matches runs by (ids differ from file to file, uids do not), the shard of the
// plan it ran ("I/N", '' for a whole plan), a digest of that plan (so
// `run --resume` can tell it is continuing the same work), and, for a run copied
// in by `archbench merge`, the file it came from.
constexpr std::string_view kV8 = R"sql(
ALTER TABLE runs ADD COLUMN uid TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN shard TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN plan_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN merged_from TEXT NOT NULL DEFAULT '';
)sql";

// v8's step: runs recorded before it get a uid derived from what identifies
// them, not a random one, so two copies of one old database migrated apart
// (merge migrates a private copy of each older input) agree on every run's uid.
void give_runs_uids(sqlite3* db) {
  std::vector<std::pair<int64_t, std::string>> uids;
  {
    sql::Stmt runs(db, "SELECT id, started_at, host, pid_host, pid, pid_start, command_line FROM runs ORDER BY id");
    while (runs.step()) {
      std::string identity;
      for (int c = 0; c < 7; ++c) {
        const Cell cell = runs.column(c);
        identity += (c ? "\x1f" : "") + (std::holds_alternative<std::string>(cell) ? std::get<std::string>(cell)
                                        : std::holds_alternative<int64_t>(cell) ? std::to_string(std::get<int64_t>(cell))
                                                                                 : std::string());
      }
      uids.emplace_back(runs.column_int(0), legacy_run_uid(identity));
    }
  }
  sql::Stmt set(db, "UPDATE runs SET uid = ?2 WHERE id = ?1");
  for (const auto& [id, uid] : uids) {
    set.bind(1, id).bind(2, uid);
    set.run();
    sqlite3_reset(set.get());
  }
  sql::exec(db, "CREATE UNIQUE INDEX runs_by_uid ON runs(uid)");
}

// v9 (issue 15): figures, named per-result numbers a variant reports through the "figures/1"
// extra (active and total parameters, load imbalance, dropped fraction, ...),
// one row each; the names are the plugin's, the store knows none of them.
constexpr std::string_view kFigures = R"sql(
CREATE TABLE result_figures (
  result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
  name      TEXT NOT NULL,
  value     REAL NOT NULL,
  PRIMARY KEY (result_id, name)
) WITHOUT ROWID;
CREATE INDEX result_figures_by_name ON result_figures(name, result_id);
)sql";

// v10 (issue 18, statistics): what a reader needs to trust a run's numbers. Whether
// it was a --quick smoke run (the default leaderboard prefers careful results), how
// loaded the machine was when it started (1-minute load average and the runnable
// processes besides archbench; NULL where unknown), and the machine calibration it
// was measured against, copied in (JSON {"backend/metric": value}), so an old
// result keeps the peak of its day when the per-machine calibration is redone.
// Per result, the oneDNN implementations its primitives ran on (ResultRecord::impl),
// so a reference fallback ("ref:any", often 100x slower) is visible. Per problem,
// the design with only its non-default parameters (tables print it; '' before v10).
constexpr std::string_view kStatsRunContext = R"sql(
ALTER TABLE runs ADD COLUMN quick INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN load_average REAL;
ALTER TABLE runs ADD COLUMN busy_processes INTEGER;
ALTER TABLE runs ADD COLUMN calibration_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE results ADD COLUMN impl TEXT NOT NULL DEFAULT '';
ALTER TABLE problems ADD COLUMN design_short TEXT NOT NULL DEFAULT '';
)sql";

// v11 (issue 18, rounds): which measurement round (separate child process) each
// sample came from, so compare's intervals can resample rounds as well as samples
// (harness/rounds.hpp). Older samples are all round 0: one process.
constexpr std::string_view kSampleRounds = R"sql(
ALTER TABLE samples ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
)sql";

// v12 (issue 17, whole architectures): whole-model estimates (`archbench model`): a preset's figures at one workload
// composed from the parts its run measured, and each part's share. A part names the problem it measured by canonical string (a
// result of the same run), so a merge can carry estimates without result ids.
constexpr std::string_view kModelEstimates = R"sql(
CREATE TABLE model_estimates (
  id                   INTEGER PRIMARY KEY,
  run_id               INTEGER NOT NULL REFERENCES runs(id),
  preset               TEXT NOT NULL,
  title                TEXT NOT NULL,
  backend              TEXT NOT NULL,
  dtype                TEXT NOT NULL,
  batch                INTEGER NOT NULL,
  prefill_tokens       INTEGER NOT NULL,
  context              INTEGER NOT NULL,
  total_params         REAL NOT NULL,
  active_params        REAL NOT NULL,
  weight_bytes         REAL NOT NULL,
  kv_bytes_per_token   REAL NOT NULL,
  cache_bytes          REAL NOT NULL,
  prefill_s            REAL,
  decode_s             REAL,
  prefill_tokens_per_s REAL,
  decode_tokens_per_s  REAL,
  complete             INTEGER NOT NULL,
  stack_decode_s       REAL,
  stack_ratio          REAL,
  notes                TEXT NOT NULL DEFAULT '',
  created_at           TEXT NOT NULL
);
CREATE INDEX model_estimates_by_preset ON model_estimates(preset, backend, dtype, run_id);
CREATE TABLE model_estimate_parts (
  estimate_id INTEGER NOT NULL REFERENCES model_estimates(id) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  layer_type  TEXT NOT NULL,
  layers      INTEGER NOT NULL,
  part        TEXT NOT NULL,
  mode        TEXT NOT NULL,
  measured    TEXT NOT NULL DEFAULT '',
  reduction   INTEGER NOT NULL DEFAULT 1,
  scale       REAL NOT NULL DEFAULT 1,
  seconds     REAL,
  note        TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (estimate_id, position)
) WITHOUT ROWID;
)sql";

// v13 (issue 16): per result, the memory one sequence holds between tokens at the
// problem's context (harness/workload.hpp: sequence_bytes), so a fixed-state
// mixer's state stands beside attention's KV cache; NULL where unknown.
constexpr std::string_view kSequenceBytes = R"sql(
ALTER TABLE results ADD COLUMN sequence_bytes REAL;
)sql";

// Append v14, ... here.
constexpr std::array<Migration, 13> kMigrations = {kV1,       kV2, kV3, kV4, Migration{kV5, move_cell_tables},
                                                   kV6Plugin, kV7, Migration{kV8, give_runs_uids}, kFigures,
                                                   kStatsRunContext, kSampleRounds, kModelEstimates, kSequenceBytes};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return static_cast<int>(kMigrations.size()); }

int read_user_version(sqlite3* db) {
  sql::Stmt st(db, "PRAGMA user_version");
  st.step();
  return static_cast<int>(st.column_int(0));
}

namespace {
// Also the guard of the loop below: a negative version would index before the list.
void refuse_unknown_version(int have, int know, const std::string& path) {
  if (have < 0)
    throw InputError(path + ": not an archbench database (schema version " + std::to_string(have) + ")");
  if (have > know)
    throw InputError(path + ": database schema version " + std::to_string(have) +
                     " is newer than this archbench (" + std::to_string(know) +
                     "); upgrade archbench");
}
}  // namespace

void migrate(sqlite3* db, const std::string& path, std::span<const Migration> scripts) {
  const int target = static_cast<int>(scripts.size());
  int have = read_user_version(db);
  refuse_unknown_version(have, target, path);
  if (have == target) return;  // up to date: no transaction, nothing written

  // IMMEDIATE takes the write lock before re-reading the version, so two processes
  // opening an old database at once cannot both apply the same migration.
  sql::Transaction tx(db);
  have = read_user_version(db);
  refuse_unknown_version(have, target, path);
  for (int v = have; v < target; ++v) {
    sql::exec(db, std::string(scripts[v].sql));
    if (scripts[v].step) scripts[v].step(db);
  }
  sql::exec(db, "PRAGMA user_version = " + std::to_string(target));
  tx.commit();
}

}  // namespace archbench::results
