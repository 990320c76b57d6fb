// The archbench binary end to end: run + store + leaderboard, reproducing a
// stored problem, refusals, bad input (exit 2, database unchanged), read-only
// query, and crash safety of the database when a run is killed.
#include "results/format.hpp"
#include "results/store.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

using test_support::run_cli;
using test_support::quoted;
using test_support::TempDir;

namespace {

const std::string small_ffn = "ffn/swiglu:t8.dm64.dff96.f32";
const std::string mock_dir = std::string(ARCHBENCH_MOCK_DIR) + "/misbehaving";

std::string scalar(const std::string& db, const std::string& sql) {
  auto store = archbench::results::Store::open_readonly(db);
  const auto result = store.query(sql);
  REQUIRE(result.rows.size() == 1);
  return archbench::results::display_cell(result.rows[0][0]);
}

}  // namespace

TEST_CASE("run stores a passed result with provenance and prints plain progress and a leaderboard", "[cli]") {
  TempDir tmp;
  const std::string db = tmp.file("a.db");
  const auto r = run_cli("run --quick --backend cpu --problem " + quoted(small_ffn) + " --problem 'norm/rmsnorm:t4.dm32.bf16' --db " + db);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Matches("(.|\n)*\\[1/2\\] ffn/swiglu:t8\\.dm64\\.dff96\\.f32 \\[cpu\\] passed  [0-9.]+ (us|ms)(.|\n)*"));
  CHECK_THAT(r.output, Catch::Contains("kind  backend  shape"));
  CHECK_THAT(r.output, Catch::Contains("2 passed, 0 failed, 0 unimplemented, 0 skipped, 0 crashed, 0 timed-out"));
  CHECK(r.output.find('\r') == std::string::npos);  // no bar redraws when not on a terminal
  CHECK(scalar(db, "SELECT count(*) FROM runs") == "1");
  CHECK(scalar(db, "SELECT status FROM runs") == "completed");
  CHECK(scalar(db, "SELECT count(*) FROM results WHERE outcome = 'passed'") == "2");
  CHECK(scalar(db, "SELECT count(*) FROM samples") == "6");  // --quick: 3 repetitions each
  CHECK_THAT(scalar(db, "SELECT plugins_json FROM runs"), Catch::Contains("\"name\":\"ffn\""));
  CHECK(scalar(db, "SELECT onednn_version FROM runs") != "");
  CHECK_THAT(scalar(db, "SELECT command_line FROM runs"), Catch::Contains("--problem"));
}

TEST_CASE("a problem string copied from the database reproduces that problem", "[cli]") {
  TempDir tmp;
  const std::string db = tmp.file("b.db");
  REQUIRE(run_cli("run --quick --backend cpu --problem 'norm/layernorm:res1.dm48.t3' --db " + db).exit_code == 0);
  const std::string canonical = scalar(db, "SELECT canonical FROM problems");
  CHECK(canonical == "norm/layernorm:t3.dm48.eps1e-05.res1.f32");
  const auto again = run_cli("run --quick --backend cpu --problem " + quoted(canonical) + " --db " + db);
  CHECK(again.exit_code == 0);
  CHECK(scalar(db, "SELECT count(DISTINCT problem_id) FROM results") == "1");
  CHECK(scalar(db, "SELECT count(*) FROM results WHERE outcome = 'passed'") == "2");
  CHECK(scalar(db, "SELECT max(nmse) = min(nmse) FROM results") == "1");  // same seed, same inputs
}

TEST_CASE("a garbage library in the plugin directory is refused in one line and the run passes", "[cli]") {
  TempDir tmp;
  std::filesystem::create_directories(tmp.path / "junk");
  std::ofstream(tmp.path / "junk" / "libjunk.so") << "garbage";
  const auto r = run_cli("run --quick --backend cpu --plugin-dir " + tmp.path.string() + " --problem " + quoted(small_ffn) + " --db " + tmp.file("c.db"));
  CHECK(r.exit_code == 0);
  size_t refusals = 0;
  for (size_t at = r.output.find("refused plugin"); at != std::string::npos; at = r.output.find("refused plugin", at + 1)) ++refusals;
  CHECK(refusals == 1);
  CHECK_THAT(r.output, Catch::Contains("refused plugin " + tmp.path.string() + "/junk/libjunk.so: not a loadable shared library"));
}

TEST_CASE("query is read-only: a write exits 2 and changes nothing", "[cli]") {
  TempDir tmp;
  const std::string db = tmp.file("d.db");
  REQUIRE(run_cli("run --quick --backend cpu --problem " + quoted(small_ffn) + " --db " + db).exit_code == 0);
  for (const char* sql : {"DELETE FROM runs", "DROP TABLE results", "UPDATE results SET outcome = 'failed'",
                          "INSERT INTO runs(started_at) VALUES ('x')"}) {
    const auto r = run_cli("query " + quoted(sql) + " --db " + db);
    INFO(sql << " -> " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
  CHECK(scalar(db, "SELECT count(*) FROM runs") == "1");
  CHECK(scalar(db, "SELECT count(*) FROM results WHERE outcome = 'passed'") == "1");
  const auto json = run_cli("query 'SELECT canonical, outcome FROM results JOIN problems p ON p.id = problem_id' --format json --db " + db);
  CHECK(json.exit_code == 0);
  CHECK_THAT(json.output, Catch::Contains("\"canonical\": \"" + small_ffn + "\""));
}

TEST_CASE("bad input: one line naming the flag or value - exit 2 - database untouched", "[cli]") {
  TempDir tmp;
  const std::string db = tmp.file("e.db");
  REQUIRE(run_cli("run --quick --backend cpu --problem " + quoted(small_ffn) + " --db " + db).exit_code == 0);
  const std::string bad_suite = tmp.file("bad.toml");
  std::ofstream(bad_suite) << "[[problems]]\nvariant = \"ffn/*\"\ndtypes = \"f32\"\n";
  const std::pair<std::string, std::string> cases[] = {
      {"run --backend tpu", "--backend: 'tpu' is not one of cpu, vulkan, all"},
      {"run --backend cpu --device 0", "--device applies to the vulkan backend"},
#ifdef ARCHBENCH_HAVE_VULKAN
      {"run --backend vulkan --device 7", "--device 7: expected 0.."},
#else
      {"run --backend vulkan", "--backend vulkan: the Vulkan backend is unavailable: this archbench was built without"},
#endif
      {"run --problem 'ffn/swiglu:t0'", "tokens = 0 is outside"},
      {"run --problem 'ffn/nope'", "unknown variant 'ffn/nope'"},
      {"run --suite no-such-suite", "no suite file 'no-such-suite'"},
      {"run --suite " + bad_suite, bad_suite + ":3:10: 'dtypes' expects a list of strings"},
      {"run --frobnicate", "unrecognised option '--frobnicate'"},
      {"run --threads -3", "--threads: expected a positive count"},
      {"leaderboard --metric speed", "speed"},
      {"leaderboard --format xml", "--format: 'xml' is not one of table, csv, json, md"},
      {"list things", "'things' is not one of plugins, variants, suites, tasks, backends"},
      {"compare 1", "expected two run ids"},
      {"frobnicate", "unknown command 'frobnicate'"},
  };
  for (const auto& [args, expected] : cases) {
    const auto r = run_cli(args + " --db " + db);
    INFO(args << " -> " << r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(expected));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
  CHECK(scalar(db, "SELECT count(*) FROM runs") == "1");
  CHECK(scalar(db, "SELECT count(*) FROM results") == "1");
  const auto missing = run_cli("query 'SELECT 1' --db " + tmp.file("missing.db"));
  CHECK(missing.exit_code == 2);
  CHECK(!std::filesystem::exists(tmp.file("missing.db")));
}

TEST_CASE("exit code 1 when a problem fails - the failure is stored - never ranked", "[cli]") {
  TempDir tmp;
  const std::string db = tmp.file("f.db");
  const auto r = run_cli("run --quick --backend cpu --plugin-dir " + mock_dir + " --problem 'mock/wrong:n64' --problem 'mock/copy:n64' --db " + db);
  CHECK(r.exit_code == 1);
  CHECK(scalar(db, "SELECT outcome FROM results r JOIN problems p ON p.id = r.problem_id WHERE p.variant = 'mock/wrong'") == "failed");
  const auto board = run_cli("leaderboard --kind mock --format csv --db " + db);
  CHECK(board.exit_code == 0);
  CHECK_THAT(board.output, Catch::Contains("mock/copy"));
  CHECK(board.output.find("mock/wrong") == std::string::npos);
}

TEST_CASE("killing a run mid-way keeps every finished problem in a database that opens", "[cli]") {
  TempDir tmp;
  const std::string db = tmp.file("g.db");
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);  // its own group, so the test can kill the run and its child together
    execl(ARCHBENCH_BINARY, ARCHBENCH_BINARY, "run", "--quick", "--backend", "cpu", "--plugin-dir", mock_dir.c_str(),
          "--problem", "mock/copy:n64", "--problem", "mock/copy:n128", "--problem", "mock/hang:n64",
          "--db", db.c_str(), (char*)nullptr);
    _exit(127);
  }
  setpgid(pid, pid);
  // Wait until both copies are committed and the hang is in flight, then kill everything.
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    try {
      ready = std::filesystem::exists(db) && scalar(db, "SELECT count(*) FROM results") == "2";
    } catch (...) {
    }
  }
  REQUIRE(ready);
  kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));
  auto store = archbench::results::Store::open_readwrite(db);  // opens after the kill
  CHECK(scalar(db, "SELECT count(*) FROM results WHERE outcome = 'passed'") == "2");
  CHECK(scalar(db, "SELECT status FROM runs") == "running");  // never finished, visibly
}
