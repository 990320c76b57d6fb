// The associative-recall task (in the spirit of Zoology's MQAR): its options,
// its string and its generator.
//
//   recall.<content>.<filler>.beta<B>.t<T>.n<n1>-<n2>-...     one cell: ".cell-n<pairs>"
//
// One row = one context length; one cell per pair count N: N key -> value
// pairs at random positions of the haystack, then all N keys asked for at the
// last N positions, each answer decoded against the value codebook. A cell's
// accuracy is the fraction of the N recalled. Unlike needle, the N pairs of a
// cell share one state on purpose: softmax attention keeps every pair, a fixed
// state (a d x d linear memory, a window, a narrow latent) runs out as N grows,
// so its capacity shows up as a curve over N (recall.cpp). Its registry entry
// (recall_task.cpp) labels a row "<content>.<filler>".
#pragma once

#include "tasks/task.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace archbench::tasks {

// What the positions that hold no pair carry. noise: the haystack's random
// keys and values (everything a state keeps competes with the pairs); blank:
// zero keys and values (the pairs alone load a state, so context measures
// only the distance between a pair and its query).
enum class Filler { noise, blank };
const char* filler_name(Filler filler);

struct RecallSpec {
  Content content = Content::spread;
  Filler filler = Filler::noise;
  double beta = 32;          // each query's logit q.k/sqrt(d) on its own key, before positions
  int64_t trials = 32;       // at least this many queries per cell (whole prefills of N per head)
  std::vector<int64_t> pairs = {4, 16, 64, 256};

  std::string canonical() const;
};

// A recall task string (see task.hpp's parse). Throws std::invalid_argument.
RecallSpec parse_recall(const std::string& text);

// Cells whose N pairs and N queries do not fit the context (2N > tokens) are
// left out of the row (a plot shows them as not run). Throws
// std::invalid_argument when no cell fits.
TaskOutcome run_recall(const RecallSpec& spec, const QkvLayout& layout, uint64_t seed, const RunVariant& run);

}  // namespace archbench::tasks
