// Few-row expert matmul in place (see cpu_few_rows.hpp). Accumulators for all
// rows over a 1024-column block stay in L1/L2 while the k loop streams
// the weights' block row by row; bf16 weights are widened on load (a shift).
#include "cpu_few_rows.hpp"

#include <algorithm>
#include <cstring>

namespace archbench::plugins::moe {
namespace {

constexpr int64_t kBlock = 1024;  // columns per pass: long contiguous runs of each weight row

inline float widen(uint16_t bits) {
  const uint32_t word = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &word, 4);
  return value;
}

template <class W, int N>
void block(const float* rows, int64_t k, const W* w, int64_t ld_w, float* out, int64_t ld_out, int64_t c0,
           int64_t width) {
  float acc[N][kBlock] = {};
  for (int64_t p = 0; p < k; ++p) {
    const W* w_row = w + p * ld_w + c0;
    float a[N];
    for (int r = 0; r < N; ++r) a[r] = rows[r * k + p];
#pragma omp simd
    for (int64_t j = 0; j < width; ++j) {
      float value;
      if constexpr (sizeof(W) == 2) value = widen(w_row[j]);
      else value = w_row[j];
      for (int r = 0; r < N; ++r) acc[r][j] += a[r] * value;
    }
  }
  for (int r = 0; r < N; ++r) std::copy(acc[r], acc[r] + width, out + r * ld_out + c0);
}

template <class W, int N>
void columns(const float* rows, int64_t k, const W* w, int64_t ld_w, float* out, int64_t ld_out, int64_t c0,
             int64_t c1) {
  for (int64_t c = c0; c < c1; c += kBlock) block<W, N>(rows, k, w, ld_w, out, ld_out, c, std::min(kBlock, c1 - c));
}

template <class W>
void dispatch(const float* rows, int64_t n, int64_t k, const W* w, int64_t ld_w, float* out, int64_t ld_out,
              int64_t c0, int64_t c1) {
  // Rows in groups of up to 4 (each group reads the weights once more: a
  // decode batch of 8 reads them twice, still far from a matmul's reuse).
  for (int64_t r = 0; r < n; r += 4) {
    const float* group = rows + r * k;
    float* target = out + r * ld_out;
    switch (std::min<int64_t>(4, n - r)) {
      case 1: columns<W, 1>(group, k, w, ld_w, target, ld_out, c0, c1); break;
      case 2: columns<W, 2>(group, k, w, ld_w, target, ld_out, c0, c1); break;
      case 3: columns<W, 3>(group, k, w, ld_w, target, ld_out, c0, c1); break;
      default: columns<W, 4>(group, k, w, ld_w, target, ld_out, c0, c1); break;
    }
  }
}

}  // namespace

void few_rows_times_weight(const float* rows, int64_t n, int64_t k, const void* weights, ab_dtype dtype, int64_t ld_w,
                           float* out, int64_t ld_out, int64_t c0, int64_t c1) {
  if (dtype == AB_DTYPE_BF16)
    dispatch(rows, n, k, static_cast<const uint16_t*>(weights), ld_w, out, ld_out, c0, c1);
  else
    dispatch(rows, n, k, static_cast<const float*>(weights), ld_w, out, ld_out, c0, c1);
}

}  // namespace archbench::plugins::moe
