// What the mixers' Vulkan instances share: the checks every rule makes before
// building anything (storage type, bf16 pairs, binding limits), the problem's
// tensors bound by name, and the launch geometry of the shaders.
#pragma once

#include "mixers.hpp"

#include <archbench/sdk_vulkan.hpp>

#include <algorithm>
#include <memory>
#include <string>

namespace archbench::plugins::mixers::vk {

namespace sv = sdk::vulkan;

// local_size_x of every mixers shader.
constexpr uint32_t kLanes = 64;
// State columns one prefill workgroup carries through the chunks (even, so
// bf16 outputs are whole words).
constexpr uint32_t kChunkColumns = 32;

// Throws Unimplemented for what the shaders cannot store: other dtypes than
// f32 and bf16, and odd widths in bf16 (values travel in pairs).
inline void require_storage(const Shape& s) {
  if (s.dtype != AB_DTYPE_F32 && s.dtype != AB_DTYPE_BF16)
    throw sdk::Unimplemented("mixers on Vulkan: f32 and bf16 storage only");
  if (s.dtype == AB_DTYPE_BF16 && (s.dk % 2 != 0 || s.dv % 2 != 0))
    throw sdk::Unimplemented("mixers on Vulkan: bf16 values are read and written in pairs, so head_dim and "
                             "v_head_dim must be even");
}

// A problem tensor as a storage binding, refused (Unimplemented) past the
// device's binding limit.
inline sv::Binding tensor(const sv::Device& device, const sdk::Tensors& tensors, const char* name) {
  const ab_tensor& t = tensors[name];
  device.require_bindable(name, t.bytes);
  return sv::Binding::of(device, t);
}

// A plugin-owned f32 scratch of `count` values, refused past the binding limit.
inline sv::Buffer scratch(const sv::Device& device, const char* what, int64_t count) {
  const uint64_t bytes = uint64_t(std::max<int64_t>(count, 1)) * 4;
  device.require_bindable(what, bytes);
  return sv::Buffer(device, bytes);
}

// Throws Unimplemented when a kernel's shared memory exceeds the device's.
inline void require_shared(const sv::Device& device, const std::string& what, uint64_t bytes) {
  if (bytes > device.max_shared_memory())
    throw sdk::Unimplemented(what + " needs " + std::to_string(bytes) + " bytes of shared memory; this device allows " +
                             std::to_string(device.max_shared_memory()) + " (a smaller chunk needs less)");
}

// Workgroups along a dimension the shaders stride over (tokens, chunks):
// at most the portable 65535, the rest taken by the same workgroups in turn.
inline uint32_t striding_groups(int64_t items) { return uint32_t(std::clamp<int64_t>(items, 1, 65535)); }

inline uint32_t flag(bool on) { return on ? 1u : 0u; }

// Lanes of a prefill chunk kernel: 256 where the device allows (the spec's
// minimum is 128), so each lane's loops over one chunk stay short.
inline uint32_t chunk_lanes(const sv::Device& device) {
  VkPhysicalDeviceProperties properties;
  vkGetPhysicalDeviceProperties(device.physical_device(), &properties);
  return std::min<uint32_t>(256, std::min(properties.limits.maxComputeWorkGroupInvocations,
                                          properties.limits.maxComputeWorkGroupSize[0]));
}

std::unique_ptr<sdk::Instance> make_linear_instance(const Shape& shape, const ab_host& host,
                                                    const sdk::Tensors& tensors);
std::unique_ptr<sdk::Instance> make_delta_instance(const Shape& shape, const ab_host& host,
                                                   const sdk::Tensors& tensors);
std::unique_ptr<sdk::Instance> make_delta_layer_instance(const Shape& shape, const ab_host& host,
                                                         const sdk::Tensors& tensors);

}  // namespace archbench::plugins::mixers::vk
