// Issue 13 (hardening), the loader's and the parent's side, end to end through
// the CLI: each test case names the misbehaviour it guards against (an impostor
// plugin, plugin code crashing while the parent plans, a describe() that lies,
// input that used to be ignored or echoed raw, statuses as numbers).
#include "harness/file_hash.hpp"
#include "harness/instance_runner.hpp"
#include "results/format.hpp"
#include "results/store.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using test_support::quoted;
using test_support::run_cli;
using test_support::TempDir;

namespace {

const std::string mocks = ARCHBENCH_MOCK_DIR;
const std::string small_ffn = "ffn/swiglu:t8.dm64.dff96.f32";

std::vector<std::vector<std::string>> rows(const std::string& db, const std::string& sql) {
  auto store = archbench::results::Store::open_readonly(db);
  std::vector<std::vector<std::string>> out;
  for (const auto& row : store.query(sql).rows) {
    out.emplace_back();
    for (const auto& cell : row) out.back().push_back(archbench::results::display_cell(cell));
  }
  return out;
}

size_t lines(const std::string& text) { return size_t(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("issue 13: a run with an impostor on --plugin-dir measures and ranks the in-tree ffn/swiglu - its identity recorded", "[hardening]") {
  TempDir tmp;
  const std::string db = tmp.file("impostor.db");
  const auto r = run_cli("run --quick --backend cpu --plugin-dir " + mocks + "/impostor --problem " +
                         quoted(small_ffn) + " --db " + db);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("libmock_impostor.so: variant 'ffn/swiglu' is already registered by plugin ffn"));
  const std::string ffn = std::string(ARCHBENCH_PLUGIN_DIR) + "/ffn/libarchbench_ffn.so";
  const auto stored = rows(db, "SELECT outcome, plugin_path, plugin_hash, nmse > 0, flops < 1e12 FROM results");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0][0] == "passed");
  CHECK(stored[0][1] == ffn);
  CHECK(stored[0][2] == archbench::file_sha1(ffn));
  CHECK(stored[0][3] == "1");  // the real computation: zeros against zeros would be nmse 0
  CHECK(stored[0][4] == "1");  // not the impostor's claimed 1e15 FLOPs
  CHECK_THAT(r.output, Catch::Contains("ffn/swiglu"));  // the leaderboard ranks it
  // The plugins of the run carry their hashes too.
  CHECK_THAT(rows(db, "SELECT plugins_json FROM runs")[0][0], Catch::Contains("\"hash\":\"sha1:"));
}

TEST_CASE("issue 13: plugin code that crashes while planning costs only its problem - recorded crashed - exit 1", "[hardening]") {
  TempDir tmp;
  const std::string db = tmp.file("crash.db");
  const std::string args = "--quick --backend cpu --plugin-dir " + mocks + "/planning_crash --problem mock/validate-crash:n13 "
                           "--problem mock/validate-crash:n8 --problem mock/describe-crash:n8 --problem " + quoted(small_ffn);
  // Before, validate() ran in the parent: `run` died with SIGSEGV (exit 139), even --dry-run.
  const auto dry = run_cli("run --dry-run " + args);
  INFO(dry.output);
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.output, Catch::Contains("mock/validate-crash:n13.f32  cpu  adhoc  (will be recorded as crashed: "
                                         "validate() crashed (killed by signal 11 (Segmentation fault)))"));
  CHECK_THAT(dry.output, Catch::Contains("dry run: 4 planned"));

  const auto r = run_cli("run " + args + " --db " + db);
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("mock/validate-crash:n13.f32 [cpu] crashed  (while planning: validate() crashed "
                                       "(killed by signal 11 (Segmentation fault)))"));
  CHECK_THAT(r.output, Catch::Contains("mock/describe-crash:n8.f32 [cpu] crashed  (killed by signal 11"));
  CHECK_THAT(r.output, Catch::Contains("2 passed, 0 failed, 0 unimplemented, 0 skipped, 2 crashed, 0 timed-out"));
  const auto stored = rows(db, "SELECT p.canonical, r.outcome FROM results r JOIN problems p ON p.id = r.problem_id ORDER BY r.id");
  REQUIRE(stored.size() == 4);
  CHECK(stored[0] == std::vector<std::string>{"mock/validate-crash:n13.f32", "crashed"});
  CHECK(stored[1] == std::vector<std::string>{"mock/validate-crash:n8.f32", "passed"});
  CHECK(stored[2] == std::vector<std::string>{"mock/describe-crash:n8.f32", "crashed"});
  CHECK(stored[3] == std::vector<std::string>{small_ffn, "passed"});
}

TEST_CASE("issue 13: a mixer.qkv/1 adapter whose at_context() segfaults costs its task row - recorded crashed", "[hardening]") {
  // Before, the planner called at_context() in the parent: `run` died with SIGSEGV.
  TempDir tmp;
  const std::string args = "--quick --backend cpu --plugin-dir " + mocks + "/planning_crash --problem "
                           "'mock/at-context-crash:n8@needle.single' --problem " + quoted(small_ffn);
  const auto dry = run_cli("run --dry-run " + args);
  INFO(dry.output);
  CHECK(dry.exit_code == 0);
  const std::string crash = "the mixer.qkv/1 adapter's at_context() crashed (killed by signal 11 (Segmentation fault))";
  CHECK_THAT(dry.output, Catch::Contains("mock/at-context-crash:n8.f32@needle.single.spread.beta32.t8.ds10  cpu  adhoc  "
                                         "(will be recorded as crashed: " + crash + ")"));
  CHECK_THAT(dry.output, Catch::Contains("dry run: 2 planned (1 problems, 1 task rows)"));
  const auto r = run_cli("run " + args + " --db " + tmp.file("adapter.db"));
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("mock/at-context-crash:n8.f32@needle.single.spread.beta32.t8.ds10 [cpu] crashed  "
                                       "(while planning: " + crash + ")"));
  CHECK_THAT(r.output, Catch::Contains("1 passed, 0 failed, 0 unimplemented, 0 skipped, 1 crashed, 0 timed-out"));
}

TEST_CASE("issue 13: describe() declaring 1000 tensors fails its problem in one line - the run goes on", "[hardening]") {
  TempDir tmp;
  const auto r = run_cli("run --quick --backend cpu --plugin-dir " + mocks + "/many_tensors --problem mock/many-tensors "
                         "--problem " + quoted(small_ffn) + " --db " + tmp.file("many.db"));
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("mock/many-tensors:n16.f32 [cpu] failed  (describe() declared more than 64 tensors)\n"));
  CHECK_THAT(r.output, Catch::Contains("1 passed, 1 failed, 0 unimplemented, 0 skipped, 0 crashed"));
}

TEST_CASE("issue 13: stray arguments, control characters and bad task cells are one-line input errors", "[hardening]") {
  TempDir tmp;
  const std::string db = tmp.file("never.db");
  const std::pair<std::string, std::string> cases[] = {
      // Before: ignored, and the whole quick suite ran.
      {"run ffn/swiglu:t1", "archbench run: unexpected argument 'ffn/swiglu:t1' (to run a problem, write --problem 'ffn/swiglu:t1')"},
      {"run --dry-run extra", "archbench run: unexpected argument 'extra' (see `archbench run --help`)"},
      {"leaderboard ffn", "archbench leaderboard: unexpected argument 'ffn'"},
      // Before: the newline split the error over lines, raw.
      {"run --problem \"$(printf 'ffn/swiglu:t8\\nrm -rf /')\"",
       "archbench: problem 'ffn/swiglu:t8\\nrm -rf /': contains a control character"},
      {"run --problem \"$(printf 'ffn/swiglu:t8.seed1.seed2')\"", "seed given twice"},
      {"run --problem 'ffn/swiglu:t8.seed1e30'", "the seed must be a whole number in digits"},
      // Before: cell-d999 was accepted (and the row ran).
      {"run --problem 'attention/mha:s64.h2.hd16@needle.single.ds10.cell-d999'", "task token 'cell-d999'"},
      {"run --problem 'attention/mha:s64.h2.hd16@multihop.hops1-2.cell-h4'", "task token 'cell-h4'"},
  };
  for (const auto& [args, expected] : cases) {
    const auto r = run_cli(args + " --db " + db);
    INFO(args << " -> " << r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(expected));
    CHECK(lines(r.output) == 1);
  }
  CHECK(!std::filesystem::exists(db));
}

TEST_CASE("issue 13: a plugin's status code reads as words - out of memory, not status 3", "[hardening]") {
  CHECK(archbench::status_reason(AB_ERR_OUT_OF_MEMORY, nullptr) == "out of memory");
  CHECK(archbench::status_reason(AB_ERR_OUT_OF_MEMORY, "") == "out of memory");
  CHECK(archbench::status_reason(AB_ERR_BACKEND, "vkCreateBuffer failed") == "vkCreateBuffer failed");
  CHECK(archbench::status_reason(ab_status(42), nullptr) == "unknown status 42");
}
