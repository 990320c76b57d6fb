// exp written so that loops calling it vectorize (no libm call, no branch):
// std::exp does not vectorize without -ffast-math, and a Gated DeltaNet
// prefill evaluates about 400 of them per token and head (SiLU after the
// conv, the decays), which with libm cost as much as the chunk matmuls.
// Relative error about 2e-7 over [-87, 88]; arguments beyond clamp.
#pragma once

#include <cstdint>
#include <cstring>

namespace archbench::plugins::mixers {

inline float fast_exp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float t = x * 1.44269504088896341f;           // x / ln 2
  const float n = (t + 12582912.0f) - 12582912.0f;    // nearest integer (1.5 * 2^23 trick)
  const float r = (t - n) * 0.693147180559945309f;    // |r| <= ln 2 / 2
  float p = 1.0f / 5040.0f;                           // Taylor to degree 7
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (int32_t(n) + 127) << 23;      // 2^n
  float scale;
  std::memcpy(&scale, &bits, 4);
  return p * scale;
}

inline float silu(float x) { return x / (1.0f + fast_exp(-x)); }

}  // namespace archbench::plugins::mixers
