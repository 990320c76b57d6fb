// `archbench run --shard`: one part of a plan, so N processes on N machines
// (a Slurm job array, a Kubernetes Indexed Job) run disjoint parts that
// together are the whole plan once.
//
// The split depends only on the rows' keys and estimated costs, never on the
// order plugins were loaded or suites listed: rows are dealt longest first
// (ties by key) to the shard with the least estimated time so far (ties to the
// lowest index), so every shard computes the same assignment from the same
// plan, a re-run gets the same part, and parts are balanced by the cost model
// (estimate.hpp) rather than by count.
#pragma once

#include "harness/runner.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace archbench {

struct Shard {
  int index = 0, count = 1;  // 0 <= index < count
  bool whole() const { return count == 1; }
  std::string label() const;  // "I/N"; "" for the whole plan
};

// Environment variable names read by --shard slurm and --shard k8s.
inline constexpr const char* kShardCountVariable = "ARCHBENCH_SHARD_COUNT";

// --shard: "I/N" (0 <= I < N), "slurm" (SLURM_ARRAY_TASK_ID, _COUNT, _MIN,
// _STEP of a job array) or "k8s" (JOB_COMPLETION_INDEX of an Indexed Job, and
// ARCHBENCH_SHARD_COUNT). `environment` looks a variable up (getenv in the
// CLI; tests pass their own). Anything else -> InputError naming --shard.
Shard parse_shard(const std::string& text, const std::function<const char*(const char*)>& environment);

// The identity of a planned row, as results store it: "canonical|backend|task"
// (task '' for a timed problem). Unique within a plan.
std::string row_key(const PlannedProblem& planned);

// The shard (0..count-1) of each row, given each row's key and estimated cost.
std::vector<int> assign_shards(const std::vector<std::string>& keys, const std::vector<double>& costs, int count);

// The rows of `plan` in `shard`, in plan order; `cost` estimates a row.
std::vector<PlannedProblem> shard_of(const std::vector<PlannedProblem>& plan, const Shard& shard,
                                     const std::function<double(const PlannedProblem&)>& cost);

// A digest of the rows a run plans (their keys and measurement settings, in
// any order, and the shard),
// stored with the run so `run --resume` can tell it continues the same work.
std::string plan_digest(const std::vector<PlannedProblem>& rows, const Shard& shard);

}  // namespace archbench
