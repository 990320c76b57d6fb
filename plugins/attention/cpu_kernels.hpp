// The two attention cores of the CPU backend and what they share.
//
// Both read queries that are already normalized, rotated and scaled (the
// "prepared" layout below) and produce rows of softmax(scores) V, normalized,
// through a RowSink that writes each finished row where the caller wants it.
//
//   prepared queries  [batch, kv_heads, tokens, group, head_dim]  so that the
//   rows of one K/V head over a block of tokens are one contiguous matrix.
#pragma once

#include "attention.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <functional>
#include <vector>

namespace archbench::plugins::attention::cpu {

// Per-score transforms of the design: soft-capping, ALiBi, the mask, sinks.
struct ScoreRules {
  std::vector<float> slopes;      // ALiBi slope per query head; empty without ALiBi
  const float* sinks = nullptr;   // sink logit per query head, or null
  float softcap = 0;

  explicit ScoreRules(const Shape& s, const float* sink_logits);
  // Applies soft-capping and ALiBi to scores[0..count) of keys j0.. for query
  // position i of query head `head`.
  void transform(float* scores, int64_t count, int64_t i, int64_t j0, int64_t head) const;
};

// Writes one finished, normalized output row (v_head_dim floats) of query
// token t (within the step) and query head h of sequence b.
using RowSink = std::function<void(int64_t b, int64_t t, int64_t h, const float* row)>;

// FlashAttention-style prefill: blocked online softmax with the two tile
// products (Q K^T and P V) as oneDNN matmul primitives, never materializing
// more than a block of scores. Keys/values are read from `keys`/`values`
// [batch, kv_heads, tokens, dim] in the compute dtype.
class FlashPrefill {
 public:
  FlashPrefill(const Shape& shape, const dnnl::engine& engine, dnnl::memory::data_type compute,
               int threads);
  ~FlashPrefill();
  void run(const void* queries, const void* keys, const void* values, const ScoreRules& rules,
           const RowSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Split-KV decode: one new query per sequence against the cache ring, the
// cached range split across threads and the partial softmaxes merged.
// Hand-vectorized: each key is used by only `group` queries, so this is a
// stream over the cache, bound by memory bandwidth, not a matmul.
void decode_attention(const Shape& shape, const float* queries, const void* k_cache,
                      const void* v_cache, const ScoreRules& rules, const RowSink& sink);

}  // namespace archbench::plugins::attention::cpu
