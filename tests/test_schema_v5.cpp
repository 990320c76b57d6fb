// Schema v5 (generic task cells, structured problem parameters): a database
// written by main at schema v4 (tests/data/schema_v4.db, with what its read
// commands printed then in tests/data/schema_v4_reads.txt) migrates and reads
// the same; a v5 database records rows of any task kind and gives each kind its
// own view. The fixture is copied first and never written.
//
// What legitimately changed, and is therefore not compared byte for byte here:
// the multihop view's `hops` column is REAL now (task_cells.coordinate holds
// every task's axis); csv and table output print 1 either way, only json shows
// 1.0. Everything the recorded reads print (run ids and timestamps included,
// they are stored values) is compared exactly.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <sstream>

#include "harness/errors.hpp"
#include "harness/store_describer.hpp"
#include "results/format.hpp"
#include "results/leaderboard.hpp"
#include "results/migrations.hpp"
#include "results/store.hpp"
#include "results/task_summary.hpp"
#include "test_support.hpp"

using namespace archbench;
using results::Store;
using test_support::TempDir;

namespace {

const std::string kFixture = std::string(ARCHBENCH_TEST_DATA) + "/schema_v4.db";
const std::string kReads = std::string(ARCHBENCH_TEST_DATA) + "/schema_v4_reads.txt";

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// "== <args>" headers, each followed by what `archbench <args> --format csv` printed.
std::vector<std::pair<std::string, std::string>> recorded_reads() {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(file_bytes(kReads));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("== ", 0) == 0) out.emplace_back(line.substr(3), "");
    else if (!out.empty()) out.back().second += line + "\n";
  }
  return out;
}

// A copy of the fixture (never the fixture itself).
std::string copy_of_fixture(const TempDir& tmp, const std::string& name) {
  const std::string path = tmp.file(name);
  std::filesystem::copy_file(kFixture, path);
  return path;
}

// What one statement returns on a plain connection, as csv (for the v4 side).
std::string raw_csv(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  results::QueryResult q;
  for (int c = 0; c < sqlite3_column_count(st); ++c) q.columns.push_back(sqlite3_column_name(st, c));
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::vector<results::Cell> row;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      switch (sqlite3_column_type(st, c)) {
        case SQLITE_INTEGER: row.emplace_back(int64_t(sqlite3_column_int64(st, c))); break;
        case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(st, c)); break;
        case SQLITE_NULL: row.emplace_back(); break;
        default: row.emplace_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c))));
      }
    }
    q.rows.push_back(std::move(row));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return results::format(q, results::Format::csv);
}

// The csv's fields of each line (no field of these reads holds a comma or quote).
std::vector<std::vector<std::string>> csv_fields(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    out.emplace_back();
    size_t from = 0;
    for (size_t comma; (comma = line.find(',', from)) != std::string::npos; from = comma + 1)
      out.back().push_back(line.substr(from, comma - from));
    out.back().push_back(line.substr(from));
  }
  return out;
}

// Issue 18 added columns to the leaderboard (intervals, ties, provenance) and lets
// designs whose intervals overlap share a rank. So v4's leaderboard read is compared
// on v4's columns (--columns), every value exactly but the rank, and the rank is
// v4's wherever the row is not tied, never worse where it is.
void check_leaderboard_read(const std::string& db, const std::string& expected) {
  const auto old_rows = csv_fields(expected);
  REQUIRE(!old_rows.empty());
  std::string columns;
  for (const std::string& c : old_rows[0]) columns += (columns.empty() ? "" : ",") + c;
  const auto now = test_support::run_cli("leaderboard --columns " + columns + ",tied --format csv --db " + db);
  REQUIRE(now.exit_code == 0);
  // Warnings (noisy results, bandwidth above the peak) go to stderr, which run_cli merges.
  std::string csv;
  std::istringstream lines(now.output);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("warning: ", 0) != 0 && line.rfind("note: ", 0) != 0) csv += line + "\n";
  const auto new_rows = csv_fields(csv);
  REQUIRE(new_rows.size() == old_rows.size());
  const size_t rank = size_t(std::find(old_rows[0].begin(), old_rows[0].end(), "rank") - old_rows[0].begin());
  REQUIRE(rank < old_rows[0].size());
  for (size_t i = 0; i < old_rows.size(); ++i) {
    INFO("row " << i);
    REQUIRE(new_rows[i].size() == old_rows[i].size() + 1);
    for (size_t c = 0; c < old_rows[i].size(); ++c)
      if (c != rank || i == 0) CHECK(new_rows[i][c] == old_rows[i][c]);
    if (i == 0) continue;
    if (new_rows[i].back() == "0") CHECK(new_rows[i][rank] == old_rows[i][rank]);
    else CHECK(std::stoi(new_rows[i][rank]) <= std::stoi(old_rows[i][rank]));
  }
}

int64_t count(const Store& s, const std::string& sql) {
  return std::get<int64_t>(s.query(sql).rows.at(0).at(0));
}

}  // namespace

TEST_CASE("a v4 database from main migrates to v5 and every recorded read prints the same", "[results][migration]") {
  const std::string before = file_bytes(kFixture);
  TempDir tmp;
  const std::string v4 = copy_of_fixture(tmp, "untouched-v4.db");  // the v4 side of the view comparison
  const std::string db = copy_of_fixture(tmp, "migrated.db");
  const int64_t cells = std::stoll(raw_csv(v4, "SELECT (SELECT COUNT(*) FROM needle_cells) + "
                                              "(SELECT COUNT(*) FROM multihop_cells) AS n").substr(2));
  REQUIRE(cells > 0);

  // As `archbench run` opens it: migration, then the harness describes the old rows.
  const StoreDescriber describer(test_support::in_tree());
  {
    Store s = Store::open_readwrite(db, &describer);
    CHECK(s.schema_version() == archbench::results::latest_schema_version());
    CHECK(count(s, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('needle_cells', 'multihop_cells')") == 0);
    CHECK(count(s, "SELECT COUNT(*) FROM task_cells") == cells);
    CHECK(count(s, "SELECT COUNT(*) FROM task_kinds") == 2);
    // Every stored problem parsed back: its parameters are structured now.
    CHECK(count(s, "SELECT COUNT(*) FROM problems p WHERE NOT EXISTS "
                   "(SELECT 1 FROM problem_params q WHERE q.problem_id = p.id)") == 0);
    CHECK(count(s, "SELECT COUNT(*) FROM problems WHERE shape = ''") == 0);
    CHECK(count(s, "SELECT COUNT(*) FROM results WHERE task <> '' AND (task_kind = '' OR task_label = '' "
                   "OR task_workload = '')") == 0);
  }
  const auto reads = recorded_reads();
  REQUIRE(reads.size() == 5);
  for (const auto& [args, expected] : reads) {
    INFO("archbench " << args);
    if (args == "leaderboard") {
      check_leaderboard_read(db, expected);
      continue;
    }
    const auto now = test_support::run_cli(args + " --format csv --db " + db);
    CHECK(now.exit_code == 0);
    if (args.rfind("leaderboard --task", 0) == 0) {
      // v13 added the task leaderboard's sequence_bytes, empty for rows recorded
      // before it: every other column reads the same.
      auto rows = csv_fields(now.output);
      REQUIRE(!rows.empty());
      const auto at = std::find(rows[0].begin(), rows[0].end(), "sequence_bytes") - rows[0].begin();
      REQUIRE(size_t(at) < rows[0].size());
      for (size_t i = 0; i < rows.size(); ++i) {
        if (i > 0) CHECK(rows[i][size_t(at)].empty());
        rows[i].erase(rows[i].begin() + at);
      }
      CHECK(rows == csv_fields(expected));
      continue;
    }
    CHECK(now.output == expected);
  }
  // The views keep v4's names, columns and rows (see the header for hops' type).
  for (const char* view : {"SELECT * FROM needle ORDER BY result_id, depth",
                           "SELECT * FROM multihop ORDER BY result_id, hops"}) {
    INFO(view);
    CHECK(test_support::run_cli("query --format csv --db " + db + " \"" + view + "\"").output == raw_csv(v4, view));
  }
  CHECK(file_bytes(kFixture) == before);
}

TEST_CASE("the v5 migration alone moves the cells; the harness's describer fills the rest later", "[results][migration]") {
  TempDir tmp;
  const std::string db = copy_of_fixture(tmp, "migrated.db");
  {
    // results/ by itself: no parser, so no labels or structured parameters yet,
    // but the task kind is known from the table each cell came from.
    Store s = Store::open_readwrite(db);
    CHECK(count(s, "SELECT COUNT(*) FROM problem_params") == 0);
    CHECK(count(s, "SELECT COUNT(*) FROM results WHERE task <> '' AND task_kind = ''") == 0);
    CHECK(count(s, "SELECT COUNT(*) FROM results WHERE task_label <> ''") == 0);
    results::TaskFilter filter;
    filter.kind = "multihop";
    CHECK(results::summarize_tasks(s, filter).size() == 1);
  }
  const StoreDescriber describer(test_support::in_tree());
  { Store s = Store::open_readwrite(db, &describer); }
  Store s = Store::open_readonly(db);
  CHECK(count(s, "SELECT COUNT(*) FROM problems p WHERE NOT EXISTS "
                 "(SELECT 1 FROM problem_params q WHERE q.problem_id = p.id)") == 0);
  CHECK(std::get<std::string>(s.query("SELECT DISTINCT task_label FROM results WHERE task_kind = 'multihop'")
                                  .rows.at(0).at(0)) == "spread");
  // The sequence length of an attention problem, as the schema says it is printed.
  const auto seq = s.query(
      "SELECT q.key, q.type, q.value, q.token, q.design FROM problem_params q JOIN problems p ON p.id = q.problem_id"
      " WHERE q.name = 'seq' AND p.canonical LIKE 'attention/mqa:decode.b1.s8192.%'");
  REQUIRE(seq.rows.size() == 1);
  CHECK(results::format(seq, results::Format::csv) == "key,type,value,token,design\ns,int,8192,s8192,0\n");
}

namespace {

// A task row of kind `kind` with cells at `coordinates` (two contexts each).
results::ResultRecord task_row(const std::string& kind, const std::string& axis, const std::string& task,
                               int context, std::vector<double> coordinates, int headline = 0) {
  results::ResultRecord r;
  r.canonical = "attention/toy:s" + std::to_string(context) + ".f32";
  r.variant = "attention/toy";
  r.kind = "attention";
  r.dtype = "f32";
  r.workload = "s" + std::to_string(context) + ".f32";
  r.design = "attention/toy";
  r.shape = r.workload;
  r.backend = "cpu";
  r.outcome = "passed";
  r.task = task;
  r.task_kind = kind;
  r.task_axis = axis;
  r.task_label = task.substr(task.find('.') + 1);
  r.task_headline = headline;
  r.task_workload = "s*.f32";
  for (double c : coordinates) {
    results::TaskCell cell;
    cell.context = context;
    cell.coordinate = c;
    cell.trials = 4;
    cell.successes = c < 50 ? 4 : 2;
    cell.chance = 0.25;
    cell.canonical = r.canonical + "@" + task + ".cell-" + std::to_string(int(c));
    r.cells.push_back(cell);
  }
  return r;
}

}  // namespace

TEST_CASE("a v5 store records any task kind and gives a new kind its own view", "[results][migration]") {
  TempDir tmp;
  const std::string path = tmp.file("v5.db");
  {
    Store s = Store::open_readwrite(path);
    // A declared kind answers, empty, before its first row (run declares every registered task).
    s.declare_task("needle", "depth");
    CHECK(s.query("SELECT depth FROM needle").rows.empty());
    CHECK_THROWS_AS(s.declare_task("needle", "hops"), std::invalid_argument);
    const int64_t run = s.begin_run({});
    for (int context : {1024, 2048}) {
      s.record(run, task_row("needle", "depth", "needle.single", context, {0, 50, 100}, 1));
      s.record(run, task_row("multihop", "hops", "multihop.spread", context, {1, 2}));
      s.record(run, task_row("recall", "keys", "recall.exact", context, {8, 64}));
    }
    // Kinds and axes become SQL names: anything else is a harness bug, refused.
    CHECK_THROWS_AS(s.record(run, task_row("Recall-2", "keys", "x.y", 1024, {1})), std::invalid_argument);
    CHECK_THROWS_AS(s.record(run, task_row("recall", "context", "x.y", 1024, {1})), std::invalid_argument);
    CHECK_THROWS_AS(s.record(run, task_row("recall", "depth", "x.y", 1024, {1})), std::invalid_argument);
    CHECK_THROWS_AS(s.record(run, task_row("results", "keys", "x.y", 1024, {1})), std::invalid_argument);
    s.finish_run(run, "completed");
  }
  Store s = Store::open_readonly(path);
  CHECK(count(s, "SELECT COUNT(*) FROM needle WHERE depth = 50") == 2);
  CHECK(count(s, "SELECT COUNT(*) FROM multihop WHERE hops = 2") == 2);
  CHECK(count(s, "SELECT COUNT(*) FROM recall WHERE keys = 64 AND accuracy = 0.5") == 2);
  CHECK(count(s, "SELECT COUNT(*) FROM results") == 6);  // the refused rows left nothing behind
  CHECK(s.query("SELECT * FROM recall").columns ==
        std::vector<std::string>{"run_id", "result_id", "backend", "variant", "design", "dtype", "task", "context",
                                 "keys", "trials", "successes", "accuracy", "chance", "kv_cache_bytes_per_token",
                                 "canonical"});

  // Its leaderboard groups both contexts into one row under the harness's group key.
  results::TaskFilter filter;
  filter.kind = "recall";
  const auto board = results::task_leaderboard(s, filter);
  CHECK(results::format(board, results::Format::csv) ==
        "rank,design,backend,dtype,task,workload,recall_acc,eff_context,1K,2K,chance,trials_per_cell,"
        "kv_cache_bytes_per_token,sequence_bytes,run_id\n"
        "1,attention/toy,cpu,f32,recall.exact,s*.f32,0.75,0,0.75,0.75,0.25,4,0,,1\n");
  filter.kind = "bad kind";
  CHECK_THROWS_AS(results::summarize_tasks(s, filter), InputError);

  // Headline rows of the kind the harness names show beside speed.
  results::LeaderboardOptions perf;
  perf.headline_task = "needle";
  const auto columns = results::leaderboard(s, perf).columns;
  CHECK(std::find(columns.begin(), columns.end(), "needle_acc") != columns.end());
  CHECK(std::find(columns.begin(), columns.end(), "needle_task") != columns.end());
  perf.headline_task = "";
  CHECK(results::leaderboard(s, perf).columns.back() == "run_id");
}
