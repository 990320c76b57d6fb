// The ssm kernels' small vector toolkit: 16-float vectors through GCC's
// vector extensions (one AVX-512 register, two AVX2 registers) and the exp of
// a non-positive argument on them, so that the scan's one exp per (token,
// channel, state) runs 16 lanes at a time instead of through libm's scalar exp.
#pragma once

#include <cstdint>

namespace archbench::plugins::ssm::vmath {

constexpr int64_t kLanes = 16;
// aligned(4): loads and stores through these may be unaligned.
typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef int32_t vi16 __attribute__((vector_size(64), aligned(4)));

inline v16 splat(float x) { return v16{} + x; }

// e^x for x <= 0 (decays: delta * A with A < 0). Cody-Waite reduction
// x = k ln2 + r, |r| <= ln2/2, then e^r by its degree-6 Taylor polynomial
// (error < 2e-8 there) and 2^k from the exponent bits. Arguments below -87
// clamp to about 1e-38: a decay that small is zero for every state.
inline v16 exp_nonpositive(v16 x) {
  x = x < -87.0f ? splat(-87.0f) : x;
  const v16 k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round(x / ln2)
  const v16 r = (x - k * 0.693145751953125f) - k * 1.428606765330187e-06f;  // ln2 split in two parts
  v16 p = splat(1.0f / 720.0f);
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const vi16 bits = (__builtin_convertvector(k, vi16) + 127) << 23;
  return p * (v16)bits;  // a vector cast reinterprets the bits
}

inline float exp_nonpositive(float x) { return exp_nonpositive(splat(x))[0]; }

// x * sigmoid(x), through e^(-|x|) so the exp stays non-positive.
inline v16 silu(v16 x) {
  const v16 e = exp_nonpositive(x < 0.0f ? x : -x);  // e^(-|x|)
  const v16 sigmoid = x < 0.0f ? e / (1.0f + e) : 1.0f / (1.0f + e);
  return x * sigmoid;
}

}  // namespace archbench::plugins::ssm::vmath
