// norm/dyt — Dynamic Tanh, "Transformers without Normalization" (Zhu et al.
// 2025): y = gamma * tanh(alpha * h) + beta with h = x (+ residual), a drop-in
// for RMSNorm with no row statistics. Same workload parameters as the in-tree
// norms (tokens, d_model, residual), so the leaderboard ranks it beside them.
#pragma once

#include <archbench/sdk.hpp>

class Dyt : public archbench::sdk::Variant {
 public:
  Dyt();
  void describe(const archbench::sdk::Problem& p, archbench::sdk::Info& info) const override;
  void reference(const archbench::sdk::Problem& p, const archbench::sdk::Tensors& t,
                 const archbench::sdk::Outputs& out) const override;
  ARCHBENCH_BACKEND_HOOKS  // create_cpu in cpu.cpp; create_vulkan in vulkan.cpp (Vulkan builds)
};
