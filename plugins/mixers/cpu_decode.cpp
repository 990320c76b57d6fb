// One decode step of every (sequence, head): a stream over the state, bound by
// memory bandwidth (each state element is used once or twice per token), so
// plain vectorized loops over the value columns, threads splitting the heads.
// The old state is read and the new one written elsewhere (out of place), so
// the cost never depends on how many tokens the state has seen. The new state
// leaves through non-temporal stores where the rows allow (AVX-512, 64-byte
// aligned, 16 | dv): it is not read again in this step, and a plain store
// would first read each line it writes (a third pass over the state).
#include "cpu_kernels.hpp"

#include <cmath>
#include <cstring>
#include <immintrin.h>
#include <omp.h>

namespace archbench::plugins::mixers::cpu {

namespace {

void write_row(float* dst, const float* row, int64_t count) {
#ifdef __AVX512F__
  if (count % 16 == 0 && reinterpret_cast<uintptr_t>(dst) % 64 == 0) {
    for (int64_t c = 0; c < count; c += 16) _mm512_stream_ps(dst + c, _mm512_loadu_ps(row + c));
    return;
  }
#endif
  std::memcpy(dst, row, size_t(count) * sizeof(float));
}

}  // namespace

void decode_step(const Shape& s, const Inputs& in, const Outputs& out, int threads) {
  const int64_t dk = s.dk, dv = s.dv, H = s.heads, tasks = s.batch * H;
#pragma omp parallel num_threads(std::max(1, threads))
  {
    TokenRows rows;
    const size_t width = static_cast<size_t>(dv);
    std::vector<float> o(width), ks(width), w(width), x(width);
    // Dynamic blocks of heads: on a shared machine a thread that is descheduled
    // leaves its heads to the others instead of holding them all at the barrier.
#pragma omp for schedule(dynamic, 8)
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t b = task / H, h = task % H;
      load_tokens(s, in, b, h, 0, 1, 1, rows);
      const float *q = rows.q.data(), *k = rows.k.data(), *v = rows.v.data();
      const float* S = in.state + task * dk * dv;
      float* next = out.state + task * dk * dv;
      std::fill(o.begin(), o.end(), 0.0f);
      if (s.rule == Rule::delta) {
        // S' = alpha S + k w^T with w = beta (v - alpha S^T k): the delta rule
        // folded so that S is read twice (the second time from cache) and written once.
        const float alpha = rows.decay[0], beta = rows.beta[0];
        std::fill(ks.begin(), ks.end(), 0.0f);
        for (int64_t d = 0; d < dk; ++d) {
          const float kd = k[d];
          const float* row = S + d * dv;
#pragma omp simd
          for (int64_t c = 0; c < dv; ++c) ks[size_t(c)] += kd * row[c];
        }
        for (int64_t c = 0; c < dv; ++c) w[size_t(c)] = beta * (v[c] - alpha * ks[size_t(c)]);
        for (int64_t d = 0; d < dk; ++d) {
          const float kd = k[d], qd = q[d];
          const float* row = S + d * dv;
          float* dst = next + d * dv;
#pragma omp simd
          for (int64_t c = 0; c < dv; ++c) {
            x[size_t(c)] = alpha * row[c] + kd * w[size_t(c)];
            o[size_t(c)] += qd * x[size_t(c)];
          }
          write_row(dst, x.data(), dv);
        }
      } else {
        float denominator = 0;
        for (int64_t d = 0; d < dk; ++d) {
          const float decay = rows.decay.empty() ? 1.0f : rows.decay[size_t(rows.per_channel ? d : 0)];
          const float kd = k[d], qd = q[d];
          const float* row = S + d * dv;
          float* dst = next + d * dv;
#pragma omp simd
          for (int64_t c = 0; c < dv; ++c) {
            x[size_t(c)] = decay * row[c] + kd * v[c];
            o[size_t(c)] += qd * x[size_t(c)];
          }
          write_row(dst, x.data(), dv);
          if (s.has_norm_state()) {
            const float z = decay * in.state_norm[task * dk + d] + kd;
            out.norm[task * dk + d] = z;
            denominator += qd * z;
          }
        }
        if (s.has_norm_state())
          for (float& x : o) x /= denominator;
      }
      store_row(out.out, s.dtype, task * dv, o.data(), dv);
    }
#ifdef __AVX512F__
    _mm_sfence();  // the streamed state is visible before the step returns
#endif
  }
}

}  // namespace archbench::plugins::mixers::cpu
