// The plugin call gate (harness/plugin_calls.hpp) in this process: with it
// installed, a validate() or describe() that segfaults costs its problem and
// this test process survives; one prefetch child answers a whole plan, so the
// parent's own planning starts no child; a crash in the prefetch is pinned on
// the call it happened in. Without a gate, these tests would die of SIGSEGV.
#include "harness/errors.hpp"
#include "harness/executor.hpp"
#include "harness/plugin_calls.hpp"
#include "harness/runner.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace archbench;

namespace {

const archbench::Registry& crashing() {
  static archbench::Registry registry =
      test_support::load_from({std::string(ARCHBENCH_MOCK_DIR) + "/planning_crash", ARCHBENCH_PLUGIN_DIR});
  return registry;
}

std::vector<PlannedProblem> plan_problems(const std::vector<std::string>& problems) {
  RunRequest request;
  request.problems = problems;
  request.backends = {AB_BACKEND_CPU};
  return plan_run(request, crashing());
}

std::vector<std::string> canonicals(const std::vector<PlannedProblem>& plan) {
  std::vector<std::string> out;
  for (const PlannedProblem& p : plan) out.push_back(p.problem.canonical() + "|" + p.crashed);
  return out;
}

}  // namespace

TEST_CASE("plugin calls: with the gate a segfaulting validate() is a PluginCrash for its problem - this process goes on", "[plugin_calls]") {
  REQUIRE(crashing().find("mock/validate-crash") != nullptr);
  PluginCallGate gate;
  try {
    parse_problem("mock/validate-crash:n13", crashing());
    FAIL("accepted");
  } catch (const PluginCrash& crash) {
    CHECK(std::string(crash.what()) == "validate() crashed (killed by signal 11 (Segmentation fault))");
    CHECK(crash.problem.canonical() == "mock/validate-crash:n13.f32");
  }
  CHECK(parse_problem("mock/validate-crash:n8", crashing()).canonical() == "mock/validate-crash:n8.f32");
  // A refusal still reads as the plugin's reason (through the child).
  CHECK_THROWS_WITH(parse_problem("ffn/swiglu:dm65536.dff65536", crashing()), Catch::Contains("must not exceed 2^31"));
  // The answers are kept: asking again starts no child.
  const size_t children = gate.children_started();
  CHECK_THROWS_AS(parse_problem("mock/validate-crash:n13", crashing()), PluginCrash);
  CHECK(gate.children_started() == children);
}

TEST_CASE("plugin calls: describe() that segfaults leaves a crashed row's figures at 0 - this process goes on", "[plugin_calls]") {
  PluginCallGate gate;
  const Problem problem = parse_problem("mock/describe-crash:n8", crashing());
  const results::ResultRecord record = describe_record(problem, AB_BACKEND_CPU);
  CHECK(record.canonical == "mock/describe-crash:n8.f32");
  CHECK(record.flops == 0);
  CHECK(record.bytes == 0);
  // A describe() that works comes back exactly (hex floats through the child).
  const results::ResultRecord copy = describe_record(parse_problem("mock/validate-crash:n9", crashing()), AB_BACKEND_CPU);
  CHECK(copy.bytes == 72.0);
  CHECK(copy.tokens == 9.0);
}

TEST_CASE("plugin calls: a crashed validate() is planned as a crashed row - the rest of the plan stands", "[plugin_calls]") {
  PluginCallGate gate;
  const auto plan = plan_problems({"mock/validate-crash:n8", "mock/validate-crash:n13", "mock/validate-crash:n9"});
  REQUIRE(plan.size() == 3);
  CHECK(plan[0].crashed.empty());
  CHECK(plan[1].crashed == "validate() crashed (killed by signal 11 (Segmentation fault))");
  CHECK(plan[2].crashed.empty());
  CHECK(plan[1].plugin_path == crashing().plugin_of(crashing().find("mock/validate-crash"))->path);
  CHECK(plan[1].plugin_hash == crashing().plugin_of(crashing().find("mock/validate-crash"))->hash);
}

TEST_CASE("plugin calls: one prefetch child answers a whole plan - the parent then plans it with no child", "[plugin_calls]") {
  RunRequest request;
  request.suites = {"quick"};
  request.backends = {AB_BACKEND_CPU};
  request.quick = true;
  const auto direct = plan_run(request, test_support::in_tree());  // no gate: plugin code runs here
  REQUIRE(direct.size() > 20);
  PluginCallGate gate;
  prefetch_plugin_calls([&] { plan_run(request, test_support::in_tree()); });
  CHECK(gate.children_started() == 1);
  CHECK(gate.answers_known() > 20);
  const auto gated = plan_run(request, test_support::in_tree());
  CHECK(gate.children_started() == 1);  // every answer was known
  CHECK(canonicals(gated) == canonicals(direct));
}

TEST_CASE("plugin calls: a crash inside the prefetch is pinned on its call - a fresh child carries on from there", "[plugin_calls]") {
  // Loaded before the gate's children fork, as `run` does: a call's key holds
  // the variant table's address, which children share only if it is loaded here.
  REQUIRE(crashing().find("mock/validate-crash") != nullptr);
  PluginCallGate gate;
  const std::vector<std::string> problems = {"mock/validate-crash:n8", "mock/validate-crash:n13", "mock/validate-crash:n9",
                                             "mock/validate-crash:n10"};
  prefetch_plugin_calls([&] { plan_problems(problems); });
  CHECK(gate.children_started() == 2);  // the one that crashed on n13, and the one that finished
  const auto plan = plan_problems(problems);
  CHECK(gate.children_started() == 2);
  REQUIRE(plan.size() == 4);
  CHECK(plan[1].crashed == "validate() crashed (killed by signal 11 (Segmentation fault))");
  CHECK(plan[3].crashed.empty());
}
