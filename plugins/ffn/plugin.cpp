// The ffn plugin: parameter schema, shapes and cost model of the dense FFN
// variants, and the plugin's entry symbol.
#include "ffn.hpp"

#include <cmath>

namespace archbench::plugins::ffn {

FfnVariant::FfnVariant(const char* name, const char* description, Activation activation,
                       bool gated)
    : Variant(name, "ffn", description), activation_(activation), gated_(gated) {
  schema().add_int("tokens", "t", 512, 1, 1 << 20, "tokens in the batch (batch x sequence)");
  schema().add_int("d_model", "dm", 4096, 1, 1 << 16, "model (residual stream) width");
  schema().add_int("d_ff", "dff", 11008, 1, 1 << 18, "hidden width of the FFN");
  schema().mark_rows_workload("tokens");
  schema().mark_reducible({"d_ff"});  // a width a whole-model estimate may lower to fit memory
  cpu_and_vulkan_if_built();
  dtypes({AB_DTYPE_F32, AB_DTYPE_BF16});
  implements_sublayer();
  provides_figures();
}

std::string FfnVariant::validate(const sdk::Problem& problem) const {
  // Weights of three d_model x d_ff matrices must stay addressable with 32-bit oneDNN dims.
  if (problem.integer("d_model") * problem.integer("d_ff") > (int64_t(1) << 31))
    return "d_model * d_ff must not exceed 2^31 elements per weight";
  return {};
}

void FfnVariant::describe(const sdk::Problem& problem, sdk::Info& info) const {
  const int64_t tokens = problem.integer("tokens"), d_model = problem.integer("d_model"),
                d_ff = problem.integer("d_ff");
  const ab_dtype dtype = problem.dtype();
  // Weights scaled so each output has unit variance: U(-a, a) with a = sqrt(3 / fan_in).
  const double in_scale = std::sqrt(3.0 / double(d_model)), out_scale = std::sqrt(3.0 / double(d_ff));
  info.tensor("x", AB_TENSOR_INPUT, dtype, {tokens, d_model});
  if (gated_) info.tensor("w_gate", AB_TENSOR_WEIGHT, dtype, {d_model, d_ff}, -in_scale, in_scale);
  info.tensor("w_up", AB_TENSOR_WEIGHT, dtype, {d_model, d_ff}, -in_scale, in_scale);
  info.tensor("w_down", AB_TENSOR_WEIGHT, dtype, {d_ff, d_model}, -out_scale, out_scale);
  info.tensor("y", AB_TENSOR_OUTPUT, dtype, {tokens, d_model});

  const double projections = gated_ ? 3 : 2;
  const double element = sdk::dtype_size(dtype);
  info.flops(2.0 * tokens * d_model * d_ff * projections);
  info.bytes(element * (projections * d_model * d_ff + 2.0 * tokens * d_model));
  info.tokens(double(tokens));
}

void FfnVariant::figures(const sdk::Problem& problem, const sdk::Tensors&, sdk::Figures& out) const {
  const double params = (gated_ ? 3.0 : 2.0) * double(problem.integer("d_model")) * double(problem.integer("d_ff"));
  out.add("active_params", params);  // every token uses every weight
  out.add("total_params", params);
  out.add("weight_bytes", params * double(sdk::dtype_size(problem.dtype())));
}

struct SwiGlu : FfnVariant {
  SwiGlu() : FfnVariant("ffn/swiglu", "SwiGLU: (silu(x W_gate) * x W_up) W_down (Llama, Qwen, DeepSeek)",
                        Activation::silu, true) {}
};
struct GeGlu : FfnVariant {
  GeGlu() : FfnVariant("ffn/geglu", "GeGLU: (gelu_tanh(x W_gate) * x W_up) W_down (Gemma)",
                       Activation::gelu_tanh, true) {}
};
struct GeluMlp : FfnVariant {
  GeluMlp() : FfnVariant("ffn/gelu-mlp", "GELU MLP: gelu_tanh(x W_up) W_down (GPT-2 style)",
                         Activation::gelu_tanh, false) {}
};

}  // namespace archbench::plugins::ffn

ARCHBENCH_PLUGIN("ffn", "0.1.0", archbench::plugins::ffn::SwiGlu, archbench::plugins::ffn::GeGlu,
                 archbench::plugins::ffn::GeluMlp)
