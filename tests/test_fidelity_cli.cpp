// The fidelity suite end to end through the CLI: `run --suite fidelity --quick
// --backend cpu` (about 10 s on 2 cores) stores checks without timing, and
// `leaderboard --by seq` pivots them into error-growth rows.
#include <catch2/catch.hpp>

#include <sstream>

#include "harness/runner.hpp"
#include "results/format.hpp"
#include "results/store.hpp"
#include "test_support.hpp"

#include <set>

using test_support::run_cli;
using test_support::TempDir;

namespace {

std::string scalar(const std::string& db, const std::string& sql) {
  auto store = archbench::results::Store::open_readonly(db);
  const auto result = store.query(sql);
  REQUIRE(result.rows.size() == 1);
  return archbench::results::display_cell(result.rows[0][0]);
}

struct FidelityRun {
  TempDir tmp;
  std::string db = tmp.file("fidelity.db");
  FidelityRun() {
    const auto r = run_cli("run --suite fidelity --quick --backend cpu --db " + db);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
  }
};

}  // namespace

TEST_CASE("the quick fidelity suite checks every problem without timing and leaderboard --by seq pivots it", "[fidelity]") {
  const FidelityRun run;
  CHECK(scalar(run.db, "SELECT count(*) FROM results WHERE outcome <> 'passed'") == "0");
  // Every variant the suite plans (from the registry, not a count by hand) was checked.
  archbench::RunRequest request;
  request.suites = {"fidelity"};
  request.backends = {AB_BACKEND_CPU};
  request.quick = true;
  std::set<std::string> planned;
  for (const auto& p : archbench::plan_run(request, test_support::in_tree())) planned.insert(p.problem.variant->name);
  CHECK(scalar(run.db, "SELECT count(DISTINCT p.variant) FROM results r JOIN problems p ON p.id = r.problem_id") ==
        std::to_string(planned.size()));
  CHECK(scalar(run.db, "SELECT count(DISTINCT dtype) FROM problems") == "2");
  CHECK(scalar(run.db, "SELECT count(*) FROM results WHERE nmse IS NULL OR max_abs IS NULL OR max_rel IS NULL") == "0");
  CHECK(scalar(run.db, "SELECT count(*) FROM results WHERE median_s IS NOT NULL OR repetitions <> 0") == "0");
  CHECK(scalar(run.db, "SELECT count(*) FROM samples") == "0");
  CHECK(scalar(run.db, "SELECT count(*) FROM results WHERE suite <> 'fidelity'") == "0");

  // leaderboard --by seq: one column per context length, in numeric order.
  const auto board = run_cli("leaderboard --by seq --kind attention --backend cpu --format csv --db " + run.db);
  INFO(board.output);
  REQUIRE(board.exit_code == 0);
  CHECK(board.output.rfind("kind,backend,dtype,design,workload,s=512,s=1024,s=2048,s=131072,failed_at\n", 0) == 0);
  // The Llama-style GQA prefill series: both lengths on one row, with the error.
  std::string llama;
  std::istringstream lines(board.output);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("attention,cpu,f32,attention/gqa:kvh2.rope.theta5e+05.rf1.causal.", 0) == 0 &&
        line.find(",prefill.") != std::string::npos)
      llama = line;
  CHECK_THAT(llama, Catch::Matches("[^,]*,cpu,f32,[^,]*,prefill\\.b1\\.\\*\\.h8\\.hd128\\.vhd0\\.dm0\\.f32,"
                                   "[0-9.e+-]+,,[0-9.e+-]+,,"));
  const auto widths = run_cli("leaderboard --by d_model --kind ffn --metric max_rel --db " + run.db);
  CHECK(widths.exit_code == 0);
  CHECK_THAT(widths.output, Catch::Contains("dm=512") && Catch::Contains("dm=1024"));
}

TEST_CASE("leaderboard --by refuses an unknown parameter and --task in one line", "[fidelity]") {
  TempDir tmp;
  const std::string db = tmp.file("one.db");
  REQUIRE(run_cli("run --fidelity-only --backend cpu --problem 'attention/gqa:s64.h2.kvh1.hd16' --db " + db).exit_code == 0);
  const auto unknown = run_cli("leaderboard --by context --db " + db);
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.output, Catch::StartsWith("archbench: --by: 'context' is not a parameter of any stored problem"));
  CHECK(unknown.output.find('\n') == unknown.output.size() - 1);
  const auto with_task = run_cli("leaderboard --by seq --task needle --db " + db);
  CHECK(with_task.exit_code == 2);
  const auto metric = run_cli("leaderboard --by seq --metric speed --db " + db);
  CHECK(metric.exit_code == 2);
  CHECK_THAT(metric.output, Catch::Contains("max_rel"));
}
