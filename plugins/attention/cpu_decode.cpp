// Split-KV decode ("flash-decoding"): the visible cached positions of each
// (sequence, K/V head) are cut into ranges, each thread computes a partial
// online softmax over its ranges for all query heads of the group, and the
// partials are merged with their max/sum statistics at the end.
//
// Each key row is used by `group` queries only, so the work is a stream over
// the cache: loads are converted (bf16 -> f32) in registers and every row is
// read exactly once; the loops are written for the compiler's vectorizer.
#include "cpu_kernels.hpp"
#include "vector_math.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <omp.h>

namespace archbench::plugins::attention::cpu {
namespace {

constexpr int64_t kKeyBlock = 256;     // keys per block: long sequential runs for the prefetchers
constexpr int64_t kMinRange = 512;     // smallest range worth a task of its own

struct Partial {
  std::vector<float> max, sum, out;    // per query row of the group; out: group x v_head_dim
};

using vmath::horizontal_sum;
using vmath::kLanes;
using vmath::load16;
using vmath::vf16;

// Rows ahead to prefetch: with the hardware prefetcher alone a decode read
// the cache at two thirds of the rate it reaches with this (2-core EPYC VM).
constexpr int64_t kPrefetchRows = 32;

// scores[r * kKeyBlock + c] = q_r . key_c for R queries (a compile-time count,
// so the accumulators stay in registers) and `n` keys read in order, two keys
// per step so each query chunk loaded from L1 serves both.
template <int R, class E>
void block_scores_fixed(const float* q, const E* keys, int64_t n, int64_t hd, float* scores) {
  const int64_t vector_end = hd / kLanes * kLanes;
  int64_t c = 0;
  for (; c + 2 <= n; c += 2) {
    const E* key0 = keys + c * hd;
    const E* key1 = key0 + hd;
    vf16 acc0[R] = {}, acc1[R] = {};
    for (int64_t d = 0; d < vector_end; d += kLanes) {
      __builtin_prefetch(key0 + kPrefetchRows * hd + d);
      __builtin_prefetch(key1 + kPrefetchRows * hd + d);
      const vf16 k0 = load16(key0 + d), k1 = load16(key1 + d);
      for (int r = 0; r < R; ++r) {
        const vf16 qv = load16(q + r * hd + d);
        acc0[r] += qv * k0;
        acc1[r] += qv * k1;
      }
    }
    for (int r = 0; r < R; ++r) {
      float tail0 = 0, tail1 = 0;
      for (int64_t d = vector_end; d < hd; ++d) {
        tail0 += q[r * hd + d] * vmath::load(key0 + d);
        tail1 += q[r * hd + d] * vmath::load(key1 + d);
      }
      scores[r * kKeyBlock + c] = horizontal_sum(acc0[r]) + tail0;
      scores[r * kKeyBlock + c + 1] = horizontal_sum(acc1[r]) + tail1;
    }
  }
  for (; c < n; ++c) {
    const E* key = keys + c * hd;
    vf16 acc[R] = {};
    for (int64_t d = 0; d < vector_end; d += kLanes) {
      const vf16 k = load16(key + d);
      for (int r = 0; r < R; ++r) acc[r] += load16(q + r * hd + d) * k;
    }
    for (int r = 0; r < R; ++r) {
      float tail = 0;
      for (int64_t d = vector_end; d < hd; ++d) tail += q[r * hd + d] * vmath::load(key + d);
      scores[r * kKeyBlock + c] = horizontal_sum(acc[r]) + tail;
    }
  }
}

// Calls body.operator()<R>(r) over `rows` in groups of R = 4, then 2, then 1
// rows starting at r, so the kernels get compile-time row counts.
template <class Body>
void for_row_groups(int64_t rows, Body&& body) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) body.template operator()<4>(r);
  for (; r + 2 <= rows; r += 2) body.template operator()<2>(r);
  for (; r < rows; ++r) body.template operator()<1>(r);
}

template <class E>
void block_scores(const float* q, int64_t rows, const E* keys, int64_t n, int64_t hd,
                  float* scores) {
  for_row_groups(rows, [&]<int R>(int64_t r) {
    block_scores_fixed<R>(q + r * hd, keys, n, hd, scores + r * kKeyBlock);
  });
}

// out[r] += sum_c p[r * kKeyBlock + c] * value_c for R rows (compile-time, so
// the accumulators stay in registers), 16 value rows (8 KiB, L1) at a time:
// each output chunk is loaded and stored once per 16 keys, not once per key.
template <int R, class E>
void block_values_fixed(const float* p, const E* values, int64_t n, int64_t vhd, float* out) {
  constexpr int64_t kSub = 16;
  const int64_t vector_end = vhd / kLanes * kLanes;
  for (int64_t c0 = 0; c0 < n; c0 += kSub) {
    const int64_t count = std::min(kSub, n - c0);
    for (int64_t d = 0; d < vector_end; d += kLanes) {
      vf16 acc[R];
      for (int r = 0; r < R; ++r) acc[r] = load16(out + r * vhd + d);
      for (int64_t c = 0; c < count; ++c) {
        const E* row = values + (c0 + c) * vhd + d;
        __builtin_prefetch(row + kPrefetchRows * vhd);
        const vf16 v = load16(row);
        for (int r = 0; r < R; ++r) acc[r] += p[r * kKeyBlock + c0 + c] * v;
      }
      for (int r = 0; r < R; ++r) *reinterpret_cast<vf16*>(out + r * vhd + d) = acc[r];
    }
  }
  for (int64_t c = 0; c < n; ++c)
    for (int64_t d = vector_end; d < vhd; ++d) {
      const float v = vmath::load(values + c * vhd + d);
      for (int r = 0; r < R; ++r) out[r * vhd + d] += p[r * kKeyBlock + c] * v;
    }
}

template <class E>
void block_values(const float* p, int64_t rows, const E* values, int64_t n, int64_t vhd,
                  float* out) {
  for_row_groups(rows, [&]<int R>(int64_t r) {
    block_values_fixed<R>(p + r * kKeyBlock, values, n, vhd, out + r * vhd);
  });
}

// Online softmax over cached positions [begin, end) for the group's queries.
template <class E>
void attend_range(const Shape& s, const float* q, const E* k_head, const E* v_head, int64_t g,
                  int64_t begin, int64_t end, const ScoreRules& rules, Partial& part) {
  const int64_t group = s.group(), hd = s.head_dim, vhd = s.v_head_dim, slots = s.slots();
  const int64_t i = s.seq;  // position of the new token
  constexpr int64_t kRowsPerPass = 32;
  float scores[kKeyBlock * kRowsPerPass];
  for (int64_t r0 = 0; r0 < group; r0 += kRowsPerPass) {
    const int64_t rows = std::min(kRowsPerPass, group - r0);
    for (int64_t p0 = begin; p0 < end;) {
      // A block never wraps around the ring: its slots are contiguous.
      const int64_t slot0 = p0 % slots;
      const int64_t n = std::min({kKeyBlock, end - p0, slots - slot0});
      block_scores(q + r0 * hd, rows, k_head + slot0 * hd, n, hd, scores);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t row = r0 + r, h = g * group + row;
        float* sr = scores + r * kKeyBlock;
        rules.transform(sr, n, i, p0, h);
        const float alpha =
            vmath::online_softmax_step(sr, n, part.max[size_t(row)], part.sum[size_t(row)], sr);
        if (alpha != 1.0f) {
          float* out = part.out.data() + row * vhd;
          for (int64_t d = 0; d < vhd; ++d) out[d] *= alpha;
        }
      }
      block_values(scores, rows, v_head + slot0 * vhd, n, vhd, part.out.data() + r0 * vhd);
      p0 += n;
    }
  }
}

template <class E>
void decode_typed(const Shape& s, const float* queries, const E* k_cache, const E* v_cache,
                  const ScoreRules& rules, const RowSink& sink) {
  const int64_t group = s.group(), hd = s.head_dim, vhd = s.v_head_dim, slots = s.slots();
  const int64_t heads = s.batch * s.kv_heads;
  const int64_t i = s.seq, begin = s.first_visible(i), count = i - begin + 1;
  const int threads = omp_get_max_threads();
  // Enough ranges to keep every thread busy, none shorter than kMinRange.
  const int64_t wanted = (4 * threads + heads - 1) / heads;
  const int64_t splits = std::max<int64_t>(1, std::min(wanted, count / kMinRange));
  const int64_t range = (count + splits - 1) / splits;
  std::vector<Partial> parts(size_t(heads * splits));
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t task = 0; task < heads * splits; ++task) {
    const int64_t head = task / splits, split = task % splits;
    const int64_t g = head % s.kv_heads;
    Partial& part = parts[size_t(task)];
    part.max.assign(size_t(group), -std::numeric_limits<float>::infinity());
    part.sum.assign(size_t(group), 0.0f);
    part.out.assign(size_t(group * vhd), 0.0f);
    const int64_t lo = begin + split * range, hi = std::min(begin + count, lo + range);
    if (lo >= hi) continue;
    attend_range(s, queries + head * group * hd, k_cache + head * slots * hd,
                 v_cache + head * slots * vhd, g, lo, hi, rules, part);
  }
  // Merge the partials of each query row (the sink joins as one more partial
  // with max = its logit, sum = 1 and no value).
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < heads * group; ++row) {
    const int64_t head = row / group, r = row % group;
    const int64_t b = head / s.kv_heads, h = (head % s.kv_heads) * group + r;
    float m = rules.sinks ? rules.sinks[h] : -std::numeric_limits<float>::infinity();
    for (int64_t sp = 0; sp < splits; ++sp) m = std::max(m, parts[size_t(head * splits + sp)].max[size_t(r)]);
    float total = rules.sinks ? vmath::exp_nonpositive(rules.sinks[h] - m) : 0.0f;
    std::vector<float> out(size_t(vhd), 0.0f);
    for (int64_t sp = 0; sp < splits; ++sp) {
      const Partial& part = parts[size_t(head * splits + sp)];
      if (part.sum[size_t(r)] == 0) continue;
      const float weight = vmath::exp_nonpositive(part.max[size_t(r)] - m);
      total += weight * part.sum[size_t(r)];
      const float* o = part.out.data() + r * vhd;
      for (int64_t d = 0; d < vhd; ++d) out[size_t(d)] += weight * o[d];
    }
    const float inverse = 1.0f / total;
    for (float& o : out) o *= inverse;
    sink(b, 0, h, out.data());
  }
}

}  // namespace

void decode_attention(const Shape& shape, const float* queries, const void* k_cache,
                      const void* v_cache, const ScoreRules& rules, const RowSink& sink) {
  if (shape.dtype == AB_DTYPE_F32)
    decode_typed(shape, queries, static_cast<const float*>(k_cache),
                 static_cast<const float*>(v_cache), rules, sink);
  else
    decode_typed(shape, queries, static_cast<const uint16_t*>(k_cache),
                 static_cast<const uint16_t*>(v_cache), rules, sink);
}

}  // namespace archbench::plugins::attention::cpu
