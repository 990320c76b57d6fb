// The attention kernels' small vector toolkit: exp and tanh written so that
// the compiler vectorizes loops that call them (plain float code, no calls
// into libm, no branches), a vector max, bf16 loads/stores, and 16-lane
// vectors (GCC vector extensions) for the hand-vectorized decode.
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

// 16-float vectors through GCC's vector extensions: one AVX-512 register,
// two AVX2 registers, or four SSE registers, whatever the build targets.
// aligned(4): loads and stores through them may be unaligned.
typedef float vf16 __attribute__((vector_size(64), aligned(4)));
typedef float vf8 __attribute__((vector_size(32), aligned(4)));
typedef float vf4 __attribute__((vector_size(16), aligned(4)));
typedef uint16_t vh16 __attribute__((vector_size(32), aligned(2)));
typedef uint32_t vu16 __attribute__((vector_size(64)));
constexpr int64_t kLanes = 16;

inline vf16 load16(const float* p) { return *reinterpret_cast<const vf16*>(p); }
inline vf16 load16(const uint16_t* p) {
  const vu16 wide = __builtin_convertvector(*reinterpret_cast<const vh16*>(p), vu16) << 16;
  return (vf16)wide;  // same-size vector cast: a bit cast
}
inline float horizontal_sum(vf16 v) {
  const vf8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  const vf4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
  return (b[0] + b[2]) + (b[1] + b[3]);
}

// max of x[0..n), n >= 1, sixteen lanes at a time (a plain max reduction
// stays scalar without -ffast-math).
inline float max_of(const float* x, int64_t n) {
  float out = x[0];
  int64_t i = 0;
  if (n >= kLanes) {
    vf16 lanes = load16(x);
    for (i = kLanes; i + kLanes <= n; i += kLanes) {
      const vf16 v = load16(x + i);
      lanes = v > lanes ? v : lanes;
    }
    for (int l = 0; l < kLanes; ++l) out = lanes[l] > out ? lanes[l] : out;
  }
  for (; i < n; ++i) out = x[i] > out ? x[i] : out;
  return out;
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

// One online-softmax step over a block of n >= 1 scores of one row: updates
// the row's running max and sum, writes p[c] = e^(s[c] - max) (p may be s,
// or a bf16 operand), and returns the factor alpha <= 1 by which whatever the
// row accumulated so far must be rescaled (1 when the max did not grow).
template <class P>
float online_softmax_step(const float* s, int64_t n, float& row_max, float& row_sum, P* p) {
  const float block_max = max_of(s, n);
  float alpha = 1.0f;
  if (block_max > row_max) {
    alpha = exp_nonpositive(row_max - block_max);
    row_sum *= alpha;
    row_max = block_max;
  }
  const float m = row_max;
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t c = 0; c < n; ++c) {
    const float e = exp_nonpositive(s[c] - m);
    store(p + c, e);
    sum += e;
  }
  row_sum += sum;
  return alpha;
}

}  // namespace archbench::plugins::attention::vmath
