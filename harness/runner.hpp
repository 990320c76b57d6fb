// `archbench run`: expands suites / explicit problems into a plan, runs each
// planned problem in an isolated child, and commits each result as it finishes.
#pragma once

#include "harness/executor.hpp"
#include "harness/machine_calibration.hpp"
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
  int repetitions = 0;                // --repetitions: overrides every row's count (also under quick); 0 = theirs
  int rounds = 0;                     // --rounds: processes per timed row, overriding suites and quick; 0 = theirs
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

// A backend's calibrated peaks for work in `dtype`: its matmul peak at that dtype
// (else at f32, else Vulkan's FMA peak) and its memory bandwidth, where measured.
Peaks calibrated_peaks(const Calibrations& calibration, ab_backend backend, ab_dtype dtype);

struct RunSummary {
  size_t passed = 0, failed = 0, unimplemented = 0, skipped = 0, crashed = 0, timed_out = 0;
  bool interrupted = false;
  int signal = 0;  // what interrupted it: SIGINT, SIGTERM or SIGHUP
  // 128 + the signal when interrupted, as a shell reports a process it ended.
  int exit_code() const { return interrupted ? 128 + signal : (failed || crashed || timed_out) ? 1 : 0; }
  std::string line() const;
};

// While one lives, SIGINT, SIGTERM and SIGHUP do not end the process: they kill
// the measuring child in flight (its whole process group) and ask the run to
// stop, so the parent can still mark its run 'interrupted' rather than leave it
// 'running' forever. `archbench run` holds one from begin_run to finish_run;
// execute_plan holds its own too. Scopes nest; the outermost clears the request
// and the last one out restores the previous handlers.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
  static int requested();  // 0, or the signal that asked the run to stop
};

// Runs the plan, recording every outcome under `run_id`; stops early (summary
// interrupted) when a signal asks it to.
RunSummary execute_plan(const std::vector<PlannedProblem>& plan, results::Store& store,
                        int64_t run_id, const ab_host& host);

}  // namespace archbench
