// The retrieval tasks of the accuracy suites, run through a variant's real
// implementation (see haystack.hpp for the setup and RunVariant):
//
//   needle    one row = one context length: every depth of the grid, `trials`
//             probes each, in as few prefills as the content subspace allows.
//   multihop  one row = one context length: chains x1 -> x2 -> ... planted as
//             key(x_i) -> value(x_{i+1}) among random distractors; every hop
//             is a new prefill whose query is the previous hop's decoded answer.
//
// Chance is the probability that a trial succeeds by guessing.
#pragma once

#include "suites/tasks/haystack.hpp"
#include "suites/tasks/task_spec.hpp"

#include <string>
#include <vector>

namespace archbench::tasks {

struct Cell {
  double coordinate = 0;  // needle: depth in percent; multihop: hops
  int64_t trials = 0, successes = 0;
  double chance = 0;
  double accuracy() const { return trials ? double(successes) / double(trials) : 0.0; }
};

struct TaskOutcome {
  std::vector<Cell> cells;
  int64_t prefills = 0;  // variant runs it took
};

// Both throw std::invalid_argument when the layout cannot host the task (too few
// dimensions for the keys it must keep apart, a context too short), with why.
TaskOutcome run_needle(const TaskSpec& spec, const QkvLayout& layout, uint64_t seed, const RunVariant& run);
TaskOutcome run_multihop(const TaskSpec& spec, const QkvLayout& layout, uint64_t seed, const RunVariant& run);

inline TaskOutcome run_task(const TaskSpec& spec, const QkvLayout& layout, uint64_t seed, const RunVariant& run) {
  return spec.kind == TaskKind::needle ? run_needle(spec, layout, seed, run) : run_multihop(spec, layout, seed, run);
}

// Per-head trials: `trials` rounded up so each query head serves every cell equally
// (heads differ under ALiBi, so every cell must see the same mix of heads).
int64_t trials_per_head(const TaskSpec& spec, const QkvLayout& layout);

}  // namespace archbench::tasks
