// The ffn plugin's shared shape: one class covers SwiGLU, GeGLU and the plain
// GELU MLP, which differ only in the activation and whether a gate exists.
//
//   gated:     y = (act(x W_gate) * (x W_up)) W_down
//   not gated: y = act(x W_up) W_down
#pragma once

#include <archbench/sdk.hpp>

namespace archbench::plugins::ffn {

enum class Activation { silu, gelu_tanh };

class FfnVariant : public sdk::Variant {
 public:
  FfnVariant(const char* name, const char* description, Activation activation, bool gated);

  std::string validate(const sdk::Problem& problem) const override;
  void describe(const sdk::Problem& problem, sdk::Info& info) const override;
  void reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                 const sdk::Outputs& outputs) const override;
  // Parameters and weight bytes, so a dense FFN ranks beside a MoE layer at equal active parameters.
  void figures(const sdk::Problem& problem, const sdk::Tensors& tensors, sdk::Figures& out) const override;
  ARCHBENCH_BACKEND_HOOKS  // create_cpu in cpu.cpp; create_vulkan in vulkan.cpp (Vulkan builds)

  Activation activation() const { return activation_; }
  bool gated() const { return gated_; }

 private:
  Activation activation_;
  bool gated_;
};

// Backend entry points (one file each).
}  // namespace archbench::plugins::ffn
