// The CPU kernel MLA adds to the attention plugin's two cores: absorbed
// decode, where every query head attends to the same cache rows.
//
// After absorption a decode step is a multi-query attention with heads
// queries of kv_lora_rank + qk_rope_dim against each cached row [c | k_r],
// and values that are the rows' first kv_lora_rank entries: per block of
// positions two real matrix products ([heads x width] by [width x n], then
// [heads x n] by [n x kv_lora_rank]), so unlike attention's decode (a
// bandwidth-bound stream) it is compute-bound and runs on oneDNN matmuls.
#pragma once

#include "attention.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <memory>

namespace archbench::plugins::attention::cpu {

class LatentDecode {
 public:
  // `absorbed`: MlaShape::absorbed() (one K/V head of width kv_lora_rank +
  // qk_rope_dim, values the first v_head_dim = kv_lora_rank of it), in decode
  // mode, with the cache's dtype.
  LatentDecode(const Shape& absorbed, const dnnl::engine& engine, int threads);
  ~LatentDecode();
  // queries [batch, heads, width] f32, rotated and scaled; cache [batch, slots,
  // width] in the shape's dtype, the new token already written; out [batch,
  // heads, kv_lora_rank] f32, the normalized softmax-weighted latent rows.
  void run(const float* queries, const void* cache, float* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace archbench::plugins::attention::cpu
