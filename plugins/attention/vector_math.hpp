// exp and tanh written so that the compiler vectorizes loops that call them
// (plain float code, no calls into libm, no branches), plus bf16 loads.
//
// std::exp does not vectorize without -ffast-math, and the softmax evaluates
// one exp per visible score: with libm the softmax, not the matmuls, would
// decide the ranking. Accuracy: about 2 ulp over the range softmax uses.
#pragma once

#include <cstdint>
#include <cstring>

namespace archbench::plugins::attention::vmath {

// e^x for x <= 0 (softmax arguments after the max is subtracted); inputs below
// -87 flush to 0, which is also what masked (-inf) scores must give.
inline float exp_nonpositive(float x) {
  const float clamped = x < -87.0f ? -87.0f : x;
  const float t = clamped * 1.44269504088896341f;              // x / ln 2
  const float n = (t + 12582912.0f) - 12582912.0f;             // round to nearest integer
  const float r = (t - n) * 0.693147180559945309f;             // remainder, |r| <= ln2 / 2
  // e^r by its Taylor polynomial to degree 6 (error < 2e-8 on |r| <= 0.35).
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t exponent_bits = (int32_t(n) + 127) << 23;      // 2^n
  float scale;
  std::memcpy(&scale, &exponent_bits, 4);
  return x < -87.0f ? 0.0f : p * scale;
}

// tanh through e^(-2|x|), which stays in exp_nonpositive's range.
inline float tanh(float x) {
  const float a = x < 0 ? -x : x;
  const float e = exp_nonpositive(-2.0f * a);
  const float magnitude = (1.0f - e) / (1.0f + e);
  return x < 0 ? -magnitude : magnitude;
}

inline float load(const float* p) { return *p; }
inline float load(const uint16_t* p) {
  const uint32_t bits = uint32_t(*p) << 16;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

inline void store(float* p, float value) { *p = value; }
inline void store(uint16_t* p, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  // Round to nearest even (inputs here are finite).
  *p = uint16_t((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

}  // namespace archbench::plugins::attention::vmath
