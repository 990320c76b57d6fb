// The ssm variants' way into the accuracy tasks (contract mixer.qkv/1): Mamba
// read as linear attention with a decay. Unrolled, both recurrences give
//
//   y[t] = sum_{s <= t} exp(A sum_{s < r <= t} dt[r]) dt[s] (C[t] . B[s]) x[s] + D x[t]
//
// so C plays the query, B the key and x (u) the value, and the decay decides
// how far back a query still sees. The adapters write the task's q, k, v as
// C, B, x and fix the rest to a documented decay setting (ssm.hpp): dt = 1e-3
// and A = -1 for every channel or head, the slowest decay Mamba's standard
// initialization gives (each token keeps exp(-1e-3) of the state: a needle
// 1K tokens back weighs e^-1, 10K back e^-10), and D = 0 so the query's own
// value does not leak into its answer. A trained model picks dt per token
// (that is Mamba's selectivity); these rows measure what the state can hold
// at the slowest fixed decay, against the state's capacity (d_state wide keys).
//
//   ssm/mamba:  one head: dk = d_state, dv = d_inner (every channel shares C and B)
//   ssm/mamba2: heads = kv_heads = groups, dk = d_state, dv = (heads / groups) x head_dim:
//               the heads of a group share its C and B, and their x side by side
//               are the group's value ([b, t, heads, head_dim] is already that layout)
#include "ssm.hpp"

#include <cmath>
#include <vector>

namespace archbench::plugins::ssm {
namespace {

void fill(const ab_tensor& tensor, double value) {
  const std::vector<float> values(size_t(sdk::element_count(*tensor.desc)), float(value));
  sdk::store_floats(tensor, values.data());
}

void read(const sdk::Tensors& tensors, const char* name, float* out) {
  const std::vector<double> values = tensors.as_doubles(name);
  for (size_t i = 0; i < values.size(); ++i) out[i] = float(values[i]);
}

// The parts both variants share: a core-level prefill, C/B/x from q/k/v, the decay.
class SsmQkv : public sdk::MixerQkv {
 public:
  SsmQkv(const sdk::Variant& variant, const char* value, const char* step)
      : MixerQkv(variant), value_(value), step_(step) {}

  uint32_t at_context(const sdk::Problem& problem, int64_t tokens, std::vector<double>& values) const override {
    if (problem.has("d_model") && problem.integer("d_model") != 0)
      throw sdk::Unimplemented("needs the core level (d_model = 0): C, B and x given");
    if (problem.has("gate") && problem.flag("gate"))
      throw sdk::Unimplemented("the query/key/value form has no gate input: use gate=0");
    values[problem.index_of("mode")] = double(int(Mode::prefill));
    values[problem.index_of("seq")] = double(tokens);
    return uint32_t(problem.index_of("seq"));
  }

  void write_inputs(const sdk::Problem&, const sdk::Tensors& tensors, const float* q, const float* k,
                    const float* v) const override {
    sdk::store_floats(tensors["C"], q);
    sdk::store_floats(tensors["B"], k);
    sdk::store_floats(tensors[value_], v);
    fill(tensors[step_], kAdapterDt);
    fill(tensors["a_log"], std::log(-kAdapterA));
    fill(tensors["D"], 0.0);
  }

  void read_output(const sdk::Problem&, const sdk::Tensors& tensors, float* out) const override {
    read(tensors, "y", out);
  }

 private:
  const char* value_;
  const char* step_;
};

class MambaQkv : public SsmQkv {
 public:
  explicit MambaQkv(const sdk::Variant& variant) : SsmQkv(variant, "u", "delta") {}
  ab_qkv_layout layout(const sdk::Problem& problem) const override {
    const MambaShape s = MambaShape::of(problem);
    ab_qkv_layout out{};
    out.batch = s.batch;
    out.tokens = s.tokens();
    out.heads = out.kv_heads = 1;
    out.dk = s.d_state;
    out.dv = s.d_inner;
    return out;
  }
};

class Mamba2Qkv : public SsmQkv {
 public:
  explicit Mamba2Qkv(const sdk::Variant& variant) : SsmQkv(variant, "x", "dt") {}
  ab_qkv_layout layout(const sdk::Problem& problem) const override {
    const Mamba2Shape s = Mamba2Shape::of(problem);
    ab_qkv_layout out{};
    out.batch = s.batch;
    out.tokens = s.tokens();
    out.heads = out.kv_heads = s.groups;
    out.dk = s.d_state;
    out.dv = s.heads_per_group() * s.head_dim;
    return out;
  }
};

}  // namespace

std::unique_ptr<sdk::MixerQkv> make_mamba_qkv_adapter(const sdk::Variant& variant) {
  return std::make_unique<MambaQkv>(variant);
}
std::unique_ptr<sdk::MixerQkv> make_mamba2_qkv_adapter(const sdk::Variant& variant) {
  return std::make_unique<Mamba2Qkv>(variant);
}

}  // namespace archbench::plugins::ssm
