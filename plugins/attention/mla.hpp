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
#pragma once

#include "attention.hpp"

namespace archbench::plugins::attention {

struct MlaShape {
  Mode mode = Mode::prefill;
  int64_t batch = 1, seq = 1, heads = 128, d_model = 0;
  int64_t q_lora_rank = 0, kv_lora_rank = 512, nope = 128, rope = 64, v_head_dim = 128;
  double rope_theta = 10000;
  bool latent_norm = true, absorb = false;
  Mask mask = Mask::causal;
  int64_t span = 0;
  ab_dtype dtype = AB_DTYPE_F32;

  static MlaShape of(const sdk::Problem& problem);

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
  MlaVariant();
  std::string validate(const sdk::Problem& problem) const override;
  void describe(const sdk::Problem& problem, sdk::Info& info) const override;
  void reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                 const sdk::Outputs& outputs) const override;
  ARCHBENCH_CPU_HOOK

 private:
  std::unique_ptr<sdk::MixerQkv> qkv_;  // contract mixer.qkv/1 through the latent (mla_adapter.cpp)
};

void reference_mla(const MlaShape& shape, const sdk::Tensors& tensors, const sdk::Outputs& outputs);
std::unique_ptr<sdk::Instance> make_mla_cpu_instance(const MlaShape& shape, const ab_host& host,
                                                     const sdk::Tensors& tensors);
std::unique_ptr<sdk::Instance> make_mla_vulkan_instance(const MlaShape& shape, const ab_host& host,
                                                        const sdk::Tensors& tensors);
std::unique_ptr<sdk::MixerQkv> make_mla_qkv_adapter(const sdk::Variant& variant);

}  // namespace archbench::plugins::attention
