// The multi-hop task (variable tracking / pointer chasing): its options, its
// string and its generator.
//
//   multihop.<content>.beta<B>.t<T>.hops<h1>-<h2>-...     one cell: ".cell-h<hops>"
//
// One row = one context length: chains x1 -> x2 -> ... planted as key(x_i) ->
// value(x_{i+1}) among random distractors; every hop is a new prefill whose
// query is the previous hop's decoded answer (multihop.cpp). Its registry entry
// (multihop_task.cpp) labels a row by its content.
#pragma once

#include "tasks/task.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace archbench::tasks {

struct MultihopSpec {
  Content content = Content::spread;
  double beta = 32;          // each link's logit q.k/sqrt(d) before positions
  int64_t trials = 8;        // chains per cell (rounded up so every head serves alike)
  std::vector<int64_t> hops = {1, 2, 4, 8};

  std::string canonical() const;
  int64_t max_hops() const;
};

// A multihop task string (see task.hpp's parse). Throws std::invalid_argument.
MultihopSpec parse_multihop(const std::string& text);

// Throws std::invalid_argument when the layout cannot host the chains, with why.
TaskOutcome run_multihop(const MultihopSpec& spec, const QkvLayout& layout, uint64_t seed, const RunVariant& run);

}  // namespace archbench::tasks
