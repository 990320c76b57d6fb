// The moe plugin: parameter schema, shapes and cost model of the mixture-of-
// experts variants (one per router family), and the plugin's entry symbol.
#include "moe.hpp"

#include <algorithm>
#include <cmath>

namespace archbench::plugins::moe {

Shape Shape::of(const sdk::Problem& problem) {
  const auto has = [&](const char* name) { return problem.has(name); };
  Shape s{};
  s.tokens = problem.integer("tokens");
  s.d_model = problem.integer("d_model");
  s.experts = problem.integer("experts");
  s.top_k = problem.integer("top_k");
  s.expert_ff = problem.integer("expert_ff");
  s.shared = problem.integer("shared");
  s.shared_ff = problem.integer("shared_ff") > 0 ? problem.integer("shared_ff") : s.expert_ff;
  s.activation = Activation(problem.choice("activation"));
  s.capacity_factor = problem.real("capacity");
  s.skew = problem.real("skew");
  s.groups = has("groups") ? problem.integer("groups") : 1;
  s.top_groups = has("top_groups") ? problem.integer("top_groups") : 1;
  s.renormalize = has("renorm") && problem.integer("renorm") != 0;
  s.route_scale = has("route_scale") ? problem.real("route_scale") : 1.0;
  return s;
}

int64_t Shape::capacity() const {
  if (capacity_factor <= 0) return tokens;
  return std::max<int64_t>(1, int64_t(std::ceil(capacity_factor * double(tokens * top_k) / double(experts))));
}

double activate(Activation activation, double gate, double up) {
  switch (activation) {
    case Activation::swiglu: return gate / (1.0 + std::exp(-gate)) * up;
    case Activation::geglu:
      return 0.5 * gate * (1.0 + std::tanh(0.7978845608028654 * (gate + 0.044715 * gate * gate * gate))) * up;
    case Activation::swiglu_clamp: {  // gpt-oss: gate clamped above, up both ways, (up + 1) * gate * sigmoid(1.702 gate)
      const double g = std::min(gate, 7.0), u = std::clamp(up, -7.0, 7.0);
      return (u + 1.0) * g / (1.0 + std::exp(-1.702 * g));
    }
  }
  return 0;
}

MoeVariant::MoeVariant(const char* name, const char* description, Router router)
    : Variant(name, "moe", description), router_(router) {
  auto& s = schema();
  s.add_int("tokens", "t", 512, 1, 1 << 20, "tokens in the batch (batch x sequence)");
  s.add_int("d_model", "dm", 2048, 1, 1 << 16, "model (residual stream) width");
  s.add_int("experts", "e", 128, 1, 4096, "routed experts");
  s.add_int("top_k", "k", router == Router::sigmoid_top1 ? 1 : 8, 1, 64, "experts per token");
  s.add_int("expert_ff", "eff", 768, 1, 1 << 18, "hidden width of each routed expert");
  s.add_int("shared", "sh", 0, 0, 16, "shared experts every token passes through");
  s.add_int("shared_ff", "sff", 0, 0, 1 << 18, "hidden width of each shared expert (0: expert_ff)");
  s.add_enum("activation", "act", "swiglu|geglu|swiglu-clamp", 0,
             "expert activation: SwiGLU, GeGLU (tanh), gpt-oss's clamped SwiGLU");
  s.add_float("capacity", "cf", 0, 0, 64, "capacity factor (0: dropless; else assignments past it are dropped)");
  s.add_float("skew", "sk", 0, 0, 32, "router skew: per-expert logit offsets drawn from [0, skew]");
  if (router != Router::sigmoid_top1)
    s.add_int("renorm", "rn", 1, 0, 1, "renormalize the top-k weights to sum to 1");
  if (router == Router::sigmoid_topk) {
    s.add_int("groups", "g", 1, 1, 4096, "expert groups (group-limited routing)");
    s.add_int("top_groups", "tg", 1, 1, 4096, "groups a token may pick experts from");
    s.add_float("route_scale", "rs", 1.0, 0, 1000, "scale on the routing weights (DeepSeek V3 2.5)");
  }
  s.mark_design({"experts", "top_k", "expert_ff", "shared", "shared_ff", "activation", "capacity"});
  if (router != Router::sigmoid_top1) s.mark_design({"renorm"});
  if (router == Router::sigmoid_topk) s.mark_design({"groups", "top_groups", "route_scale"});
  s.mark_rows_workload("tokens");
  // A token visits top_k experts whatever their number: fewer experts fit memory
  // at nearly the same cost per token (whole-model estimates).
  s.mark_reducible({"experts"});
  cpu_and_vulkan_if_built();
  dtypes({AB_DTYPE_F32, AB_DTYPE_BF16});
  provides_figures();
  provides_parameters();
  implements_sublayer();
}

std::string MoeVariant::validate(const sdk::Problem& problem) const {
  const Shape s = Shape::of(problem);
  if (s.top_k > s.experts) return "top_k must not exceed experts";
  if (s.experts % s.groups) return "experts must be a multiple of groups";
  if (s.top_groups > s.groups) return "top_groups must not exceed groups";
  if (s.top_k > s.top_groups * (s.experts / s.groups)) return "top_k must not exceed the experts in top_groups groups";
  // Each expert's matrices stay addressable with 32-bit dims (oneDNN, shaders).
  if (s.d_model * std::max(s.expert_ff, s.shared_width()) > (int64_t(1) << 31))
    return "d_model * expert_ff (and d_model * shared * shared_ff) must not exceed 2^31";
  return {};
}

void MoeVariant::describe(const sdk::Problem& problem, sdk::Info& info) const {
  const Shape s = Shape::of(problem);
  const ab_dtype dtype = problem.dtype();
  const double in_scale = std::sqrt(3.0 / double(s.d_model)), ff_scale = std::sqrt(3.0 / double(s.expert_ff));
  info.tensor("x", AB_TENSOR_INPUT, dtype, {s.tokens, s.d_model}).fill(sdk::Fill::normal(0, 1));
  info.tensor("w_router", AB_TENSOR_WEIGHT, dtype, {s.experts, s.d_model}, -in_scale, in_scale);
  // The harness's router skew: offsets that favour some experts over others.
  info.tensor("logit_offset", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {s.experts})
      .fill(s.skew > 0 ? sdk::Fill::uniform(0, s.skew) : sdk::Fill::constant(0));
  if (router_ == Router::sigmoid_topk)  // the aux-loss-free selection bias (selection only, not the weights)
    info.tensor("selection_bias", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {s.experts}, -0.05, 0.05);
  info.tensor("w_gate", AB_TENSOR_WEIGHT, dtype, {s.experts, s.d_model, s.expert_ff}, -in_scale, in_scale);
  info.tensor("w_up", AB_TENSOR_WEIGHT, dtype, {s.experts, s.d_model, s.expert_ff}, -in_scale, in_scale);
  info.tensor("w_down", AB_TENSOR_WEIGHT, dtype, {s.experts, s.expert_ff, s.d_model}, -ff_scale, ff_scale);
  if (s.shared > 0) {
    const double shared_scale = std::sqrt(3.0 / double(s.shared_width()));
    info.tensor("shared_gate", AB_TENSOR_WEIGHT, dtype, {s.d_model, s.shared_width()}, -in_scale, in_scale);
    info.tensor("shared_up", AB_TENSOR_WEIGHT, dtype, {s.d_model, s.shared_width()}, -in_scale, in_scale);
    info.tensor("shared_down", AB_TENSOR_WEIGHT, dtype, {s.shared_width(), s.d_model}, -shared_scale,
                shared_scale);
  }
  info.tensor("y", AB_TENSOR_OUTPUT, dtype, {s.tokens, s.d_model});
  // The selection, compared as sets ranked by router_scores (ties within the
  // host's tolerance may go either way); the dense weights make a wrong choice
  // fail even where y comes out close.
  info.tensor("experts", AB_TENSOR_OUTPUT, AB_DTYPE_I32, {s.tokens, s.top_k}).index_set("router_scores");
  info.tensor("weights", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {s.tokens, s.experts});
  info.tensor("router_scores", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {s.tokens, s.experts});

  // Selected experts' FLOPs only (as if dropless), plus the router and shared experts.
  const double t = double(s.tokens), dm = double(s.d_model), e = double(s.experts);
  const double expert_weights = 3.0 * dm * double(s.expert_ff), shared_weights = 3.0 * dm * double(s.shared_width());
  info.flops(2.0 * t * (dm * e + double(s.top_k) * expert_weights + shared_weights));
  // Bytes: the weights of the experts the batch is expected to touch (uniform routing).
  const double touched = e * (1.0 - std::pow(1.0 - double(s.top_k) / e, t));
  const double element = sdk::dtype_size(dtype);
  info.bytes(element * (touched * expert_weights + shared_weights + e * dm + 2.0 * t * dm) + 4.0 * t * (2.0 * e + double(s.top_k)));
  info.tokens(t);
}

sdk::ParameterCount MoeVariant::parameters(const sdk::Problem& problem) const {
  const Shape s = Shape::of(problem);
  const double dm = double(s.d_model), router = double(s.experts) * dm, expert = 3.0 * dm * double(s.expert_ff),
               shared = 3.0 * dm * double(s.shared_width());
  // Per token: the router, its top_k experts and the shared ones (what a dense
  // FFN of equal cost would hold).
  return {router + double(s.experts) * expert + shared, router + double(s.top_k) * expert + shared};
}

void MoeVariant::figures(const sdk::Problem& problem, const sdk::Tensors& tensors, sdk::Figures& out) const {
  const Shape s = Shape::of(problem);
  const sdk::ParameterCount count = parameters(problem);
  out.add("active_params", count.active);
  out.add("total_params", count.total);
  out.add("weight_bytes", count.total * double(sdk::dtype_size(problem.dtype())));
  // How the harness's inputs (and its router skew) spread the work: the busiest
  // expert's kept assignments over the mean, and the assignments capacity dropped.
  const Routing routing = route_in_double(router_, s, tensors);
  int64_t kept = 0, busiest = 0;
  for (int64_t load : routing.expert_load) kept += load, busiest = std::max(busiest, load);
  out.add("load_imbalance", kept ? double(busiest) * double(s.experts) / double(kept) : 0.0);
  out.add("dropped_fraction", double(routing.dropped) / double(s.tokens * s.top_k));
}

struct SoftmaxTopk : MoeVariant {
  SoftmaxTopk()
      : MoeVariant("moe/softmax-topk",
                   "softmax router, top-k, renormalized (Mixtral, Qwen3; = gpt-oss's softmax over the top-k logits)",
                   Router::softmax_topk) {}
};
struct SigmoidTopk : MoeVariant {
  SigmoidTopk()
      : MoeVariant("moe/sigmoid-topk",
                   "sigmoid router with a selection bias, group-limited top-k, renormalized and scaled "
                   "(DeepSeek V3, Kimi K2, GLM-4.5)",
                   Router::sigmoid_topk) {}
};
struct SigmoidTop1 : MoeVariant {
  SigmoidTop1()
      : MoeVariant("moe/sigmoid-top1", "top-1 by logit, sigmoid of it scales the expert's input (Llama 4)",
                   Router::sigmoid_top1) {}
};

}  // namespace archbench::plugins::moe

ARCHBENCH_PLUGIN("moe", "0.1.0", archbench::plugins::moe::SoftmaxTopk, archbench::plugins::moe::SigmoidTopk,
                 archbench::plugins::moe::SigmoidTop1)
