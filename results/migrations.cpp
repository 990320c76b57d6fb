// The migration scripts and the code that applies them (see migrations.hpp).
#include "results/migrations.hpp"

#include <array>

#include "harness/errors.hpp"
#include "results/sqlite_util.hpp"

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
// task string; its cells hold the per-depth / per-hop accuracy. The views join
// cells with their result and problem so `archbench query` can ask e.g. which
// designs keep >= 90% needle accuracy at 64K with the smallest KV cache.
constexpr std::string_view kV4 = R"sql(
ALTER TABLE results ADD COLUMN task TEXT NOT NULL DEFAULT '';
CREATE TABLE needle_cells (
  result_id  INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
  context    INTEGER NOT NULL,
  depth      REAL NOT NULL,          -- percent of the haystack, 0 = its first token
  trials     INTEGER NOT NULL,
  successes  INTEGER NOT NULL,
  accuracy   REAL NOT NULL,
  chance     REAL NOT NULL,
  canonical  TEXT NOT NULL,          -- the cell: `archbench run --problem` replays its row
  PRIMARY KEY (result_id, depth)
) WITHOUT ROWID;
CREATE TABLE multihop_cells (
  result_id  INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
  context    INTEGER NOT NULL,
  hops       INTEGER NOT NULL,
  trials     INTEGER NOT NULL,
  successes  INTEGER NOT NULL,
  accuracy   REAL NOT NULL,
  chance     REAL NOT NULL,
  canonical  TEXT NOT NULL,
  PRIMARY KEY (result_id, hops)
) WITHOUT ROWID;
CREATE VIEW needle AS
  SELECT r.run_id, r.id AS result_id, r.backend, p.variant, p.design, p.dtype, r.task,
         c.context, c.depth, c.trials, c.successes, c.accuracy, c.chance,
         r.kv_cache_bytes_per_token, c.canonical
  FROM needle_cells c JOIN results r ON r.id = c.result_id JOIN problems p ON p.id = r.problem_id;
CREATE VIEW multihop AS
  SELECT r.run_id, r.id AS result_id, r.backend, p.variant, p.design, p.dtype, r.task,
         c.context, c.hops, c.trials, c.successes, c.accuracy, c.chance,
         r.kv_cache_bytes_per_token, c.canonical
  FROM multihop_cells c JOIN results r ON r.id = c.result_id JOIN problems p ON p.id = r.problem_id;
)sql";

// Append v5, ... here.
constexpr std::array<std::string_view, 4> kMigrations = {kV1, kV2, kV3, kV4};

}  // namespace

std::span<const std::string_view> migrations() { return kMigrations; }

int latest_schema_version() { return static_cast<int>(kMigrations.size()); }

int read_user_version(sqlite3* db) {
  sql::Stmt st(db, "PRAGMA user_version");
  st.step();
  return static_cast<int>(st.column_int(0));
}

namespace {
void refuse_if_newer(int have, int know, const std::string& path) {
  if (have > know)
    throw InputError(path + ": database schema version " + std::to_string(have) +
                     " is newer than this archbench (" + std::to_string(know) +
                     "); upgrade archbench");
}
}  // namespace

void migrate(sqlite3* db, const std::string& path, std::span<const std::string_view> scripts) {
  const int target = static_cast<int>(scripts.size());
  int have = read_user_version(db);
  refuse_if_newer(have, target, path);
  if (have == target) return;  // up to date: no transaction, nothing written

  // IMMEDIATE takes the write lock before re-reading the version, so two processes
  // opening an old database at once cannot both apply the same migration.
  sql::Transaction tx(db);
  have = read_user_version(db);
  refuse_if_newer(have, target, path);
  for (int v = have; v < target; ++v) sql::exec(db, std::string(scripts[v]));
  sql::exec(db, "PRAGMA user_version = " + std::to_string(target));
  tx.commit();
}

}  // namespace archbench::results
