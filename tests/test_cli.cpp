// The archbench binary end to end: run + store + leaderboard, reproducing a
// stored problem, refusals, bad input (exit 2, database unchanged), read-only
// query, crash safety of the database when a run is killed, and run --dry-run.
#include "harness/runner.hpp"
#include "results/format.hpp"
#include "results/store.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>
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
  CHECK_THAT(r.output, Catch::Contains("kind  shape"));  // one backend: named in the note
  CHECK_THAT(r.output, Catch::Contains("(every row: backend cpu"));
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
      {"run --dry-run --backend tpu", "--backend: 'tpu' is not one of cpu, vulkan, all"},
      {"run --dry-run --suite " + bad_suite, bad_suite + ":3:10: 'dtypes' expects a list of strings"},
      {"run --dry-run=yes", "option '--dry-run' does not take any arguments"},
      {"leaderboard --metric speed", "speed"},
      {"leaderboard --format xml", "--format: 'xml' is not one of table, csv, json, jsonl, md"},
      {"list things", "'things' is not one of plugins, variants, suites, tasks, presets, backends"},
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

namespace {

// The planned lines of a --dry-run ("<row>  <backend>  <suite>") and the count
// its summary line states.
struct DryRun {
  std::vector<std::string> rows, skipped;
  long stated = -1;
};

DryRun parse_dry_run(const std::string& output) {
  DryRun out;
  const std::regex row("(\\S+)  (cpu|vulkan)  (\\S+)");
  const std::regex summary("dry run: (\\d+) planned \\(\\d+ problems, \\d+ task rows\\), estimated .+; nothing was run");
  std::istringstream lines(output);
  std::smatch m;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_match(line, m, row)) out.rows.push_back(m[1].str() + " " + m[2].str() + " " + m[3].str());
    else if (line.rfind("skipped: ", 0) == 0) out.skipped.push_back(line);
    else if (std::regex_match(line, m, summary)) out.stated = std::stol(m[1].str());
  }
  return out;
}

}  // namespace

TEST_CASE("run --dry-run lists the plan with its count and estimate - runs nothing - writes no database", "[cli]") {
  TempDir tmp;
  const std::string db = tmp.file("dry.db");
  const auto r = run_cli("run --dry-run --backend cpu --db " + db);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(!std::filesystem::exists(db));
  const DryRun dry = parse_dry_run(r.output);
  CHECK(dry.stated == long(dry.rows.size()));
  // The same plan the planner makes from the registry: the default suite, quick.
  archbench::RunRequest request;
  request.backends = {AB_BACKEND_CPU};
  const auto plan = archbench::plan_run(request, test_support::in_tree());
  REQUIRE(dry.rows.size() == plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    const std::string text = plan[i].problem.canonical() + (plan[i].task ? "@" + plan[i].task->canonical() : "");
    CHECK(dry.rows[i] == text + " cpu quick");
  }
  CHECK(r.output.find("passed") == std::string::npos);

  // An existing database is left exactly as it was: no run row, no WAL, same bytes.
  REQUIRE(run_cli("run --quick --backend cpu --problem " + quoted(small_ffn) + " --db " + db).exit_code == 0);
  auto listing = [&] {
    std::string files;
    for (const auto& entry : std::filesystem::directory_iterator(tmp.path))
      files += entry.path().filename().string() + ":" + std::to_string(entry.file_size()) + " ";
    return files;
  };
  auto bytes = [&] {
    std::ifstream in(db, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  };
  const std::string files_before = listing(), bytes_before = bytes();
  const auto mtime_before = std::filesystem::last_write_time(db);
  const auto again = run_cli("run --dry-run --backend cpu --problem " + quoted(small_ffn) + " --db " + db);
  CHECK(again.exit_code == 0);
  CHECK(parse_dry_run(again.output).rows == std::vector<std::string>{small_ffn + " cpu adhoc"});
  CHECK(listing() == files_before);
  CHECK(bytes() == bytes_before);
  CHECK(std::filesystem::last_write_time(db) == mtime_before);
  CHECK(scalar(db, "SELECT count(*) FROM runs") == "1");
  CHECK_THAT(run_cli("run --help").output, Catch::Contains("--dry-run"));
}

TEST_CASE("issue 12: a new norm without residual does not break the default run - dry-run reports the skipped pair", "[cli]") {
  TempDir tmp;
  const std::string new_norm = std::string(ARCHBENCH_MOCK_DIR) + "/new_norm";
  const auto dry = run_cli("run --dry-run --backend cpu --plugin-dir " + new_norm + " --db " + tmp.file("x.db"));
  INFO(dry.output);
  REQUIRE(dry.exit_code == 0);
  const DryRun parsed = parse_dry_run(dry.output);
  CHECK(parsed.stated == long(parsed.rows.size()));
  size_t dyt_rows = 0;
  for (const std::string& row : parsed.rows) dyt_rows += row.rfind("norm/dyt:", 0) == 0;
  CHECK(dyt_rows == 2);  // f32 and bf16; residual = [0, 1] does not double them
  REQUIRE(parsed.skipped.size() == 1);
  CHECK_THAT(parsed.skipped[0], Catch::Matches("skipped: norm/dyt has no parameter 'residual' \\(.*suites/quick\\.toml:14:1\\); planned without it"));
  CHECK(!std::filesystem::exists(tmp.file("x.db")));
  // And for real: its f32 row passes, bf16 (which it does not declare) is unimplemented.
  const auto run = run_cli("run --quick --backend cpu --variant 'norm/dyt' --plugin-dir " + new_norm + " --db " + tmp.file("y.db"));
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("1 passed, 0 failed, 1 unimplemented"));
}

TEST_CASE("a plugin's suite.toml joins the default run - a bad one is exit 2 naming its file", "[cli]") {
  TempDir tmp;
  const auto folder = tmp.path / "new_norm";
  std::filesystem::create_directories(folder);
  std::filesystem::copy(std::string(ARCHBENCH_MOCK_DIR) + "/new_norm/libmock_new_norm.so", folder);
  std::ofstream(folder / "suite.toml") << "[[problems]]\nvariant = \"norm/dyt\"\n[problems.params]\ntokens = 8\nd_model = 16\n";
  const std::string args = " --backend cpu --variant 'norm/dyt' --plugin-dir " + tmp.path.string() + " --db " + tmp.file("z.db");
  const auto dry = run_cli("run --dry-run" + args);
  INFO(dry.output);
  CHECK(dry.exit_code == 0);
  const DryRun parsed = parse_dry_run(dry.output);
  CHECK(std::count(parsed.rows.begin(), parsed.rows.end(), "norm/dyt:n1024.t8.dm16.f32 cpu quick") == 1);
  std::ofstream(folder / "suite.toml", std::ios::trunc) << "[[problems]]\nvariant = \"norm/dyt\"\nrepetitions = 2\n";
  const auto bad = run_cli("run --dry-run" + args);
  CHECK(bad.exit_code == 2);
  CHECK(bad.output == "archbench: " + (folder / "suite.toml").string() +
                          ":3:15: unknown key 'repetitions' in [[problems]] (expected variant, dtypes, backends, seed, "
                          "params, measure, quick, task, require)\n");
  CHECK(!std::filesystem::exists(tmp.file("z.db")));
}
