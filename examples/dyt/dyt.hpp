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
  std::unique_ptr<archbench::sdk::Instance> create_cpu(const archbench::sdk::Problem& p, const ab_host& host,
                                                       const archbench::sdk::Tensors& t) const override;
#ifdef ARCHBENCH_PLUGIN_VULKAN  // vulkan.cpp builds only where Vulkan is available
  std::unique_ptr<archbench::sdk::Instance> create_vulkan(const archbench::sdk::Problem& p, const ab_host& host,
                                                          const archbench::sdk::Tensors& t) const override;
#endif
};
