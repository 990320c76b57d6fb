// The CPU kernels of DeepSeek Sparse Attention (attention/dsa):
//
//   LightningIndexer   per query its index scores over the visible positions,
//                      I(i, s) = sum_j w_ij ReLU(q_ij . k_s), as oneDNN matmuls
//                      of a block of queries' index heads against a block of
//                      index keys, then its top_k by a partial selection;
//   SparseLatentAttention  per query, the absorbed (multi-query) attention over
//                      its selected cache rows only: the rows gathered, then
//                      [heads x width] by [width x k] and [heads x k] by
//                      [k x kv_lora_rank] matmuls with an exact softmax between.
#pragma once

#include "mla.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <memory>

namespace archbench::plugins::attention::cpu {

class LightningIndexer {
 public:
  LightningIndexer(const MlaShape& shape, const dnnl::engine& engine, int threads);
  ~LightningIndexer();
  // queries [batch, tokens, index_heads, index_dim] f32 (rotated); weights
  // [batch, tokens, index_heads] f32; keys: prefill, this step's index keys
  // [batch, tokens, index_dim] f32; decode, the index cache [batch, slots,
  // index_dim] in the problem's dtype with the new key written. Writes
  // selected [batch, tokens, kept] (positions, -1 padded) and, when given,
  // scores [batch, tokens, context] (-inf where not visible).
  void run(const float* queries, const float* weights, const void* keys, int32_t* selected, float* scores);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class SparseLatentAttention {
 public:
  SparseLatentAttention(const MlaShape& shape, const dnnl::engine& engine, int threads);
  ~SparseLatentAttention();
  // queries [batch, tokens, heads, width] f32 (absorbed, rotated, scaled);
  // rows: prefill, this step's cache rows [batch, tokens, width] f32; decode,
  // the cache [batch, slots, width] in the problem's dtype; selected as the
  // indexer wrote it. out [batch, tokens, heads, kv_lora_rank] f32.
  void run(const float* queries, const void* rows, const int32_t* selected, float* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace archbench::plugins::attention::cpu
