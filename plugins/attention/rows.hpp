// Row helpers the attention plugin's CPU backends share (cpu.cpp, mla_cpu.cpp):
// RMSNorm of a row in place, and rows of the problem's storage (f32 or bf16)
// loaded into and stored from f32 working rows.
#pragma once

#include "vector_math.hpp"

#include <cmath>
#include <cstdint>

namespace archbench::plugins::attention::rows {

// RMSNorm of `n` values in place, scaled by gamma (eps as in Qwen3 / OLMo 2 / DeepSeek).
inline void rms_normalize(float* x, int64_t n, const float* gamma) {
  double squares = 0;
  for (int64_t d = 0; d < n; ++d) squares += double(x[d]) * x[d];
  const float inverse = float(1.0 / std::sqrt(squares / double(n) + 1e-6));
  for (int64_t d = 0; d < n; ++d) x[d] = x[d] * inverse * gamma[d];
}

template <class E>
void load_row(const void* base, int64_t offset, int64_t n, float* out) {
  const E* p = static_cast<const E*>(base) + offset;
  for (int64_t d = 0; d < n; ++d) out[d] = vmath::load(p + d);
}

template <class E>
void store_row(void* base, int64_t offset, int64_t n, const float* in) {
  E* p = static_cast<E*>(base) + offset;
  for (int64_t d = 0; d < n; ++d) vmath::store(p + d, in[d]);
}

// Elements [offset, offset + n) of a bf16 (or f32) buffer as f32, and back.
inline void load_any(bool bf16, const void* base, int64_t offset, int64_t n, float* out) {
  bf16 ? load_row<uint16_t>(base, offset, n, out) : load_row<float>(base, offset, n, out);
}
inline void store_any(bool bf16, void* base, int64_t offset, int64_t n, const float* in) {
  bf16 ? store_row<uint16_t>(base, offset, n, in) : store_row<float>(base, offset, n, in);
}

}  // namespace archbench::plugins::attention::rows
