// attention/dsa's stages on Vulkan, recorded by mla_vulkan.cpp's instance
// between its own (shaders/README.md has every shader's interface):
//   projections  layer level: x W_iq (or the normalized query latent W_iq)
//                and x [W_ik | W_iw] (the SDK's tiled matmul);
//   prepare      dsa_prepare.comp: index queries' RoPE, weights, the index
//                key's LayerNorm (layer level) and RoPE, the index cache ring;
//   scores       dsa_indexer.comp: every query's index scores over the context;
//   top_k        dsa_topk.comp: each query's selection into `selected`;
//   attention    dsa_attention.comp: the absorbed attention over the selected
//                cache rows, latent rows out (mla_heads.comp then applies W_uv).
// The caller puts a compute barrier between stages that depend on each other.
#pragma once

#include <archbench/sdk_vulkan_matmul.hpp>

#include "mla.hpp"
#include "vulkan_storage.hpp"

namespace archbench::plugins::attention {

// What the MLA instance hands the DSA stages.
struct DsaVulkanSources {
  VulkanStorage storage = VulkanStorage::f32;   // the shaders' build, chosen by the MLA instance
  sdk::vulkan::Binding x, q_latent;             // layer level; q_latent only with q_lora_rank > 0
  sdk::vulkan::Spirv projection{};              // the MLA instance's projection build and tiling
  const sdk::vulkan::MatmulTiling* tiling = nullptr;
  sdk::vulkan::Binding cache_rows;              // [b, kv_rows, kvr + rope], position s at row s % kv_rows
  int64_t kv_rows = 0;
  sdk::vulkan::Binding queries;                 // absorbed prepared queries, f32 [rows, heads, kvr + rope]
  sdk::vulkan::Binding attended;                // latent rows out, storage type [rows, heads, kvr]
  uint32_t lanes = 0;                           // Device::one_subgroup_workgroup(): dsa_topk's and dsa_attention's workgroup
};

class DsaVulkan {
 public:
  DsaVulkan(const MlaShape& shape, const sdk::vulkan::Device& device, const sdk::Tensors& tensors,
            const DsaVulkanSources& sources);
  ~DsaVulkan();
  void record_projections(VkCommandBuffer cmd) const;  // layer level, after the query latent's norm
  void record_prepare(VkCommandBuffer cmd) const;      // after the projections
  void record_scores(VkCommandBuffer cmd) const;       // after prepare
  void record_top_k(VkCommandBuffer cmd) const;        // after the scores
  void record_attention(VkCommandBuffer cmd) const;    // after the top_k and the query fold

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace archbench::plugins::attention
