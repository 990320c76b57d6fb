// The moe plugin's shared shape: one class covers the router families, which
// differ only in how a token's experts and their weights are chosen; the
// experts themselves are gated FFNs (as the ffn plugin's) stacked per expert.
//
//   logits  = x W_router^T + logit_offset          (offset: the harness's router skew)
//   routing = family(logits) -> top_k experts per token and their weights
//   y       = sum over kept (token, expert) of  w * FFN_e(x)      (softmax/sigmoid-topk)
//           | FFN_e(w * x)                                       (sigmoid-top1: Llama 4)
//           + shared FFN(x)                                      (shared experts, if any)
//
// Capacity (cf > 0): each expert keeps its first ceil(cf * tokens * top_k / experts)
// assignments in token order and drops the rest (Switch-style); dropped ones add nothing.
#pragma once

#include <archbench/sdk.hpp>

#include <cstdint>
#include <vector>

namespace archbench::plugins::moe {

enum class Router { softmax_topk, sigmoid_topk, sigmoid_top1 };
enum class Activation { swiglu, geglu, swiglu_clamp };

// Every number a problem fixes, read once.
struct Shape {
  int64_t tokens, d_model, experts, top_k, expert_ff, shared, shared_ff;
  Activation activation;
  double capacity_factor, skew;
  int64_t groups, top_groups;  // sigmoid-topk: group-limited selection
  bool renormalize;
  double route_scale;

  static Shape of(const sdk::Problem& problem);
  int64_t shared_width() const { return shared * shared_ff; }
  // Assignments an expert keeps (cf > 0), or tokens (dropless).
  int64_t capacity() const;
};

// The expert activation on a gate and an up value (gpt-oss's clamped SwiGLU included).
double activate(Activation activation, double gate, double up);

// One token's routing as the double reference decides it, shared by reference()
// and the figures extra: ranked by the selection score, then filtered by capacity.
struct Routing {
  std::vector<int32_t> experts;        // [tokens, top_k], best first
  std::vector<double> weights;         // [tokens, top_k], the combine (or input) weight
  std::vector<double> scores;          // [tokens, experts], what the selection ranks
  std::vector<uint8_t> kept;           // [tokens, top_k], 0 where capacity dropped it
  std::vector<int64_t> expert_load;    // [experts], kept assignments
  int64_t dropped = 0;
};
Routing route_in_double(Router router, const Shape& shape, const sdk::Tensors& tensors);

class MoeVariant : public sdk::Variant {
 public:
  MoeVariant(const char* name, const char* description, Router router);

  std::string validate(const sdk::Problem& problem) const override;
  void describe(const sdk::Problem& problem, sdk::Info& info) const override;
  void reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                 const sdk::Outputs& outputs) const override;
  // Active and total parameters, weight bytes, load imbalance, dropped fraction.
  void figures(const sdk::Problem& problem, const sdk::Tensors& tensors, sdk::Figures& out) const override;
  sdk::ParameterCount parameters(const sdk::Problem& problem) const override;
  ARCHBENCH_BACKEND_HOOKS  // create_cpu in cpu.cpp; create_vulkan in vulkan.cpp (Vulkan builds)

  Router router() const { return router_; }

 private:
  Router router_;
};

}  // namespace archbench::plugins::moe
