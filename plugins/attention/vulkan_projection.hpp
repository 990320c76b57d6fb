// vulkan_projection.hpp -- the builds of the SDK's tiled matmul that the
// attention plugin's layer-level projections (and MLA's decompression) run,
// per storage (vulkan_storage.hpp), bias and path (subgroup shuffles or the
// shared-memory fallback); the tiling each was compiled with.
#pragma once

#include <archbench/sdk_vulkan_matmul.hpp>

#include "vulkan_storage.hpp"

namespace archbench::plugins::attention {

sdk::vulkan::Spirv projection_spirv(VulkanStorage storage, bool bias, const sdk::vulkan::Device& device);
const sdk::vulkan::MatmulTiling& projection_tiling(VulkanStorage storage);

}  // namespace archbench::plugins::attention
