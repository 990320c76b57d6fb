// The norm plugin's shared shape: RMSNorm and LayerNorm over the last dim, with
// an optional fused residual add (h = x + residual; y = norm(h); both written),
// which is how pre-norm blocks use them.
//
//   rmsnorm:   y = h / sqrt(mean(h^2) + eps) * gamma
//   layernorm: y = (h - mean(h)) / sqrt(var(h) + eps) * gamma + beta
// gamma and beta are f32 in every dtype (oneDNN's scale/shift are f32).
#pragma once

#include <archbench/sdk.hpp>

namespace archbench::plugins::norm {

enum class NormType { rms, layer };

class NormVariant : public sdk::Variant {
 public:
  NormVariant(const char* name, const char* description, NormType type, double default_eps);

  void describe(const sdk::Problem& problem, sdk::Info& info) const override;
  void reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                 const sdk::Outputs& outputs) const override;
  ARCHBENCH_BACKEND_HOOKS  // create_cpu in cpu.cpp; create_vulkan in vulkan.cpp (Vulkan builds)
  NormType type() const { return type_; }

 private:
  NormType type_;
};

}  // namespace archbench::plugins::norm
