// archbench plugin SDK — building blocks for plain double-precision references.
//
// References must be obviously correct; these helpers are the few loops every
// reference needs, written once and blocked only so that a 4096x11008 reference
// finishes in seconds instead of minutes. All arithmetic is in double.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace archbench::sdk::reference {

// c[m x n] += a[m x k] * b[k x n] with leading dimensions (row strides), on
// the calling thread. Register tiles of 4 x 8 with k in chunks; b is copied a
// panel (a k chunk by 512 columns) at a time into 8-column strips that the
// tile loop reads in order, and every row tile uses the panel while it is in
// cache. Why the copy: b's rows are often a power of two apart (the keys of a
// 64K context, transposed, are 512 KB apart), so reading b in place puts every
// row of a tile's k loop in the same cache set and each load goes to memory.
// Each element still sums over k in order. Plain loops the compiler
// vectorizes (with OpenMP's simd, as every in-tree plugin builds): about 20
// GFLOP/s a thread here, so a 64K-token attention reference takes minutes.
inline void gemm_accumulate(const double* a, int64_t lda, const double* b, int64_t ldb, double* c,
                            int64_t ldc, int64_t m, int64_t n, int64_t k) {
  constexpr int64_t R = 4, C = 8, K_CHUNK = 256, N_PANEL = 512;
  static thread_local std::vector<double> packed;
  packed.resize(size_t(K_CHUNK * N_PANEL));
  for (int64_t p0 = 0; p0 < k; p0 += K_CHUNK) {
    const int64_t p1 = std::min(k, p0 + K_CHUNK), depth = p1 - p0;
    for (int64_t n0 = 0; n0 < n; n0 += N_PANEL) {
      const int64_t n1 = std::min(n, n0 + N_PANEL), strips = m >= R ? (n1 - n0) / C : 0;
      // Whole 8-column strips only, and only where a whole row tile reads them:
      // edge tiles (and fewer than R rows) read b in place.
      for (int64_t strip = 0; strip < strips; ++strip)
        for (int64_t p = p0; p < p1; ++p)
          for (int64_t j = 0; j < C; ++j)
            packed[size_t((strip * depth + p - p0) * C + j)] = b[p * ldb + n0 + strip * C + j];
      for (int64_t i0 = 0; i0 < m; i0 += R) {
        for (int64_t j0 = n0; j0 < n1; j0 += C) {
          if (i0 + R <= m && j0 + C <= n1) {
            const double* strip = packed.data() + ((j0 - n0) / C) * depth * C;
            double acc[R][C];
            for (int64_t r = 0; r < R; ++r)
              for (int64_t j = 0; j < C; ++j) acc[r][j] = c[(i0 + r) * ldc + j0 + j];
            for (int64_t p = p0; p < p1; ++p) {
              const double* b_row = strip + (p - p0) * C;
              double a_values[R];
              for (int64_t r = 0; r < R; ++r) a_values[r] = a[(i0 + r) * lda + p];
              // Vectorized across the 8 columns (GCC otherwise vectorizes the
              // tile across k with shuffles, at a fifth of the speed).
#pragma omp simd
              for (int64_t j = 0; j < C; ++j)
                for (int64_t r = 0; r < R; ++r) acc[r][j] += a_values[r] * b_row[j];
            }
            for (int64_t r = 0; r < R; ++r)
              for (int64_t j = 0; j < C; ++j) c[(i0 + r) * ldc + j0 + j] = acc[r][j];
          } else {  // edge tile
            for (int64_t r = i0; r < std::min(m, i0 + R); ++r)
              for (int64_t j = j0; j < std::min(n1, j0 + C); ++j) {
                double sum = c[r * ldc + j];
                for (int64_t p = p0; p < p1; ++p) sum += a[r * lda + p] * b[p * ldb + j];
                c[r * ldc + j] = sum;
              }
          }
        }
      }
    }
  }
}

// c[m x n] = a[m x k] * b[k x n], all row-major doubles; tiles of 16 rows x
// 512 columns split across threads.
inline void matmul(const double* a, const double* b, double* c, int64_t m, int64_t k, int64_t n) {
  constexpr int64_t row_block = 16, col_block = 512;
#pragma omp parallel for collapse(2) schedule(dynamic)
  for (int64_t r0 = 0; r0 < m; r0 += row_block) {
    for (int64_t c0 = 0; c0 < n; c0 += col_block) {
      const int64_t rows = std::min(row_block, m - r0), cols = std::min(col_block, n - c0);
      for (int64_t r = r0; r < r0 + rows; ++r) std::fill(c + r * n + c0, c + r * n + c0 + cols, 0.0);
      gemm_accumulate(a + r0 * k, k, b + c0, n, c + r0 * n + c0, n, rows, cols, k);
    }
  }
}

inline double silu(double x) { return x / (1.0 + std::exp(-x)); }

// GELU, tanh approximation (GPT-2 "gelu_new", Gemma's gelu_pytorch_tanh).
inline double gelu_tanh(double x) {
  const double sqrt_2_over_pi = 0.7978845608028654;
  return 0.5 * x * (1.0 + std::tanh(sqrt_2_over_pi * (x + 0.044715 * x * x * x)));
}

}  // namespace archbench::sdk::reference
