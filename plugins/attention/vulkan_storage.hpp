// vulkan_storage.hpp -- which build of the attention shaders (and of the
// projections' SDK matmul) a problem's storage takes on Vulkan; the three
// layouts are described in shaders/storage.glsl.
#pragma once

#include <archbench/sdk_vulkan.hpp>

#include <string>

namespace archbench::plugins::attention {

enum class VulkanStorage { f32, bf16_pairs, bf16_16bit };

// bf16 rows of odd width start mid-word, where two invocations writing the
// two halves of one pair word would race, so a problem with any odd bf16 row
// width takes the 16-bit build (one element per store; needs the device's
// storageBuffer16BitAccess, which the host enables where it exists). Even
// widths keep the paired build: whole-word stores and 4-wide loads.
inline VulkanStorage choose_vulkan_storage(ab_dtype dtype, bool odd_width, const sdk::vulkan::Device& device,
                                           const std::string& what) {
  if (dtype == AB_DTYPE_F32) return VulkanStorage::f32;
  if (dtype != AB_DTYPE_BF16) throw sdk::Unimplemented(what + " on Vulkan: f32 and bf16 storage only");
  if (!odd_width) return VulkanStorage::bf16_pairs;
  if (!device.has(AB_VK_STORAGE_16BIT))
    throw sdk::Unimplemented(what + " on Vulkan: bf16 rows of odd width are stored as 16-bit elements, "
                                    "which needs storageBuffer16BitAccess (this device has not)");
  return VulkanStorage::bf16_16bit;
}

// A stage's SPIR-V in the build for `storage` (CMakeLists.txt: attention_<stage>,
// _bf16 and _bf16_16bit).
#define ATTENTION_STORAGE_SPIRV(stage, storage)                                  \
  ((storage) == VulkanStorage::bf16_16bit ? ARCHBENCH_SPIRV(attention_##stage##_bf16_16bit) \
   : (storage) == VulkanStorage::bf16_pairs ? ARCHBENCH_SPIRV(attention_##stage##_bf16)     \
                                            : ARCHBENCH_SPIRV(attention_##stage))

}  // namespace archbench::plugins::attention
