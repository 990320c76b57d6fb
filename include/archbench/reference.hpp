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

// c[m x n] = a[m x k] * b[k x n], all row-major doubles.
inline void matmul(const double* a, const double* b, double* c, int64_t m, int64_t k, int64_t n) {
  constexpr int64_t row_block = 16, col_block = 512;  // a 64 KiB accumulator tile
#pragma omp parallel for collapse(2) schedule(dynamic)
  for (int64_t r0 = 0; r0 < m; r0 += row_block) {
    for (int64_t c0 = 0; c0 < n; c0 += col_block) {
      const int64_t rows = std::min(row_block, m - r0), cols = std::min(col_block, n - c0);
      std::vector<double> tile(size_t(rows * cols), 0.0);
      for (int64_t kk = 0; kk < k; ++kk) {
        const double* b_row = b + kk * n + c0;
        for (int64_t r = 0; r < rows; ++r) {
          const double a_value = a[(r0 + r) * k + kk];
          double* out = tile.data() + r * cols;
          for (int64_t j = 0; j < cols; ++j) out[j] += a_value * b_row[j];
        }
      }
      for (int64_t r = 0; r < rows; ++r)
        std::copy(tile.begin() + r * cols, tile.begin() + (r + 1) * cols, c + (r0 + r) * n + c0);
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
