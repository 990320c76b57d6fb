// A problem's parameter count, for whole-model totals (presets): its weights and
// the part each token uses; and what it holds and costs, for whole-model
// estimates (model_estimate.hpp): every tensor's bytes, the state it keeps
// (AB_TENSOR_STATE: a KV cache, a recurrent state), its flops and bytes moved. From the variant's "parameters/1" extra where it
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
  double tensor_bytes = 0;              // all its tensors: what measuring it allocates
  double state_bytes = 0;               // its AB_TENSOR_STATE tensors (a decode problem's cache or state)
  double flops = 0, bytes = 0;          // describe()'s cost model of one execute
  std::string failure;                  // "" when counted; else why not
};

ParameterCount count_parameters(const Problem& problem);

}  // namespace archbench
