// Counting a problem's parameters (see model_parameters.hpp).
#include "harness/model_parameters.hpp"

#include "harness/executor.hpp"
#include "harness/plugin_calls.hpp"
#include "harness/variant_abi.hpp"

#include <archbench/extras/parameters.h>
#include <archbench/sdk.hpp>

#include <cmath>
#include <cstdio>

namespace archbench {

ParameterCount count_parameters(const Problem& problem) {
  const ab_problem raw = problem.raw();
  const CallAnswer answer = plugin_call(call_key("parameters", *problem.variant, raw), [&] {
    ab_problem_info info;
    if (!describe_problem(problem, info)) return std::string("describe() failed");
    double total = 0, active = 0, tensor_bytes = 0, state_bytes = 0;
    for (uint32_t i = 0; i < info.tensor_count && i < AB_MAX_TENSORS; ++i) {
      const ab_tensor_desc& t = info.tensors[i];
      double elements = 1;
      for (uint32_t d = 0; d < t.rank && d < AB_MAX_RANK; ++d) elements *= double(t.dims[d]);
      const double bytes = elements * double(sdk::dtype_size(t.dtype));
      tensor_bytes += bytes;
      if (t.role == AB_TENSOR_STATE) state_bytes += bytes;
      if (t.role == AB_TENSOR_WEIGHT) total += elements;
    }
    active = total;
    if (const auto* table = static_cast<const ab_parameters*>(extra_table(*problem.variant, AB_EXTRA_PARAMETERS))) {
      if (table->struct_size < sizeof(ab_parameters) || !table->parameters)
        return std::string("parameters: the extra's table is incomplete");
      if (table->parameters(problem.variant->context, &raw, &total, &active) != AB_OK)
        return std::string("parameters() failed");
      if (!(std::isfinite(total) && std::isfinite(active) && active >= 0 && active <= total))
        return std::string("parameters() gave counts that are not 0 <= active <= total");
    }
    char text[256];
    std::snprintf(text, sizeof text, "= %a %a %a %a %a %a %a", total, active, info.kv_cache_bytes_per_token,
                  tensor_bytes, state_bytes, info.flops, info.bytes);
    return std::string(text);
  });
  ParameterCount out;
  if (!answer.ok()) {
    out.failure = answer.failure("counting parameters");
    return out;
  }
  if (std::sscanf(answer.text.c_str(), "= %la %la %la %la %la %la %la", &out.total, &out.active,
                  &out.kv_cache_bytes_per_token, &out.tensor_bytes, &out.state_bytes, &out.flops, &out.bytes) != 7)
    out.failure = problem.canonical() + ": " + answer.text;
  return out;
}

}  // namespace archbench
