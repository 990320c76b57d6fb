// The harness catches each way a plugin can go wrong (mock plugin
// "misbehaving"): wrong values, unwritten outputs, out-of-bounds writes, work
// skipped after the first call, crashes and hangs.
#include "harness/executor.hpp"
#include "harness/isolation.hpp"
#include "harness/problem.hpp"
#include "harness/record_json.hpp"
#include "harness/runner.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace archbench;

namespace {

const Registry& mocks() {
  static Registry registry = test_support::load_from({std::string(ARCHBENCH_MOCK_DIR) + "/misbehaving"});
  return registry;
}

results::ResultRecord run_mock(const std::string& variant, bool perf = false) {
  Measurement m;
  m.perf = perf;
  m.repetitions = 2;
  m.min_time_s = 0.001;
  m.warmup_s = 0;
  return execute_problem(parse_problem(variant + ":n4096", mocks()), AB_BACKEND_CPU,
                         test_support::cpu().host(), m, {});
}

}  // namespace

TEST_CASE("a correct plugin passes - and is timed", "[harness]") {
  const auto r = run_mock("mock/copy", true);
  CHECK(r.outcome == "passed");
  CHECK(*r.nmse == 0);
  CHECK(r.samples.size() == 2);
}

TEST_CASE("wrong values fail on NMSE before any timing", "[harness]") {
  const auto r = run_mock("mock/wrong", true);
  CHECK(r.outcome == "failed");
  CHECK_THAT(r.reason, Catch::Contains("nmse") && Catch::Contains("exceeds the tolerance"));
  CHECK(r.samples.empty());
  CHECK(!r.median_s.has_value());
}

TEST_CASE("an output the plugin never writes fails (outputs are poisoned first)", "[harness]") {
  const auto r = run_mock("mock/lazy");
  CHECK(r.outcome == "failed");
  CHECK_THAT(r.reason, Catch::Contains("NaN"));
}

TEST_CASE("a write past the end of an output is caught by the guard bytes", "[harness]") {
  const auto r = run_mock("mock/overrun");
  CHECK(r.outcome == "failed");
  CHECK_THAT(r.reason, Catch::Contains("wrote outside tensor 'y'"));
}

TEST_CASE("a plugin that skips the work after the first call fails its timing", "[harness]") {
  CHECK(run_mock("mock/once", false).outcome == "passed");  // the first call is right
  const auto r = run_mock("mock/once", true);
  CHECK(r.outcome == "failed");
  CHECK_THAT(r.reason, Catch::Contains("left its outputs unwritten"));
}

TEST_CASE("a plugin that computes once and then patches only poisoned outputs fails its timing", "[harness]") {
  CHECK(run_mock("mock/patcher", false).outcome == "passed");  // the first call is right
  const auto r = run_mock("mock/patcher", true);
  CHECK(r.outcome == "failed");
  CHECK_THAT(r.reason, Catch::Contains("does not follow the inputs it was run on"));
  CHECK(!r.median_s.has_value());
}

TEST_CASE("a write past the end on a later call is caught after timing", "[harness]") {
  CHECK(run_mock("mock/late-overrun", false).outcome == "passed");  // two calls: no overrun yet
  const auto r = run_mock("mock/late-overrun", true);
  CHECK(r.outcome == "failed");
  CHECK_THAT(r.reason, Catch::Contains("while timing: wrote outside tensor 'y'"));
}

TEST_CASE("Unimplemented from create() is recorded - not failed", "[harness]") {
  const auto r = run_mock("mock/unimplemented");
  CHECK(r.outcome == "unimplemented");
  CHECK_THAT(r.reason, Catch::Contains("mock has no implementation here"));
}

// Runs children by fork, as the CLI does: like the CLI's parent, this test
// process must not have run OpenMP before (a forked child cannot use the
// parent's thread pool). ctest runs each test case in its own process.
TEST_CASE("a crashing plugin costs one problem: crashed - and the next one runs", "[harness]") {
  test_support::TempDir tmp;
  auto store = results::Store::open_readwrite(tmp.file("r.db"));
  const int64_t run = store.begin_run({});
  std::vector<PlannedProblem> plan;
  Measurement m;
  m.repetitions = 1;
  m.rounds = 1;  // one process each, so results are recorded in plan order
  m.min_time_s = 0.001;
  for (const char* text : {"mock/crash:n64", "mock/hang:n64", "mock/exit0:n64", "mock/close-hang:n64",
                           "mock/copy:n64", "mock/wrong:n64"})
    plan.push_back({parse_problem(text, mocks()), AB_BACKEND_CPU, "test", m, 2.0});
  const RunSummary summary = execute_plan(plan, store, run, test_support::cpu().host());
  CHECK(summary.crashed == 2);
  CHECK(summary.timed_out == 2);
  CHECK(summary.passed == 1);
  CHECK(summary.failed == 1);
  CHECK(summary.exit_code() == 1);
  const auto rows = store.query("SELECT p.variant, r.outcome, r.reason FROM results r JOIN problems p ON p.id = r.problem_id ORDER BY r.id");
  REQUIRE(rows.rows.size() == 6);
  CHECK(std::get<std::string>(rows.rows[0][1]) == "crashed");
  CHECK_THAT(std::get<std::string>(rows.rows[0][2]), Catch::Contains("signal 11"));
  CHECK(std::get<std::string>(rows.rows[1][1]) == "timed-out");
  CHECK(std::get<std::string>(rows.rows[2][1]) == "crashed");  // exit(0) mid-problem: not a result
  CHECK_THAT(std::get<std::string>(rows.rows[2][2]), Catch::Contains("before reporting a result"));
  CHECK(std::get<std::string>(rows.rows[3][1]) == "timed-out");  // closed its pipe, then hung
  CHECK(std::get<std::string>(rows.rows[4][1]) == "passed");
  CHECK(std::get<std::string>(rows.rows[5][1]) == "failed");
}

TEST_CASE("result records survive the trip from child to parent unchanged", "[harness]") {
  const auto r = run_mock("mock/copy", true);
  const auto back = record_from_json(record_to_json(r));
  CHECK(record_to_json(back) == record_to_json(r));
  CHECK(back.samples == r.samples);
  CHECK(back.median_s == r.median_s);
  CHECK(!back.frac_peak_compute.has_value());
  // The structure the store keeps (describe_record fills it) crosses too.
  REQUIRE(!r.params.empty());
  CHECK(back.shape == r.shape);
  CHECK(back.params.size() == r.params.size());
  CHECK(back.params.front().token == r.params.front().token);
  auto task_row = r;
  task_row.task = "needle.single";
  task_row.task_kind = "needle";
  task_row.task_axis = "depth";
  task_row.task_label = "single.spread";
  task_row.task_headline = 1;
  task_row.task_workload = "n*.f32";
  const auto task_back = record_from_json(record_to_json(task_row));
  CHECK(task_back.task_kind == "needle");
  CHECK(task_back.task_axis == "depth");
  CHECK(task_back.task_label == "single.spread");
  CHECK(task_back.task_headline == 1);
  CHECK(task_back.task_workload == "n*.f32");
}
