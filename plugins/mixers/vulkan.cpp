// The mixers' Vulkan entry: the shared checks, then the rule's own instance
// (vulkan_linear.cpp for linear attention / retention and GLA,
// vulkan_delta.cpp for Gated DeltaNet, vulkan_delta_layer.cpp for its layer
// level). Where the CPU gives each thread whole (sequence, head) pairs, the
// device splits each head's state further, into blocks of columns, one
// workgroup each.
#include "vulkan_common.hpp"

namespace archbench::plugins::mixers {

std::unique_ptr<sdk::Instance> MixerVariant::create_vulkan(const sdk::Problem& problem, const ab_host& host,
                                                           const sdk::Tensors& tensors) const {
  const Shape s = Shape::of(problem, rule_);
  vk::require_storage(s);
  // Heads and sequences are grid dimensions of every kernel.
  sdk::vulkan::require_groups(std::string(name()) + " on Vulkan", 1, uint64_t(s.heads), uint64_t(s.batch));
  if (s.layer()) return vk::make_delta_layer_instance(s, host, tensors);  // validate() keeps it to GDN
  if (rule_ == Rule::delta) return vk::make_delta_instance(s, host, tensors);
  return vk::make_linear_instance(s, host, tensors);
}

}  // namespace archbench::plugins::mixers
