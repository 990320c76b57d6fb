// `archbench query` within bounds (issue 13, item 4): a time limit, a row limit
// and a byte limit, each ending a runaway statement with one line and exit 2,
// the database unchanged. Store::query(sql, QueryLimits) is what the command uses.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "harness/errors.hpp"
#include "results/store.hpp"
#include "test_support.hpp"

using archbench::InputError;
using archbench::results::QueryLimits;
using archbench::results::Store;
using test_support::quoted;
using test_support::run_cli_with;
using test_support::TempDir;

namespace {

// Counts forever; only a bound ends it.
const std::string endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) ";

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A database written by `archbench run` (so WAL, the real schema), read-only.
std::string make_database(const TempDir& tmp) {
  const std::string db = tmp.file("q.db");
  { Store::open_readwrite(db).begin_run({}); }
  return db;
}

}  // namespace

TEST_CASE("a query past its time limit stops with one error", "[results][query-limits]") {
  TempDir tmp;
  const auto store = Store::open_readonly(make_database(tmp));
  QueryLimits limits;
  limits.timeout_s = 0.3;
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(store.query(endless + "SELECT count(*) FROM c", limits), InputError);
  CHECK(seconds_since(start) < 20);  // generous: a loaded machine, but not forever
  CHECK_THROWS_WITH(store.query(endless + "SELECT count(*) FROM c", limits),
                    "query: stopped at the time limit of 0.3 s; narrow the query or add a LIMIT, "
                    "or raise the limit with --timeout");
  // The handler is gone afterwards: the same connection still answers.
  CHECK(store.query("SELECT 1 + 1").rows.at(0).at(0) == archbench::results::Cell{int64_t(2)});
}

TEST_CASE("a query with more rows than its limit is refused - the limit itself is fine", "[results][query-limits]") {
  TempDir tmp;
  const auto store = Store::open_readonly(make_database(tmp));
  QueryLimits limits;
  limits.max_rows = 1000;
  CHECK(store.query(endless + "SELECT x FROM c LIMIT 1000", limits).rows.size() == 1000);
  CHECK_THROWS_WITH(store.query(endless + "SELECT x FROM c", limits),
                    "query: more than 1000 rows; add a LIMIT or a WHERE, or raise the limit with --max-rows");
}

TEST_CASE("a result or a value larger than the byte limit is refused", "[results][query-limits]") {
  TempDir tmp;
  const auto store = Store::open_readonly(make_database(tmp));
  QueryLimits limits;
  limits.max_bytes = 1024 * 1024;
  CHECK(store.query(endless + "SELECT randomblob(1000) FROM c LIMIT 100", limits).rows.size() == 100);
  CHECK_THROWS_WITH(store.query(endless + "SELECT randomblob(1000) FROM c LIMIT 5000", limits),
                    Catch::StartsWith("query: the result exceeds the memory limit of 1 MiB after "));
  // One value built inside sqlite, before any row reaches the cap above.
  CHECK_THROWS_WITH(store.query("SELECT length(zeroblob(2000000) || 'x')", limits),
                    "query: a value would exceed the memory limit of 1 MiB; raise it with --max-mb");
  CHECK(store.query("SELECT length(zeroblob(2000000) || 'x')").rows.size() == 1);  // lifted after
}

TEST_CASE("archbench query: an endless query ends with one line - exit 2 - database unchanged", "[cli][query-limits]") {
  TempDir tmp;
  const std::string db = make_database(tmp);
  const std::string before = bytes_of(db);
  // `timeout` only guards the test itself against a query that never ends.
  auto query = [&](const std::string& args) { return run_cli_with("timeout 60 ", "query " + args + " --db " + db); };
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {quoted(endless + "SELECT count(*) FROM c") + " --timeout 0.5", "query: stopped at the time limit of 0.5 s"},
      {quoted(endless + "SELECT x FROM c"), "query: more than 100000 rows"},  // the default limit
      {quoted(endless + "SELECT x FROM c") + " --max-rows 10", "query: more than 10 rows"},
      {quoted(endless + "SELECT randomblob(4096) FROM c") + " --max-mb 1",
       "query: the result exceeds the memory limit of 1 MiB"},
      {quoted("SELECT zeroblob(300000000)"), "query: a value would exceed the memory limit of 256 MiB"},
      {"'SELECT 1' --timeout 0", "--timeout: expected seconds in (0, 86400], got 0"},
      {"'SELECT 1' --timeout nan", "--timeout: expected seconds in (0, 86400], got nan"},
      {"'SELECT 1' --max-rows 0", "--max-rows: expected a positive count, got 0"},
      {"'SELECT 1' --max-mb -1", "--max-mb: expected MiB in (0, 2047], got -1"},
  };
  for (const Case& c : cases) {
    const auto start = std::chrono::steady_clock::now();
    const auto r = query(c.args);
    INFO(c.args << " -> " << r.output.substr(0, 400));  // a failure may have printed megabytes
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
    CHECK_THAT(r.output, Catch::StartsWith("archbench: " + c.expected));
    CHECK(seconds_since(start) < 60);
  }
  const auto fine = query(quoted(endless + "SELECT x FROM c LIMIT 3") + " --format csv --max-rows 3");
  CHECK(fine.exit_code == 0);
  CHECK(fine.output == "x\n1\n2\n3\n");
  CHECK((bytes_of(db) == before));
}
