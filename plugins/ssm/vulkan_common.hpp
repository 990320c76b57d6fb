// What the ssm plugin's Vulkan instances share: the problem's tensors bound by
// name (refused past the device's binding limit), the storage checks, and how
// a prefill's tokens are cut into segments, one dispatch each.
#pragma once

#include "ssm.hpp"

#include <archbench/sdk_vulkan.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

namespace archbench::plugins::ssm::vk {

namespace sv = sdk::vulkan;

// local_size_x of both scan shaders.
constexpr uint32_t kLanes = 64;

// Where a segment's starting state comes from (shaders/storage.glsl).
enum Source : uint32_t { kFromZero = 0, kFromState = 1, kFromStateOut = 2 };

// llvmpipe (lavapipe) leaves a loop after 65535 iterations within one
// invocation, silently: one dispatch walking a 70000-token prompt left its last
// outputs unwritten (NaN). Each dispatch walks a segment of tokens whose loop
// iterations, all loops of the invocation counted together (the safe reading:
// whether nested loops share the cap was not established), stay under this
// budget; the state passes to the next segment through state_out. Real GPUs
// pay one dispatch and barrier per segment.
constexpr int64_t kLoopBudget = 60000;

// Tokens per segment for a shader spending `per_token` loop iterations a token
// and `fixed` more once per dispatch (state load and store).
inline int64_t segment_tokens(int64_t per_token, int64_t fixed) {
  return std::max<int64_t>(1, (kLoopBudget - fixed) / per_token);
}

// Throws Unimplemented for what the shaders cannot store: dtypes other than f32
// and bf16, and an odd `width` in bf16 (an invocation writes whole bf16 pairs).
inline void require_storage(const char* variant, ab_dtype dtype, int64_t width, const char* width_name) {
  if (dtype != AB_DTYPE_F32 && dtype != AB_DTYPE_BF16)
    throw sdk::Unimplemented(std::string(variant) + " on Vulkan: f32 and bf16 storage only");
  if (dtype == AB_DTYPE_BF16 && width % 2 != 0)
    throw sdk::Unimplemented(std::string(variant) + " on Vulkan: bf16 outputs are written in pairs of channels, so " +
                             width_name + " must be even (it is " + std::to_string(width) + ")");
}

// A problem tensor as a storage binding, refused (Unimplemented) past the
// device's binding limit.
inline sv::Binding tensor(const sv::Device& device, const sdk::Tensors& tensors, const char* name) {
  const ab_tensor& t = tensors[name];
  device.require_bindable(name, t.bytes);
  return sv::Binding::of(device, t);
}

}  // namespace archbench::plugins::ssm::vk
