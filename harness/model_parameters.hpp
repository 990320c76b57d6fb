// A problem's parameter count, for whole-model totals (presets): its weights and
// the part each token uses. From the variant's "parameters/1" extra where it
// offers one (a mixture of experts), else the elements of the AB_TENSOR_WEIGHT
// tensors its describe() declares, all active. The harness knows no tensor name:
// the role says what is a weight. Runs through plugin_call, so a plugin that
// crashes costs only its answer.
#pragma once

#include "harness/problem.hpp"

#include <string>

namespace archbench {

struct ParameterCount {
  double total = 0, active = 0;
  double kv_cache_bytes_per_token = 0;  // describe()'s, at the problem's dtype
  std::string failure;                  // "" when counted; else why not
};

ParameterCount count_parameters(const Problem& problem);

}  // namespace archbench
