// What the attention plugin's double references share (reference.cpp,
// mla_reference.cpp): RMSNorm of a row and a projection by a named weight.
// Nothing here is used by the fast paths.
#pragma once

#include <archbench/reference.hpp>
#include <archbench/sdk.hpp>

#include <cmath>
#include <vector>

namespace archbench::plugins::attention::reference_rows {

inline void rms_normalize(double* x, int64_t n, const std::vector<double>& gamma) {
  double squares = 0;
  for (int64_t d = 0; d < n; ++d) squares += x[d] * x[d];
  const double inverse = 1.0 / std::sqrt(squares / double(n) + 1e-6);
  for (int64_t d = 0; d < n; ++d) x[d] *= inverse * gamma[size_t(d)];
}

// in[rows x d_in] * weight (+ bias) as [rows x width]; bias may be null.
inline std::vector<double> project(const std::vector<double>& in, const sdk::Tensors& tensors, const char* weight,
                                   const char* bias, int64_t rows, int64_t d_in, int64_t width) {
  std::vector<double> out(size_t(rows * width));
  const std::vector<double> w = tensors.as_doubles(weight);
  sdk::reference::matmul(in.data(), w.data(), out.data(), rows, d_in, width);
  if (bias) {
    const std::vector<double> b = tensors.as_doubles(bias);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < width; ++c) out[size_t(r * width + c)] += b[size_t(c)];
  }
  return out;
}

}  // namespace archbench::plugins::attention::reference_rows
