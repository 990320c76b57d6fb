// The needle-in-a-haystack task: its options, its string and its generator.
//
//   needle.<form>.<content>.beta<B>.t<T>[.k<K>].ds<step>     one cell: ".cell-d<depth %>"
//
// One row = one context length: every depth of the grid, `trials` probes each,
// in as few prefills as the content subspace allows (needle.cpp). Its registry
// entry (needle_task.cpp) labels a row "<form>.<content>" and shows single-needle
// rows beside speed, low-freq content preferred (what a trained RoPE model uses).
#pragma once

#include "tasks/task.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace archbench::tasks {

// single: one needle; multi_key: plus `count` distractor keys at cosine 0.5-0.9
// to the needle's; multi_value: `count` values under one key, all to be
// recovered; multi_query: `count` needles, each asked for, all to be found.
enum class NeedleForm { single, multi_key, multi_value, multi_query };
const char* form_name(NeedleForm form);

struct NeedleSpec {
  NeedleForm form = NeedleForm::single;
  Content content = Content::spread;
  double beta = 32;          // the needle's logit q.k/sqrt(d) before positions
  int64_t trials = 8;        // per cell (rounded up so every head serves each cell alike)
  int64_t count = 4;         // K of the multi forms
  int64_t depth_step = 10;   // needle depths 0, step, ..., 100 percent

  std::string canonical() const;
  std::vector<double> depths_percent() const;
};

// A needle task string (see task.hpp's parse). Throws std::invalid_argument.
NeedleSpec parse_needle(const std::string& text);

// Throws std::invalid_argument when the layout cannot host the task (too few
// dimensions for the keys it must keep apart, a context too short), with why.
TaskOutcome run_needle(const NeedleSpec& spec, const QkvLayout& layout, uint64_t seed, const RunVariant& run);

}  // namespace archbench::tasks
