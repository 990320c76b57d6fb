// vulkan_projection.cpp -- picks the projection matmul's SPIR-V and tiling
// (vulkan_projection.hpp); CMakeLists.txt builds every combination.
#include "vulkan_projection.hpp"

#include "spirv/attention_projection_bf16_16bit_shared.hpp"
#include "spirv/attention_projection_bf16_16bit_subgroup.hpp"
#include "spirv/attention_projection_bf16_shared.hpp"
#include "spirv/attention_projection_bf16_subgroup.hpp"
#include "spirv/attention_projection_bias_bf16_16bit_shared.hpp"
#include "spirv/attention_projection_bias_bf16_16bit_subgroup.hpp"
#include "spirv/attention_projection_bias_bf16_shared.hpp"
#include "spirv/attention_projection_bias_bf16_subgroup.hpp"
#include "spirv/attention_projection_bias_shared.hpp"
#include "spirv/attention_projection_bias_subgroup.hpp"
#include "spirv/attention_projection_shared.hpp"
#include "spirv/attention_projection_subgroup.hpp"

namespace archbench::plugins::attention {

namespace sv = sdk::vulkan;

// Must match the MM_* defines of the projection shaders in CMakeLists.txt.
// The 16-bit build keeps the paired build's tiling, so both pack B alike.
constexpr sv::MatmulTiling kF32Tiling{ATTENTION_MM_TM, ATTENTION_MM_TN, 1, false};
constexpr sv::MatmulTiling kBf16PairsTiling{ATTENTION_MM_TM, ATTENTION_MM_BF16_TN, 1, false, true};
constexpr sv::MatmulTiling kBf16_16bitTiling{ATTENTION_MM_TM, ATTENTION_MM_BF16_TN, 1, false, true, true};

sv::Spirv projection_spirv(VulkanStorage storage, bool bias, const sv::Device& device) {
  // Index: storage (f32, pairs, 16-bit), bias, subgroups.
  static const sv::Spirv builds[12] = {
      ARCHBENCH_SPIRV(attention_projection_shared),
      ARCHBENCH_SPIRV(attention_projection_subgroup),
      ARCHBENCH_SPIRV(attention_projection_bias_shared),
      ARCHBENCH_SPIRV(attention_projection_bias_subgroup),
      ARCHBENCH_SPIRV(attention_projection_bf16_shared),
      ARCHBENCH_SPIRV(attention_projection_bf16_subgroup),
      ARCHBENCH_SPIRV(attention_projection_bias_bf16_shared),
      ARCHBENCH_SPIRV(attention_projection_bias_bf16_subgroup),
      ARCHBENCH_SPIRV(attention_projection_bf16_16bit_shared),
      ARCHBENCH_SPIRV(attention_projection_bf16_16bit_subgroup),
      ARCHBENCH_SPIRV(attention_projection_bias_bf16_16bit_shared),
      ARCHBENCH_SPIRV(attention_projection_bias_bf16_16bit_subgroup),
  };
  return builds[int(storage) * 4 + (bias ? 2 : 0) + (sv::matmul_uses_subgroups(device) ? 1 : 0)];
}

const sv::MatmulTiling& projection_tiling(VulkanStorage storage) {
  switch (storage) {
    case VulkanStorage::f32: return kF32Tiling;
    case VulkanStorage::bf16_pairs: return kBf16PairsTiling;
    case VulkanStorage::bf16_16bit: break;
  }
  return kBf16_16bitTiling;
}

}  // namespace archbench::plugins::attention
