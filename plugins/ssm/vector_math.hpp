// The ssm kernels' small vector toolkit: 16-float vectors through GCC's
// vector extensions (one AVX-512 register, two AVX2 registers) and the exp of
// a non-positive argument on them, so that the scan's one exp per (token,
// channel, state) runs 16 lanes at a time instead of through libm's scalar exp.
#pragma once

#include <cstdint>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace archbench::plugins::ssm::vmath {

constexpr int64_t kLanes = 16;
// aligned(4): loads and stores through these may be unaligned.
typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef int32_t vi16 __attribute__((vector_size(64), aligned(4)));

inline v16 splat(float x) { return v16{} + x; }

// e^x for x <= 0 (decays: delta * A with A < 0). Cody-Waite reduction
// x = k ln2 + r, |r| <= ln2/2, then e^r by its degree-6 Taylor polynomial
// (relative error below 1.2e-7 there) and 2^k from the exponent bits. Arguments below -87
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

// 2^t for t <= 0 (a decay whose log2 is precomputed: t = delta * A log2(e)):
// t = k + f with k = round(t), |f| <= 1/2, 2^f = e^(f ln2) by its degree-7
// Taylor polynomial (error < 1e-8), and 2^k applied by vscalefps on AVX-512
// (one instruction instead of building exponent bits; it also flushes very
// negative t to 0 without a clamp; the all-lanes maskz forms avoid GCC's
// uninitialized-source warning). Elsewhere, through exp_nonpositive.
inline v16 exp2_nonpositive(v16 t) {
#ifdef __AVX512F__
  const __m512 k = _mm512_maskz_roundscale_ps(0xFFFF, (__m512)t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const v16 f = t - (v16)k;
  v16 p = splat(1.525273380405984e-05f);  // ln2^7 / 7!
  p = p * f + 1.5403530393381606e-04f;     // ln2^6 / 6!
  p = p * f + 1.3333558146428443e-03f;     // ln2^5 / 5!
  p = p * f + 9.618129107628477e-03f;      // ln2^4 / 4!
  p = p * f + 5.550410866482158e-02f;      // ln2^3 / 3!
  p = p * f + 2.402265069591007e-01f;      // ln2^2 / 2
  p = p * f + 6.931471805599453e-01f;      // ln2
  p = p * f + 1.0f;
  return (v16)_mm512_maskz_scalef_ps(0xFFFF, (__m512)p, k);
#else
  return exp_nonpositive(t * 0.693147180559945309f);
#endif
}

// x * sigmoid(x), through e^(-|x|) so the exp stays non-positive.
inline v16 silu(v16 x) {
  const v16 e = exp_nonpositive(x < 0.0f ? x : -x);  // e^(-|x|)
  const v16 sigmoid = x < 0.0f ? e / (1.0f + e) : 1.0f / (1.0f + e);
  return x * sigmoid;
}

// log(1 + e) for 0 <= e <= 1 as 2 atanh(s), s = e / (2 + e) <= 1/3: the odd
// series to s^15 (the next term is below 1e-9).
inline v16 log1p_unit(v16 e) {
  const v16 s = e / (2.0f + e), s2 = s * s;
  v16 p = splat(1.0f / 15.0f);
  p = p * s2 + 1.0f / 13.0f;
  p = p * s2 + 1.0f / 11.0f;
  p = p * s2 + 1.0f / 9.0f;
  p = p * s2 + 1.0f / 7.0f;
  p = p * s2 + 1.0f / 5.0f;
  p = p * s2 + 1.0f / 3.0f;
  p = p * s2 + 1.0f;
  return 2.0f * s * p;
}

// log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): dt's softplus without overflow.
inline v16 softplus(v16 x) {
  const v16 magnitude = x < 0.0f ? -x : x;
  return (x > 0.0f ? x : splat(0.0f)) + log1p_unit(exp_nonpositive(-magnitude));
}

// Applies `f` to a row of n floats in place, 16 at a time (the tail through a copy).
template <class F>
inline void apply_row(float* row, int64_t n, F f) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) *reinterpret_cast<v16*>(row + i) = f(*reinterpret_cast<const v16*>(row + i));
  if (i == n) return;
  v16 tail{};
  for (int64_t l = 0; i + l < n; ++l) tail[l] = row[i + l];
  tail = f(tail);
  for (int64_t l = 0; i + l < n; ++l) row[i + l] = tail[l];
}

}  // namespace archbench::plugins::ssm::vmath
