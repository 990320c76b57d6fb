// Problems at a task's context through the mixer.qkv/1 adapter (see qkv_contract.hpp).
#include "harness/qkv_contract.hpp"

#include "harness/variant_abi.hpp"

#include <cmath>

namespace archbench {

const ab_mixer_qkv* qkv_adapter(const ab_variant& variant) {
  const auto* adapter = static_cast<const ab_mixer_qkv*>(contract_adapter(variant, AB_CONTRACT_MIXER_QKV));
  if (!adapter || adapter->struct_size < sizeof(ab_mixer_qkv) || !adapter->at_context || !adapter->layout ||
      !adapter->write_inputs || !adapter->read_output)
    return nullptr;
  return adapter;
}

ContextProblem problem_at_context(const Problem& base, int64_t tokens, const std::string& where) {
  ContextProblem out;
  const ab_mixer_qkv* adapter = qkv_adapter(*base.variant);
  if (!adapter) {
    out.why = std::string("needs contract ") + AB_CONTRACT_MIXER_QKV;
    return out;
  }
  const ab_problem raw = base.raw();
  std::vector<double> values(base.values.size());
  char error[512] = {};
  auto ask = [&](int64_t at) {
    return adapter->at_context(adapter->context, &raw, at, values.data(), &out.context_param, error, sizeof error);
  };
  // A replayed row keeps its own context: ask once to learn which parameter holds it.
  if (tokens <= 0 && ask(1) == AB_OK && out.context_param < values.size())
    tokens = std::llround(base.values[out.context_param]);
  if (ask(tokens) != AB_OK) {
    out.why = error[0] ? error : "the mixer.qkv/1 adapter refused this problem";
    return out;
  }
  if (out.context_param >= values.size()) {
    out.why = "the mixer.qkv/1 adapter named no parameter for the context";
    return out;
  }
  Problem problem = base;
  problem.values = values;
  validate_problem(problem, where);
  out.problem = std::move(problem);
  return out;
}

}  // namespace archbench
