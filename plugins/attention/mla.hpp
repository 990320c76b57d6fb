// Multi-head latent attention (DeepSeek V2/V3, Kimi K2): the attention
// plugin's latent-cache design. Per token the cache holds one normalized
// latent c (kv_lora_rank wide) and one rotated RoPE key k_r (qk_rope_dim wide)
// shared by every head; each head's key and value are up-projections of c:
//
//   k_h = [ W_uk,h^T c | k_r ]      (qk_nope_dim + qk_rope_dim)
//   v_h =   W_uv,h^T c              (v_head_dim)
//   q_h = [ q_nope,h   | RoPE(q_rope,h) ]
//   score = q_h . k_h / sqrt(qk_nope_dim + qk_rope_dim), softmax over the visible keys
//
// Two ways to compute the same thing (the design flag `absorb`):
//   absorb 0  decompress K and V from the cache, then ordinary multi-head
//             attention (the attention plugin's FlashAttention tiles / decode);
//   absorb 1  fold W_uk into the query (q_lat,h = W_uk,h q_nope,h) and W_uv
//             after the attention: every head attends over the cache rows
//             [c | k_r] directly, a multi-query attention with keys of
//             kv_lora_rank + qk_rope_dim and values of kv_lora_rank.
//
// Layouts (row-major, last dim contiguous):
//   core level (d_model = 0): the queries and this step's latent are given
//     q       [batch, tokens, heads, qk_nope_dim + qk_rope_dim]  (RoPE part unrotated)
//     latent  [batch, tokens, kv_lora_rank]                        (already normalized)
//     k_rope  [batch, tokens, qk_rope_dim]                         (unrotated)
//     out     [batch, tokens, heads, v_head_dim]
//   layer level (d_model > 0): x [batch, tokens, d_model] -> y [batch, tokens, d_model]
//     w_dq [d_model, q_lora_rank], q_norm [q_lora_rank], w_uq [q_lora_rank, heads*(nope+rope)]
//     (q_lora_rank = 0: w_q [d_model, heads*(nope+rope)]), w_dkv [d_model, kv_lora_rank + rope],
//     kv_norm [kv_lora_rank], w_o [heads*v_head_dim, d_model]
//   both: w_uk [kv_lora_rank, heads*qk_nope_dim], w_uv [kv_lora_rank, heads*v_head_dim],
//     kv_cache [batch, slots, kv_lora_rank + qk_rope_dim]   the ring, as attention's
//
// DeepSeek Sparse Attention (attention/dsa, V3.2) is MLA whose every query
// attends only to the top_k visible positions a "lightning indexer" ranks
// highest (all of them when fewer are visible):
//   I(i, s) = sum_j w_ij ReLU(q^I_ij . k^I_s)     (index_heads j, index_dim wide)
// with one index key per token (LayerNorm of x W_ik at layer level), RoPE on
// the first index_rope dims of index queries and keys, and the index keys
// cached beside the latent. The attention itself runs absorbed (as DeepSeek's
// kernels do): a multi-query attention over the selected cache rows.
//   core level: index_q [batch, tokens, index_heads, index_dim] (unrotated),
//     index_w [batch, tokens, index_heads], index_k [batch, tokens, index_dim]
//     (normalized, unrotated);
//   layer level: w_iq [q_lora_rank or d_model, index_heads*index_dim] (from the
//     normalized query latent, or x), w_ik [d_model, index_dim], ik_gamma and
//     ik_beta [index_dim] (LayerNorm), w_iw [d_model, index_heads];
//   index_cache [batch, slots, index_dim]; outputs also `selected` [batch,
//     tokens, min(top_k, context)] int32 positions (-1 pads a row with fewer
//     visible positions), compared as sets ranked by `index_scores` [batch,
//     tokens, context] (the index scores, -inf where not visible; unchecked,
//     the host ranks by the reference's; declared up to 2^24 of them).
#pragma once

#include "attention.hpp"

#include <algorithm>

namespace archbench::plugins::attention {

struct MlaShape {
  Mode mode = Mode::prefill;
  int64_t batch = 1, seq = 1, heads = 128, d_model = 0;
  int64_t q_lora_rank = 0, kv_lora_rank = 512, nope = 128, rope = 64, v_head_dim = 128;
  double rope_theta = 10000;
  bool latent_norm = true, absorb = false;
  Mask mask = Mask::causal;
  int64_t span = 0;
  int64_t index_heads = 0, index_dim = 0, index_rope = 0, top_k = 0;  // DSA only
  ab_dtype dtype = AB_DTYPE_F32;

  static MlaShape of(const sdk::Problem& problem);

  bool sparse() const { return top_k > 0; }
  // Positions a query keeps at most: top_k, or every position of a shorter context.
  int64_t kept() const { return std::min(top_k, positions().context()); }
  // Positions a query of the step at position i keeps: top_k of its visible ones.
  int64_t selectable(int64_t i) const;
  // Whether the problem declares `index_scores`, which ranks the selection
  // check: 4 bytes per (query, position) pair, so not for long prefills.
  bool has_index_scores() const;

  bool layer() const { return d_model > 0; }
  int64_t qk_dim() const { return nope + rope; }
  int64_t cache_width() const { return kv_lora_rank + rope; }  // values cached per token
  // The multi-head attention that absorb = 0 runs after decompressing: every
  // head its own K/V head, RoPE already applied, the same mask and positions.
  Shape decompressed() const;
  // The multi-query attention that absorb = 1 runs over the cache rows.
  Shape absorbed() const;
  // Mode, positions, mask and ring arithmetic, shared with attention's Shape.
  Shape positions() const { return decompressed(); }
  double score_scale() const;
};

class MlaVariant : public sdk::Variant {
 public:
  explicit MlaVariant(bool sparse = false);
  std::string validate(const sdk::Problem& problem) const override;
  void describe(const sdk::Problem& problem, sdk::Info& info) const override;
  void reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                 const sdk::Outputs& outputs) const override;
  ARCHBENCH_BACKEND_HOOKS  // create_cpu in mla_plugin.cpp; create_vulkan in mla_vulkan.cpp (Vulkan builds)

 private:
  void describe_indexer(const MlaShape& shape, sdk::Info& info) const;
  bool sparse_;
  std::unique_ptr<sdk::MixerQkv> qkv_;  // contract mixer.qkv/1 through the latent (mla_adapter.cpp)
};

struct DsaVariant : MlaVariant {
  DsaVariant() : MlaVariant(true) {}
};

void reference_mla(const MlaShape& shape, const sdk::Tensors& tensors, const sdk::Outputs& outputs);
std::unique_ptr<sdk::Instance> make_mla_cpu_instance(const MlaShape& shape, const ab_host& host,
                                                     const sdk::Tensors& tensors);
std::unique_ptr<sdk::Instance> make_mla_vulkan_instance(const MlaShape& shape, const ab_host& host,
                                                        const sdk::Tensors& tensors);
std::unique_ptr<sdk::MixerQkv> make_mla_qkv_adapter(const sdk::Variant& variant);

}  // namespace archbench::plugins::attention
