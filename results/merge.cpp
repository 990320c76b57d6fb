// `archbench merge`: private copies of the inputs, then one transaction that
// copies their runs into OUT by uid (see merge.hpp).
#include "results/merge.hpp"

#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "harness/errors.hpp"
#include "results/migrations.hpp"
#include "results/sqlite_util.hpp"
#include "results/task_views.hpp"

namespace archbench::results {
namespace {

std::string text_of(const Cell& cell) {
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  if (const auto* i = std::get_if<int64_t>(&cell)) return std::to_string(*i);
  return {};
}

// Opens an input without writing it: immutable where it has no -wal (every
// commit is in the file, and sqlite then makes no -shm), read-only otherwise.
sqlite3* open_input(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path + ": database file does not exist (expected a database written by `archbench run`)");
  sqlite3* db = nullptr;
  const bool wal = sql::wal_mode_file(path);
  const std::string name = wal ? path : sql::immutable_uri(path);
  const int rc = sqlite3_open_v2(name.c_str(), &db, SQLITE_OPEN_READONLY | (wal ? 0 : SQLITE_OPEN_URI), nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    throw InputError(path + ": cannot open database read-only (" + why + ")");
  }
  return db;
}

// What makes an input usable, checked before anything is copied: an archbench
// database of this build's schema or an older one, intact.
void require_mergeable(sqlite3* db, const std::string& path) {
  int have = 0;
  try {
    have = read_user_version(db);
  } catch (const std::exception&) {
    throw InputError(path + ": not a database, or a corrupt one (" + sqlite3_errmsg(db) + ")");
  }
  const int know = latest_schema_version();
  if (have > know)
    throw InputError(path + ": database schema version " + std::to_string(have) + " is newer than this archbench (" +
                     std::to_string(know) + "); upgrade archbench to merge it");
  if (have <= 0) throw InputError(path + ": not an archbench database (schema version " + std::to_string(have) + ")");
  for (const char* table : {"runs", "problems", "results"}) {
    sql::Stmt has(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
    has.bind(1, std::string(table));
    if (!has.step())
      throw InputError(path + ": not an archbench database (schema version " + std::to_string(have) + " but no '" +
                       table + "' table)");
  }
  sql::Stmt check(db, "PRAGMA quick_check(1)");
  if (!check.step() || text_of(check.column(0)) != "ok")
    throw InputError(path + ": the database is corrupt (quick_check); it was left unchanged");
}

// The columns of `table` in `db`, in order.
std::vector<std::string> columns_of(sqlite3* db, const std::string& table) {
  std::vector<std::string> names;
  sql::Stmt list(db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid");
  list.bind(1, table);
  while (list.step()) names.push_back(text_of(list.column(0)));
  return names;
}

// Copies rows of one table from an input into OUT by column name (both have
// this build's schema), leaving out `id` (OUT numbers its own rows) and
// putting `replace`d values (the ids rows point at in OUT) in their columns.
class RowCopier {
 public:
  RowCopier(sqlite3* from, sqlite3* to, const std::string& table, const std::string& where,
            std::vector<std::string> replaced)
      : replaced_(std::move(replaced)) {
    const std::vector<std::string> columns = columns_of(to, table);
    // Tables without an id (samples, task_cells, problem_params) give 0 for it.
    std::string selected = std::count(columns.begin(), columns.end(), "id") ? "id" : "0", inserted, slots;
    for (const std::string& column : columns) {
      if (column == "id") continue;
      const auto at = std::find(replaced_.begin(), replaced_.end(), column);
      inserted += (inserted.empty() ? "" : ", ") + ("\"" + column + "\"");
      if (at != replaced_.end()) {
        slots += (slots.empty() ? "?" : ", ?") + std::to_string(1 + (at - replaced_.begin()));
      } else {
        selected += ", \"" + column + "\"";
        copied_.push_back(column);
        slots += (slots.empty() ? "?" : ", ?") + std::to_string(1 + replaced_.size() + copied_.size() - 1);
      }
    }
    select_ = std::make_unique<sql::Stmt>(from, "SELECT " + selected + " FROM \"" + table + "\" WHERE " + where);
    insert_ = std::make_unique<sql::Stmt>(to, "INSERT INTO \"" + table + "\" (" + inserted + ") VALUES (" + slots + ")");
    to_ = to;
  }

  // Copies the rows `where` selects with ?1 = key; returns (input id, OUT id) of each.
  std::vector<std::pair<int64_t, int64_t>> copy(const Cell& key, const std::vector<Cell>& replacements) {
    std::vector<std::pair<int64_t, int64_t>> ids;
    sqlite3_reset(select_->get());
    select_->bind(1, key);
    while (select_->step()) {
      sqlite3_reset(insert_->get());
      for (size_t i = 0; i < replacements.size(); ++i) insert_->bind(int(i + 1), replacements[i]);
      for (size_t i = 0; i < copied_.size(); ++i)
        insert_->bind(int(1 + replaced_.size() + i), select_->column(int(i + 1)));
      insert_->run();
      ids.emplace_back(select_->column_int(0), sqlite3_last_insert_rowid(to_));
    }
    return ids;
  }

 private:
  std::vector<std::string> replaced_, copied_;
  std::unique_ptr<sql::Stmt> select_, insert_;
  sqlite3* to_ = nullptr;
};

// One run to add or complete, from one input.
struct PendingRun {
  std::string started_at, uid;
  size_t input = 0;
  int64_t id = 0;
};

int64_t lookup(sqlite3* db, const std::string& sql, const Cell& key) {
  sql::Stmt st(db, sql);
  st.bind(1, key);
  return st.step() ? st.column_int(0) : 0;
}

// Copies one input's results of one run into OUT run `to_run`, except those
// OUT's run already has (same problem, backend and task). Returns how many.
size_t copy_results(sqlite3* from, sqlite3* to, int64_t from_run, int64_t to_run) {
  std::set<std::string> present;
  {
    sql::Stmt have(to, "SELECT p.canonical || '|' || r.backend || '|' || r.task FROM results r"
                       " JOIN problems p ON p.id = r.problem_id WHERE r.run_id = ?1");
    have.bind(1, to_run);
    while (have.step()) present.insert(text_of(have.column(0)));
  }
  RowCopier problem(from, to, "problems", "id = ?1", {});
  RowCopier params(from, to, "problem_params", "problem_id = ?1", {"problem_id"});
  RowCopier result(from, to, "results", "id = ?1", {"run_id", "problem_id"});
  RowCopier sample(from, to, "samples", "result_id = ?1", {"result_id"});
  RowCopier cell(from, to, "task_cells", "result_id = ?1", {"result_id"});
  RowCopier figure(from, to, "result_figures", "result_id = ?1", {"result_id"});
  sql::Stmt rows(from, "SELECT r.id, p.id, p.canonical, r.backend || '|' || r.task FROM results r"
                       " JOIN problems p ON p.id = r.problem_id WHERE r.run_id = ?1 ORDER BY r.id");
  rows.bind(1, from_run);
  size_t added = 0;
  while (rows.step()) {
    const int64_t from_result = rows.column_int(0), from_problem = rows.column_int(1);
    const std::string canonical = text_of(rows.column(2));
    if (!present.insert(canonical + "|" + text_of(rows.column(3))).second) continue;
    int64_t to_problem = lookup(to, "SELECT id FROM problems WHERE canonical = ?1", Cell{canonical});
    if (!to_problem) to_problem = problem.copy(Cell{from_problem}, {}).at(0).second;
    // Parameters a newer build derived (schema v5) join a problem stored without them.
    if (!lookup(to, "SELECT count(*) FROM problem_params WHERE problem_id = ?1", Cell{to_problem}))
      params.copy(Cell{from_problem}, {Cell{to_problem}});
    const int64_t to_result = result.copy(Cell{from_result}, {Cell{to_run}, Cell{to_problem}}).at(0).second;
    sample.copy(Cell{from_result}, {Cell{to_result}});
    cell.copy(Cell{from_result}, {Cell{to_result}});
    figure.copy(Cell{from_result}, {Cell{to_result}});
    ++added;
  }
  return added;
}

// A run's whole-model estimates and their parts (schema v12), once: a run OUT
// already holds estimates of keeps them. Parts name their problems by canonical
// string, so no result id needs mapping.
void copy_model_estimates(sqlite3* from, sqlite3* to, int64_t from_run, int64_t to_run) {
  if (lookup(to, "SELECT count(*) FROM model_estimates WHERE run_id = ?1", Cell{to_run})) return;
  RowCopier estimate(from, to, "model_estimates", "run_id = ?1", {"run_id"});
  RowCopier part(from, to, "model_estimate_parts", "estimate_id = ?1", {"estimate_id"});
  for (const auto& [from_id, to_id] : estimate.copy(Cell{from_run}, {Cell{to_run}})) part.copy(Cell{from_id}, {Cell{to_id}});
}

}  // namespace

MergeInput MergeInput::open(const std::string& path) {
  MergeInput input;
  input.path_ = path;
  sqlite3* source = open_input(path);
  try {
    require_mergeable(source, path);
    std::error_code ec;
    std::string pattern = (std::filesystem::temp_directory_path(ec) / "archbench-merge-XXXXXX").string();
    if (ec || !mkdtemp(pattern.data()))
      throw std::runtime_error("merge: cannot make a temporary folder for the copy of " + path);
    input.copy_dir_ = pattern;
    const std::string copy = input.copy_dir_ + "/copy.db";
    sql::check(nullptr, sqlite3_open_v2(copy.c_str(), &input.db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
               "merge: open " + copy);
    // The backup API copies a consistent snapshot, the -wal's commits included.
    sqlite3_backup* backup = sqlite3_backup_init(input.db_, "main", source, "main");
    if (!backup) throw std::runtime_error("merge: cannot copy " + path + ": " + sqlite3_errmsg(input.db_));
    const int rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) throw InputError(path + ": cannot read the database (" + sqlite3_errstr(rc) + ")");
  } catch (...) {
    sqlite3_close_v2(source);
    throw;
  }
  sqlite3_close_v2(source);
  // Older inputs are brought to this build's schema here, in the copy.
  migrate(input.db_, path, migrations());
  return input;
}

MergeInput::MergeInput(MergeInput&& other) noexcept { *this = std::move(other); }

MergeInput& MergeInput::operator=(MergeInput&& other) noexcept {
  std::swap(path_, other.path_);
  std::swap(copy_dir_, other.copy_dir_);
  std::swap(db_, other.db_);
  return *this;
}

MergeInput::~MergeInput() {
  if (db_) sqlite3_close_v2(db_);
  std::error_code ec;
  if (!copy_dir_.empty()) std::filesystem::remove_all(copy_dir_, ec);
}

std::string MergeReport::line() const {
  return std::to_string(runs_added) + " runs added, " + std::to_string(runs_extended) + " updated, " +
         std::to_string(runs_present) + " already present; " + std::to_string(results_added) + " results, " +
         std::to_string(calibrations_added) + " calibrations copied";
}

MergeReport merge_into(Store& out, const std::vector<MergeInput>& inputs) {
  sqlite3* to = out.db_;
  MergeReport report;
  std::vector<PendingRun> runs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    sql::Stmt list(inputs[i].db(), "SELECT started_at, uid, id FROM runs");
    while (list.step()) runs.push_back({text_of(list.column(0)), text_of(list.column(1)), i, list.column_int(2)});
  }
  // One order over all inputs, whatever order they were given in.
  std::sort(runs.begin(), runs.end(), [](const PendingRun& a, const PendingRun& b) {
    return std::tie(a.started_at, a.uid, a.input) < std::tie(b.started_at, b.uid, b.input);
  });

  sql::Transaction tx(to);
  for (const MergeInput& input : inputs) {
    sql::Stmt kinds(input.db(), "SELECT kind, axis FROM task_kinds ORDER BY kind");
    while (kinds.step()) {
      try {
        ensure_task_view(to, text_of(kinds.column(0)), text_of(kinds.column(1)));
      } catch (const std::invalid_argument& e) {
        throw InputError(input.path() + ": its task kinds do not fit " + out.path() + " (" + e.what() + ")");
      }
    }
  }
  for (const PendingRun& pending : runs) {
    const MergeInput& input = inputs[pending.input];
    sqlite3* from = input.db();
    int64_t to_run = lookup(to, "SELECT id FROM runs WHERE uid = ?1", Cell{pending.uid});
    if (!to_run) {
      // A run merged on from another merged file keeps the file it first came from.
      RowCopier run(from, to, "runs", "id = ?1", {"merged_from"});
      sql::Stmt first(from, "SELECT merged_from FROM runs WHERE id = ?1");
      first.bind(1, pending.id);
      first.step();
      const std::string from_file = text_of(first.column(0));
      to_run = run.copy(Cell{pending.id}, {Cell{from_file.empty() ? input.path() : from_file}}).at(0).second;
      report.results_added += copy_results(from, to, pending.id, to_run);
      copy_model_estimates(from, to, pending.id, to_run);
      RowCopier calibration(from, to, "calibrations", "run_id = ?1", {"run_id"});
      report.calibrations_added += calibration.copy(Cell{pending.id}, {Cell{to_run}}).size();
      ++report.runs_added;
      continue;
    }
    const size_t added = copy_results(from, to, pending.id, to_run);
    report.results_added += added;
    copy_model_estimates(from, to, pending.id, to_run);
    sql::Stmt state(from, "SELECT status, finished_at FROM runs WHERE id = ?1");
    state.bind(1, pending.id);
    state.step();
    // The input holds more of this run than OUT did, or the same results and an
    // end where OUT still has it going: the run went on (or was resumed, or
    // finished) after an earlier merge, so the input's status is the newer one.
    const std::string status = text_of(state.column(0));
    const bool ended_since = status != "running" && status != "abandoned" &&
                             lookup(to, "SELECT count(*) FROM runs WHERE id = ?1 AND status IN ('running', 'abandoned')",
                                    Cell{to_run}) > 0;
    if (!added && !ended_since) {
      ++report.runs_present;
      continue;
    }
    sql::Stmt update(to, "UPDATE runs SET status = ?2, finished_at = ?3 WHERE id = ?1");
    update.bind(1, to_run).bind(2, state.column(0)).bind(3, state.column(1));
    update.run();
    ++report.runs_extended;
  }
  // Calibrations tied to no run (`archbench calibrate`): each once.
  for (const MergeInput& input : inputs) {
    RowCopier calibration(input.db(), to, "calibrations", "id = ?1", {});
    sql::Stmt unlinked(input.db(), "SELECT id, created_at, host, backend, metric, unit, value, details"
                                   " FROM calibrations WHERE run_id IS NULL ORDER BY created_at, id");
    sql::Stmt same(to, "SELECT 1 FROM calibrations WHERE run_id IS NULL AND created_at = ?1 AND host = ?2"
                       " AND backend = ?3 AND metric = ?4 AND unit = ?5 AND value = ?6 AND details = ?7");
    while (unlinked.step()) {
      sqlite3_reset(same.get());
      for (int c = 1; c <= 7; ++c) same.bind(c, unlinked.column(c));
      if (same.step()) continue;
      report.calibrations_added += calibration.copy(Cell{unlinked.column_int(0)}, {}).size();
    }
  }
  tx.commit();
  return report;
}

}  // namespace archbench::results
