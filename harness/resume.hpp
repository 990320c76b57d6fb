// `archbench run --resume RUN_ID`: a pre-empted or killed run (a Slurm job
// requeued, a machine rebooted) continues where it stopped instead of starting
// over. The run keeps its id and uid; only the rows it has not recorded run, so
// it ends with exactly the results an uninterrupted run would have (each row is
// committed as it finishes, and the one in flight when it died is not).
#pragma once

#include "harness/runner.hpp"
#include "results/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace archbench {

// --resume auto, as parse_resume returns it.
inline constexpr int64_t kResumeAuto = -1;

// --resume: a run id (>= 1) or "auto" (kResumeAuto); anything else -> InputError.
int64_t parse_resume(const std::string& text);

// For --resume auto: the newest run of this database with `now`'s plan digest,
// recorded on this machine (host, CPU model, Vulkan device), that stopped
// without completing (interrupted or abandoned), if any. A job requeued on
// another machine so starts a run of its own.
std::optional<int64_t> resumable_run(const results::Store& store, const results::RunInfo& now);

// The rows of `plan` that run `run_id` has not recorded, in plan order. Refused
// with an InputError naming --resume: a run that does not exist, one that is
// still running, one that planned other rows (`now.plan_hash`, see shard.hpp's
// plan_digest: other suites, options or shard), and one recorded on another
// machine (`now`'s host, CPU model or Vulkan device differ): a run's results
// come from the one machine its provenance names.
std::vector<PlannedProblem> remaining_rows(const results::Store& store, int64_t run_id,
                                           const std::vector<PlannedProblem>& plan, const results::RunInfo& now);

}  // namespace archbench
