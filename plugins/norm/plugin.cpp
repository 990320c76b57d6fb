// The norm plugin: schema, shapes and cost model of RMSNorm / LayerNorm, and
// the plugin's entry symbol.
#include "norm.hpp"

namespace archbench::plugins::norm {

NormVariant::NormVariant(const char* name, const char* description, NormType type,
                         double default_eps)
    : Variant(name, "norm", description), type_(type) {
  schema().add_int("tokens", "t", 512, 1, 1 << 22, "rows to normalize (batch x sequence)");
  schema().add_int("d_model", "dm", 4096, 1, 1 << 18, "normalized width");
  schema().add_float("eps", "eps", default_eps, 0.0, 1.0, "added to the variance");
  schema().add_int("residual", "res", 0, 0, 1, "1: fuse h = x + residual before the norm");
  // eps is the design's own constant: other norms (DyT) have none, and the
  // leaderboard compares norms at equal tokens, width and residual fusion.
  schema().mark_design({"eps"});
  schema().mark_rows_workload("tokens");
  cpu_and_vulkan_if_built();
  dtypes({AB_DTYPE_F32, AB_DTYPE_BF16});
  implements_sublayer();
}

void NormVariant::describe(const sdk::Problem& problem, sdk::Info& info) const {
  const int64_t tokens = problem.integer("tokens"), d_model = problem.integer("d_model");
  const bool residual = problem.flag("residual");
  const ab_dtype dtype = problem.dtype();
  info.tensor("x", AB_TENSOR_INPUT, dtype, {tokens, d_model}, -2.0, 2.0);
  if (residual) info.tensor("residual", AB_TENSOR_INPUT, dtype, {tokens, d_model}, -2.0, 2.0);
  info.tensor("gamma", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {d_model}, 0.5, 1.5);
  if (type_ == NormType::layer) info.tensor("beta", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {d_model}, -0.5, 0.5);
  info.tensor("y", AB_TENSOR_OUTPUT, dtype, {tokens, d_model});
  if (residual) info.tensor("residual_out", AB_TENSOR_OUTPUT, dtype, {tokens, d_model});

  // Memory-bound: read x (+ residual), write y (+ residual_out); ~5 flops/element.
  const double elements = double(tokens) * double(d_model), element = sdk::dtype_size(dtype);
  const double streams = residual ? 4 : 2;
  info.bytes(element * elements * streams);
  info.flops(elements * (residual ? 6.0 : 5.0));
  info.tokens(double(tokens));
}

struct RmsNorm : NormVariant {
  RmsNorm() : NormVariant("norm/rmsnorm", "RMSNorm (Llama, Qwen, DeepSeek, Gemma, OLMo 2)",
                          NormType::rms, 1e-5) {}
};
struct LayerNorm : NormVariant {
  LayerNorm() : NormVariant("norm/layernorm", "LayerNorm with scale and shift (GPT-2, BERT)",
                            NormType::layer, 1e-5) {}
};

}  // namespace archbench::plugins::norm

ARCHBENCH_PLUGIN("norm", "0.1.0", archbench::plugins::norm::RmsNorm,
                 archbench::plugins::norm::LayerNorm)
