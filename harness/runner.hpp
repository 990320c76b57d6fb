// `archbench run`: expands suites / explicit problems into a plan, runs each
// planned problem in an isolated child, and commits each result as it finishes.
#pragma once

#include "harness/executor.hpp"
#include "harness/problem.hpp"
#include "harness/suite.hpp"
#include "results/store.hpp"
#include "tasks/task.hpp"

#include <optional>
#include <string>
#include <vector>

namespace archbench {

class Registry;

struct RunRequest {
  std::vector<std::string> suites;    // names or paths; "quick" when nothing else is asked
  std::vector<std::string> problems;  // explicit problem strings (--problem), or task rows "problem@task"
  std::string variant_glob = "*";     // --variant
  std::vector<ab_backend> backends;   // already resolved from --backend
  bool quick = false;                 // fewer, shorter repetitions
  bool perf = true;                   // false: fidelity only
};

struct PlannedProblem {
  Problem problem;
  ab_backend backend;
  std::string suite;
  Measurement measurement;
  double timeout_s;
  tasks::TaskPtr task;  // an accuracy-task row instead of a timed problem (null: timed)
  // Plugin code the planner had to run for this row (validate, an adapter) crashed
  // or hung: the row is recorded as crashed with this reason and never measured.
  std::string crashed;
  std::string plugin_path, plugin_hash;  // the library that provides the variant
};

// The limit of a problem given with --problem (it may be any size).
inline constexpr double kAdhocTimeoutSeconds = 1800;

// Throws InputError for bad input and for a plan above kMaxPlannedRows.
// The `quick` suite also takes the loaded plugins' suite fragments. `skipped`,
// when given, receives the suite parameters left out for variants that lack them
// (among the variants --variant selects), each once.
std::vector<PlannedProblem> plan_run(const RunRequest& request, const Registry& registry,
                                     std::vector<SkippedParam>* skipped = nullptr);

struct RunSummary {
  size_t passed = 0, failed = 0, unimplemented = 0, skipped = 0, crashed = 0, timed_out = 0;
  bool interrupted = false;
  int exit_code() const { return interrupted ? 130 : (failed || crashed || timed_out) ? 1 : 0; }
  std::string line() const;
};

// Runs the plan, recording every outcome under `run_id`.
RunSummary execute_plan(const std::vector<PlannedProblem>& plan, results::Store& store,
                        int64_t run_id, const ab_host& host);

}  // namespace archbench
