// Tests for results/: schema and migrations, crash-safe recording, the read-only
// query guard, leaderboard ranking, and the output formats.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "harness/errors.hpp"
#include "results/format.hpp"
#include "results/compare.hpp"
#include "results/leaderboard.hpp"
#include "results/migrations.hpp"
#include "results/store.hpp"

namespace fs = std::filesystem;
using namespace archbench::results;
using archbench::InputError;

namespace {

// A fresh directory per test, removed afterwards.
struct TempDir {
  fs::path dir;
  TempDir() {
    char tmpl[] = "/tmp/archbench-results-test-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(dir); }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

ResultRecord result(const std::string& canonical, const std::string& backend,
                    const std::string& outcome, double tokens_per_s, double median_s) {
  ResultRecord r;
  r.canonical = canonical;
  const size_t slash = canonical.find('/'), colon = canonical.find(':');
  r.variant = canonical.substr(slash + 1, colon - slash - 1);
  r.kind = canonical.substr(0, canonical.find('/'));
  r.shape = canonical.substr(colon + 1);  // the harness's Problem::shape(); no workload: all of it ranks
  r.dtype = "f32";
  r.params_json = R"({"t":512})";
  r.backend = backend;
  r.suite = "default";
  r.outcome = outcome;
  r.tokens_per_s = tokens_per_s;
  r.median_s = median_s;
  r.gflops = tokens_per_s * 2;
  r.samples = {median_s, median_s * 1.1, median_s * 0.9};
  return r;
}

int64_t count(const Store& s, const std::string& table) {
  return std::get<int64_t>(s.query("SELECT count(*) FROM " + table).rows.at(0).at(0));
}

// The value of column `name` in row `row` as display text (NULL -> "").
std::string at(const QueryResult& q, size_t row, const std::string& name) {
  auto it = std::find(q.columns.begin(), q.columns.end(), name);
  REQUIRE(it != q.columns.end());
  return display_cell(q.rows.at(row).at(it - q.columns.begin()));
}

std::string schema_text(const Store& s) {
  std::string out;
  for (auto& row : s.query("SELECT sql FROM sqlite_master ORDER BY name").rows)
    if (auto* t = std::get_if<std::string>(&row[0])) out += *t + ";\n";
  return out;
}

int64_t schema_cookie(const Store& s) {  // bumped by sqlite on every schema change
  return std::get<int64_t>(s.query("PRAGMA schema_version").rows.at(0).at(0));
}

// A raw connection with only the given migrations applied (the test hook).
void make_db_with(const std::string& path, std::span<const Migration> scripts) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  try {
    migrate(db, path, scripts);
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
  sqlite3_close(db);
}

void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("a fresh database has the latest schema - WAL and foreign keys", "[results]") {
  TempDir tmp;
  auto s = Store::open_readwrite(tmp.file("a.db"));
  CHECK(latest_schema_version() >= 1);
  CHECK(s.schema_version() == latest_schema_version());
  CHECK(std::get<std::string>(s.query("PRAGMA journal_mode").rows.at(0).at(0)) == "wal");
  auto tables = s.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  std::string names;
  for (auto& r : tables.rows) names += std::get<std::string>(r[0]) + " ";
  CHECK(names == "calibrations model_estimate_parts model_estimates problem_params problems result_figures results runs samples task_cells task_kinds ");
  // foreign_keys is on: a result for a run that does not exist is rejected
  CHECK_THROWS(s.record(999, result("ffn/swiglu:t1.f32", "cpu", "passed", 1, 1)));
  CHECK(count(s, "results") == 0);
  CHECK(count(s, "problems") == 0);  // the upsert was rolled back with it

  auto mem = Store::open_readwrite(":memory:");  // handy for callers' own tests
  CHECK(mem.schema_version() == latest_schema_version());
  Store moved = std::move(mem);
  CHECK(count(moved, "runs") == 0);
}

TEST_CASE("reopening an up-to-date database leaves it untouched", "[results]") {
  TempDir tmp;
  const auto path = tmp.file("a.db");
  std::string schema;
  int64_t cookie = 0;
  {
    auto s = Store::open_readwrite(path);
    s.record(s.begin_run({}), result("ffn/swiglu:t1.f32", "cpu", "passed", 1, 1));
    schema = schema_text(s);
    cookie = schema_cookie(s);
  }
  // data_version, read on one connection, changes when any OTHER connection commits.
  sqlite3* watcher = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &watcher) == SQLITE_OK);
  auto data_version = [&] {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(watcher, "PRAGMA data_version", -1, &st, nullptr);
    sqlite3_step(st);
    const int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  };
  const int64_t before = data_version();
  auto s = Store::open_readwrite(path);
  CHECK(data_version() == before);  // opening wrote nothing, not even a no-op commit
  sqlite3_close(watcher);
  CHECK(s.schema_version() == latest_schema_version());
  CHECK(schema_cookie(s) == cookie);
  CHECK(schema_text(s) == schema);
  CHECK(count(s, "results") == 1);
}

TEST_CASE("migrations run forward from an older database", "[results]") {
  TempDir tmp;
  const auto all = migrations();

  SECTION("every older version is brought to the latest by open_readwrite") {
    for (size_t k = 0; k < all.size(); ++k) {
      const auto path = tmp.file("v" + std::to_string(k) + ".db");
      make_db_with(path, all.first(k));
      auto s = Store::open_readwrite(path);
      CHECK(s.schema_version() == latest_schema_version());
      CHECK(count(s, "results") == 0);
    }
  }

  SECTION("an appended migration applies once and keeps the data") {
    const auto path = tmp.file("a.db");
    {
      auto s = Store::open_readwrite(path);
      RunInfo info;
      info.host = "h1";
      s.begin_run(info);
    }
    std::vector<Migration> next(all.begin(), all.end());
    next.push_back("ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT 'old';"
                   "CREATE TABLE extra (a INTEGER);");
    make_db_with(path, next);
    make_db_with(path, next);  // second time: nothing to do (would fail: duplicate column)
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    CHECK(read_user_version(db) == static_cast<int>(next.size()));
    sqlite3_close(db);
    // the current code knows fewer migrations than the file now has
    CHECK_THROWS_AS(Store::open_readwrite(path), InputError);
  }

  SECTION("a failing migration rolls back completely") {
    const auto path = tmp.file("a.db");
    make_db_with(path, all);
    std::vector<Migration> next(all.begin(), all.end());
    next.push_back("CREATE TABLE half_done (a); THIS IS NOT SQL;");
    CHECK_THROWS(make_db_with(path, next));
    auto s = Store::open_readwrite(path);
    CHECK(s.schema_version() == latest_schema_version());
    CHECK(s.query("SELECT name FROM sqlite_master WHERE name = 'half_done'").rows.empty());
  }
}

TEST_CASE("a database newer than this build is refused", "[results]") {
  TempDir tmp;
  const auto path = tmp.file("new.db");
  { Store::open_readwrite(path); }
  const int newer = latest_schema_version() + 5;
  raw_exec(path, "PRAGMA user_version = " + std::to_string(newer));
  const std::string expected = path + ": database schema version " + std::to_string(newer) +
                               " is newer than this archbench (" +
                               std::to_string(latest_schema_version()) + "); upgrade archbench";
  CHECK_THROWS_WITH(Store::open_readwrite(path), expected);
  CHECK_THROWS_WITH(Store::open_readonly(path), expected);
  CHECK_THROWS_AS(Store::open_readonly(path), InputError);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  CHECK(read_user_version(db) == newer);  // untouched
  sqlite3_close(db);
}

TEST_CASE("bad database paths are input errors naming the file", "[results]") {
  TempDir tmp;
  const auto missing = tmp.file("missing.db");
  CHECK_THROWS_AS(Store::open_readonly(missing), InputError);
  CHECK_THROWS_WITH(Store::open_readonly(missing), Catch::Contains(missing));
  CHECK_FALSE(fs::exists(missing));  // read-only never creates

  const auto text = tmp.file("notes.txt");
  std::ofstream(text) << "this is not a database, just some text that is long enough\n";
  CHECK_THROWS_AS(Store::open_readonly(text), InputError);
  CHECK_THROWS_AS(Store::open_readwrite(text), InputError);
  CHECK_THROWS_WITH(Store::open_readwrite(text), Catch::Contains(text));

  const auto nodir = tmp.file("no/such/dir/a.db");
  CHECK_THROWS_AS(Store::open_readwrite(nodir), InputError);
  CHECK_THROWS_WITH(Store::open_readwrite(nodir), Catch::Contains(nodir));

  const auto empty = tmp.file("empty.db");
  raw_exec(empty, "CREATE TABLE unrelated (a)");
  CHECK_THROWS_WITH(Store::open_readonly(empty), Catch::Contains("not an archbench database"));
}

TEST_CASE("record() commits at once: a second connection sees the rows", "[results]") {
  TempDir tmp;
  const auto path = tmp.file("a.db");
  auto rw = Store::open_readwrite(path);
  RunInfo info;
  info.host = "box";
  info.git_sha = "0123456789abcdef0123";
  info.threads = 8;
  const int64_t run = rw.begin_run(info);
  auto r = result("ffn/swiglu:t512.f32", "cpu", "passed", 100, 0.01);
  r.nmse = 1e-6;
  rw.record(run, r);
  rw.record(run, result("ffn/swiglu:t512.f32", "vulkan", "passed", 50, 0.02));

  auto ro = Store::open_readonly(path);  // while rw is still open, nothing closed or checkpointed
  CHECK(count(ro, "results") == 2);
  CHECK(count(ro, "problems") == 1);  // same canonical -> one problems row
  CHECK(count(ro, "samples") == 6);
  auto q = ro.query("SELECT backend, median_s, nmse, max_abs, iterations FROM results ORDER BY id");
  CHECK(std::get<std::string>(q.rows[0][0]) == "cpu");
  CHECK(std::get<double>(q.rows[0][1]) == 0.01);
  CHECK(std::get<double>(q.rows[0][2]) == 1e-6);
  CHECK(std::holds_alternative<std::monostate>(q.rows[0][3]));  // nullopt -> NULL
  CHECK(std::get<int64_t>(q.rows[0][4]) == 0);

  auto runs = ro.query("SELECT status, started_at, finished_at, host, threads FROM runs");
  CHECK(std::get<std::string>(runs.rows[0][0]) == "running");
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  CHECK(std::regex_match(std::get<std::string>(runs.rows[0][1]), iso));
  CHECK(std::holds_alternative<std::monostate>(runs.rows[0][2]));
  CHECK(std::get<int64_t>(runs.rows[0][4]) == 8);

  rw.finish_run(run, "completed");
  runs = ro.query("SELECT status, finished_at FROM runs");
  CHECK(std::get<std::string>(runs.rows[0][0]) == "completed");
  CHECK(std::regex_match(std::get<std::string>(runs.rows[0][1]), iso));

  CHECK_THROWS(rw.record(run, result("ffn/swiglu:t512.f32", "cpu", "bogus-outcome", 1, 1)));
  CHECK(count(ro, "results") == 2);
}

TEST_CASE("record() waits for another writer instead of failing", "[results]") {
  TempDir tmp;
  const auto path = tmp.file("a.db");
  auto s = Store::open_readwrite(path);
  const int64_t run = s.begin_run({});
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  std::thread release([other] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  });
  CHECK_NOTHROW(s.record(run, result("ffn/swiglu:t1.f32", "cpu", "passed", 1, 1)));
  release.join();
  sqlite3_close(other);
  CHECK(count(s, "results") == 1);
}

TEST_CASE("a killed recording process keeps what it committed", "[results]") {
  TempDir tmp;
  const auto path = tmp.file("a.db");
  { Store::open_readwrite(path); }  // created up front, like `archbench run` does
  const bool sigkill = GENERATE(true, false);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {  // child: no Catch2 macros, never return into the test runner
    try {
      auto s = Store::open_readwrite(path);
      const int64_t run = s.begin_run({});
      s.record(run, result("ffn/swiglu:t512.f32", "cpu", "passed", 100, 0.01));
      s.record(run, result("ffn/gelu:t512.f32", "cpu", "failed", 10, 0.1));
      if (sigkill) kill(getpid(), SIGKILL);
      _exit(7);  // no destructors: the connection is never closed
    } catch (...) {
      _exit(100);
    }
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  if (sigkill) {
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
  } else {
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 7);
  }
  {
    auto ro = Store::open_readonly(path);
    CHECK(count(ro, "results") == 2);
    CHECK(count(ro, "samples") == 6);
    CHECK(std::get<std::string>(ro.query("SELECT status FROM runs").rows.at(0).at(0)) == "running");
  }
  auto rw = Store::open_readwrite(path);  // and the next run can carry on
  CHECK(count(rw, "results") == 2);
}

TEST_CASE("query() on a read-only store reads but never writes", "[results]") {
  TempDir tmp;
  const auto path = tmp.file("a.db");
  {
    auto rw = Store::open_readwrite(path);
    const int64_t run = rw.begin_run({});
    rw.record(run, result("ffn/swiglu:t512.f32", "cpu", "passed", 100, 0.01));
    rw.record(run, result("ffn/gelu:t512.f32", "cpu", "passed", 90, 0.02));
  }
  auto ro = Store::open_readonly(path);
  auto q = ro.query("SELECT p.canonical, r.median_s, r.id FROM results r JOIN problems p "
                    "ON p.id = r.problem_id ORDER BY r.id");
  REQUIRE(q.columns == std::vector<std::string>{"canonical", "median_s", "id"});
  REQUIRE(q.rows.size() == 2);
  CHECK(std::get<std::string>(q.rows[1][0]) == "ffn/gelu:t512.f32");
  CHECK(std::get<double>(q.rows[1][1]) == 0.02);
  CHECK(std::get<int64_t>(q.rows[1][2]) == 2);
  CHECK(ro.query("PRAGMA table_info(runs)").rows.size() > 5);  // reading pragmas is fine

  const auto other = tmp.file("other.db"), copy = tmp.file("copy.db");
  const std::string writes[] = {
      "DELETE FROM results",
      "INSERT INTO runs (started_at, status) VALUES ('x', 'y')",
      "UPDATE results SET outcome = 'failed'",
      "DROP TABLE samples",
      "CREATE TABLE t (a)",
      "CREATE TEMP TABLE t (a)",
      "PRAGMA user_version = 42",
      "ATTACH DATABASE '" + other + "' AS other",
      "DETACH DATABASE main",
      "VACUUM INTO '" + copy + "'",
      "  delete from results where id = 1",
      "WITH x AS (SELECT 1) DELETE FROM results",
  };
  for (const auto& sql : writes) {
    INFO(sql);
    CHECK_THROWS_AS(ro.query(sql), InputError);
    CHECK_THROWS_WITH(ro.query(sql), Catch::StartsWith("query is read-only: "));
  }
  CHECK(count(ro, "results") == 2);
  CHECK(count(ro, "runs") == 1);
  CHECK(count(ro, "samples") == 6);
  CHECK(ro.schema_version() == latest_schema_version());
  CHECK(std::get<std::string>(ro.query("SELECT outcome FROM results").rows[0][0]) == "passed");
  CHECK_FALSE(fs::exists(other));
  CHECK_FALSE(fs::exists(copy));

  // one statement only, and SQL errors are input errors carrying sqlite's words
  CHECK_THROWS_WITH(ro.query("SELECT 1; DELETE FROM results"),
                    Catch::Contains("one SQL statement"));
  CHECK(count(ro, "results") == 2);
  CHECK(ro.query("SELECT 1; -- trailing comment\n").rows.size() == 1);
  CHECK_THROWS_WITH(ro.query("SELEC 1"), Catch::Contains("syntax error"));
  CHECK_THROWS_WITH(ro.query("SELECT nope FROM runs"), Catch::Contains("no such column: nope"));
  CHECK_THROWS_AS(ro.query("   "), InputError);
}

TEST_CASE("calibrations: the newest for this backend and metric wins", "[results]") {
  TempDir tmp;
  auto s = Store::open_readwrite(tmp.file("a.db"));
  CHECK_FALSE(s.latest_calibration("cpu", "matmul_f32_gflops"));
  s.record_calibration(0, {"cpu", "matmul_f32_gflops", "GFLOP/s", 100, "first"});
  const int64_t run = s.begin_run({});
  s.record_calibration(run, {"cpu", "matmul_f32_gflops", "GFLOP/s", 150, ""});
  s.record_calibration(run, {"cpu", "memory_bandwidth_gbps", "GB/s", 20, ""});
  CHECK(s.latest_calibration("cpu", "matmul_f32_gflops") == 150.0);
  CHECK(s.latest_calibration("cpu", "memory_bandwidth_gbps") == 20.0);
  CHECK_FALSE(s.latest_calibration("vulkan", "matmul_f32_gflops"));
  CHECK(count(s, "calibrations WHERE run_id IS NULL") == 1);
}

namespace {

// Two runs over ffn variants of two shapes plus one norm problem (see the CHECKs).
struct LeaderboardDb {
  TempDir tmp;
  std::string path = tmp.file("lb.db");
  int64_t run1 = 0, run2 = 0;
  LeaderboardDb() {
    auto s = Store::open_readwrite(path);
    auto with_nmse = [](ResultRecord r, double nmse) { r.nmse = nmse; return r; };
    run1 = s.begin_run({});
    s.record(run1, with_nmse(result("ffn/swiglu:t512.f32", "cpu", "passed", 100, 0.010), 1e-3));
    s.record(run1, with_nmse(result("ffn/gelu:t512.f32", "cpu", "passed", 200, 0.005), 1e-6));
    s.record(run1, result("ffn/relu:t512.f32", "cpu", "failed", 900, 0.001));  // fastest, failed
    s.finish_run(run1, "completed");
    run2 = s.begin_run({});
    s.record(run2, with_nmse(result("ffn/swiglu:t512.f32", "cpu", "passed", 400, 0.0025), 1e-3));
    s.record(run2, result("ffn/gelu:t512.f32", "cpu", "failed", 1000, 0.001));
    s.record(run2, result("ffn/swiglu:t512.f32", "vulkan", "passed", 50, 0.02));
    s.record(run2, result("ffn/gelu:t512.f32", "vulkan", "passed", 60, 0.016));
    s.record(run2, result("ffn/swiglu:t128.f32", "cpu", "passed", 10, 0.1));
    s.record(run2, result("norm/rms:t512.f32", "cpu", "passed", 1000, 0.001));
    s.finish_run(run2, "interrupted");
  }
};

LeaderboardOptions opts(const std::string& kind, const std::string& backend,
                        const std::string& metric = "tokens_per_s",
                        std::optional<int64_t> run_id = std::nullopt) {
  LeaderboardOptions o;
  o.kind = kind;
  o.backend = backend;
  o.metric = metric;
  o.run_id = run_id;
  return o;
}

// "kind backend shape rank variant metric run_id" per row, for compact comparisons.
std::vector<std::string> rows_of(const QueryResult& q, const std::string& metric) {
  std::vector<std::string> out;
  for (size_t i = 0; i < q.rows.size(); ++i)
    out.push_back(at(q, i, "kind") + " " + at(q, i, "backend") + " " + at(q, i, "shape") + " " +
                  at(q, i, "rank") + " " + at(q, i, "design") + " " + at(q, i, metric) + " r" +
                  at(q, i, "run_id"));
  return out;
}

}  // namespace

TEST_CASE("leaderboard ranks the latest result per problem and backend - if it passed", "[results]") {
  LeaderboardDb db;
  auto s = Store::open_readonly(db.path);

  SECTION("higher is better (tokens_per_s); failed never ranked, even over an older pass") {
    LeaderboardOptions all;
    all.headline_task = "needle";  // as the CLI names it from the task registry
    auto q = leaderboard(s, all);
    CHECK(q.columns == std::vector<std::string>{"kind", "backend", "shape", "rank", "design",
                                                "tokens_per_s", "median_ms", "ci95_low_ms", "ci95_high_ms", "tied", "cv",
                                                "speed_vs_cpu", "gflops",
                                                "frac_peak_compute", "frac_peak_bandwidth", "kv_cache_bytes_per_token",
                                                "nmse", "impl", "quick", "design_short", "needle_acc", "eff_context", "needle_task", "run_id"});
    CHECK(rows_of(q, "tokens_per_s") == std::vector<std::string>{
                                            "ffn cpu t128.f32 1 swiglu 10 r2",
                                            "ffn cpu t512.f32 1 swiglu 400 r2",
                                            "ffn vulkan t512.f32 1 gelu 60 r2",
                                            // tied: samples +-10% around the medians, so the
                                            // intervals [54.5, 66.7] and [45.5, 55.6] tokens/s overlap
                                            "ffn vulkan t512.f32 1 swiglu 50 r2",
                                            "norm cpu t512.f32 1 rms 1000 r2",
                                        });
    CHECK(at(q, 3, "tied") == "1");
    CHECK(at(q, 1, "tied") == "0");
    CHECK(at(q, 1, "median_ms") == "2.5");
    // Backends side by side: vulkan swiglu takes 20 ms where the cpu took 2.5 ms.
    CHECK(at(q, 3, "speed_vs_cpu") == "0.125");
    CHECK(at(q, 1, "speed_vs_cpu") == "1");
  }
  SECTION("lower is better (median_s, nmse); missing values listed last, unranked") {
    auto q = leaderboard(s, opts("ffn", "vulkan", "median_s"));
    CHECK(rows_of(q, "median_s") == std::vector<std::string>{
                                        "ffn vulkan t512.f32 1 gelu 0.016 r2",
                                        "ffn vulkan t512.f32 2 swiglu 0.02 r2"});
    q = leaderboard(s, opts("ffn", "cpu", "nmse"));
    CHECK(rows_of(q, "nmse") == std::vector<std::string>{
                                    "ffn cpu t128.f32  swiglu  r2",
                                    "ffn cpu t512.f32 1 swiglu 0.001 r2"});
  }
  SECTION("filters and a single run") {
    auto q = leaderboard(s, opts("norm", ""));
    CHECK(rows_of(q, "tokens_per_s") ==
          std::vector<std::string>{"norm cpu t512.f32 1 rms 1000 r2"});
    q = leaderboard(s, opts("", "vulkan"));
    CHECK(q.rows.size() == 2);
    q = leaderboard(s, opts("", "", "tokens_per_s", db.run1));
    CHECK(rows_of(q, "tokens_per_s") == std::vector<std::string>{
                                            "ffn cpu t512.f32 1 gelu 200 r1",
                                            "ffn cpu t512.f32 2 swiglu 100 r1"});
  }
  SECTION("bad options are input errors") {
    CHECK_THROWS_AS(leaderboard(s, opts("", "", "speed")), InputError);
    CHECK_THROWS_WITH(leaderboard(s, opts("", "", "speed")),
                      Catch::StartsWith("--metric: 'speed' is not one of tokens_per_s, ") &&
                          Catch::Contains("nmse"));
    CHECK_THROWS_AS(leaderboard(s, opts("", "", "tokens_per_s", 77)), InputError);
    CHECK(known_metrics().size() == 7);
  }
}

TEST_CASE("list_runs and compare_runs", "[results]") {
  LeaderboardDb db;
  auto s = Store::open_readonly(db.path);
  auto runs = list_runs(s);
  REQUIRE(runs.rows.size() == 2);
  CHECK(at(runs, 0, "status") == "completed");
  CHECK(at(runs, 0, "results") == "3");
  CHECK(at(runs, 0, "passed") == "2");
  CHECK(at(runs, 0, "failed") == "1");
  CHECK(at(runs, 1, "status") == "interrupted");
  CHECK(at(runs, 1, "results") == "6");

  auto c = compare_runs(s, db.run1, db.run2).rows;
  REQUIRE(c.rows.size() == 2);  // only (problem, backend) pairs present in both runs
  CHECK(at(c, 0, "problem") == "ffn/gelu:t512.f32");
  CHECK(at(c, 0, "outcome_b") == "failed");
  CHECK(at(c, 0, "speedup") == "");  // not comparable: b failed
  CHECK(at(c, 0, "verdict") == "");
  CHECK(at(c, 1, "problem") == "ffn/swiglu:t512.f32");
  CHECK(at(c, 1, "speedup") == "4");  // 10 ms -> 2.5 ms
  CHECK(at(c, 1, "n_a") == "3");
  CHECK(at(c, 1, "verdict") == "underpowered");  // 3 samples a side cannot reach p < 0.05
  CHECK_THROWS_AS(compare_runs(s, db.run1, 99), InputError);
}

TEST_CASE("output formats", "[results]") {
  QueryResult q;
  q.columns = {"name", "n", "x"};
  q.rows = {{std::string("a,b"), int64_t{1}, 1.5},
            {std::string("say \"hi\""), int64_t{-20}, std::monostate{}},
            {std::string("plain"), int64_t{3}, 123456.7}};

  SECTION("table: aligned, numbers right, header rule") {
    CHECK(format(q, Format::table) ==
          "name        n       x\n"
          "--------  ---  ------\n"
          "a,b         1     1.5\n"
          "say \"hi\"  -20\n"
          "plain       3  123457\n");
    CHECK(format(QueryResult{{"a"}, {}}, Format::table) == "a\n-\n");
  }
  SECTION("csv: RFC 4180 quoting, full precision") {
    CHECK(format(q, Format::csv) ==
          "name,n,x\n"
          "\"a,b\",1,1.5\n"
          "\"say \"\"hi\"\"\",-20,\n"
          "plain,3,123456.7\n");
  }
  SECTION("json: array of objects in column order, parses back") {
    auto j = nlohmann::ordered_json::parse(format(q, Format::json));
    REQUIRE(j.is_array());
    REQUIRE(j.size() == 3);
    CHECK(j[0].begin().key() == "name");
    CHECK(j[0]["name"] == "a,b");
    CHECK(j[0]["n"].is_number_integer());
    CHECK(j[0]["n"] == 1);
    CHECK(j[0]["x"] == 1.5);
    CHECK(j[1]["name"] == "say \"hi\"");
    CHECK(j[1]["x"].is_null());
    CHECK(j[2]["x"] == 123456.7);
    CHECK(format(QueryResult{{"a"}, {}}, Format::json) == "[]\n");
  }
  SECTION("md: GitHub pipe table with a separator row") {
    CHECK(format(q, Format::md) ==
          "| name | n | x |\n"
          "| --- | ---: | ---: |\n"
          "| a,b | 1 | 1.5 |\n"
          "| say \"hi\" | -20 |  |\n"
          "| plain | 3 | 123457 |\n");
    QueryResult pipe{{"c"}, {{std::string("a|b")}}};
    CHECK(format(pipe, Format::md) == "| c |\n| --- |\n| a\\|b |\n");
  }
  SECTION("display precision") {
    CHECK(display_cell(int64_t{42}) == "42");
    CHECK(display_cell(2.0) == "2");
    CHECK(display_cell(0.000123456) == "0.0001235");
    CHECK(display_cell(1e-7) == "1e-07");
    CHECK(display_cell(3.14159) == "3.142");
    CHECK(display_cell(12345.0) == "12345");
    CHECK(display_cell(std::monostate{}) == "");
  }
  SECTION("parse_format") {
    CHECK(parse_format("table") == Format::table);
    CHECK(parse_format("csv") == Format::csv);
    CHECK(parse_format("json") == Format::json);
    CHECK(parse_format("md") == Format::md);
    CHECK_THROWS_AS(parse_format("xml"), InputError);
    CHECK_THROWS_WITH(parse_format("xml"), "--format: 'xml' is not one of table, csv, json, jsonl, md");
  }
}
