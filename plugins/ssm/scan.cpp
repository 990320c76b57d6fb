// Mamba-1's selective scan as one pass over the tokens (see scan.hpp).
//
// oneDNN has no scan primitive, so this is plain C++ on 16-float vectors. The
// lanes are 16 neighbouring channels (u, delta, z and y are contiguous along
// channels), and each channel block keeps its d_state x 16 state in L1 (in
// registers when d_state is 16) for the whole sequence: per token it computes
// the 16 x d_state decays exp(delta A) once each (as 2^(delta A log2 e), with
// A log2 e packed per execute), updates the state with two FMAs and
// accumulates C.h across the state without any horizontal sum (B[t, n] and
// C[t, n] are broadcasts). Vectorizing over channels rather than over the state keeps
// the 16-wide state of Mamba-1 from needing a reduction per (token, channel).
// The threads split (sequence, channel block) pairs: the scan is sequential
// only along tokens.
#include "scan.hpp"
#include "vector_math.hpp"

#include <algorithm>
#include <cmath>
#include <omp.h>

namespace archbench::plugins::ssm {

using vmath::kLanes;
using vmath::v16;

namespace {

// Sixteen channels' lanes of one row (zeros past the width).
v16 load(const float* row, int64_t c0, int64_t width) {
  if (c0 + kLanes <= width) return *reinterpret_cast<const v16*>(row + c0);
  v16 out{};
  for (int64_t l = 0; c0 + l < width; ++l) out[l] = row[c0 + l];
  return out;
}

void store(float* row, int64_t c0, int64_t width, v16 value) {
  if (c0 + kLanes <= width) {
    *reinterpret_cast<v16*>(row + c0) = value;
    return;
  }
  for (int64_t l = 0; c0 + l < width; ++l) row[c0 + l] = value[l];
}

}  // namespace

void SelectiveScan::run(const ScanArgs& args) {
  pack_decays(args);
  const int64_t blocks = (args.d_inner + kLanes - 1) / kLanes, tasks = args.batch * blocks;
  // A small step (a decode of one sequence) runs on the calling thread: waking
  // a thread team costs more than its few hundred thousand state updates.
  const bool threaded = double(args.batch * args.tokens) * double(args.d_inner * args.d_state) >= double(1 << 18);
#pragma omp parallel for schedule(static) num_threads(threads_) if (threaded)
  for (int64_t task = 0; task < tasks; ++task) scan_block(args, task / blocks, task % blocks);
}

// Lanes past d_inner get A = 0 (their u and delta load as 0, so they stay 0).
void SelectiveScan::pack_decays(const ScanArgs& args) {
  const int64_t N = args.d_state, blocks = (args.d_inner + kLanes - 1) / kLanes;
  a_blocks_.assign(size_t(blocks * N * kLanes), 0.0f);
  for (int64_t c = 0; c < args.d_inner; ++c)
    for (int64_t n = 0; n < N; ++n)
      a_blocks_[size_t(((c / kLanes) * N + n) * kLanes + c % kLanes)] =
          float(-std::exp(double(args.a_log[c * N + n])) * 1.4426950408889634);  // A log2(e): exp2 needs no scaling
}

// The token loop for one channel block; kStates > 0 fixes d_state at compile
// time so the state stays in registers (Mamba-1's 16: 16 vectors of 32).
template <int64_t kStates>
void scan_tokens(const ScanArgs& args, int64_t b, int64_t c0, const v16* a, v16* state_memory) {
  const int64_t T = args.tokens, di = args.d_inner, N = kStates > 0 ? kStates : args.d_state;
  v16 registers[kStates > 0 ? kStates : 1];
  v16* h = kStates > 0 ? registers : state_memory;
  if (kStates > 0)
    for (int64_t n = 0; n < N; ++n) h[n] = state_memory[n];
  const v16 skip = load(args.D, c0, di);
  for (int64_t t = 0; t < T; ++t) {
    const int64_t row = b * T + t;
    const v16 delta = load(args.delta + row * args.delta_stride, c0, di);
    const v16 u = load(args.u + row * args.u_stride, c0, di);
    const v16 du = delta * u;
    const float* Bt = args.B + row * args.B_stride;
    const float* Ct = args.C + row * args.C_stride;
    v16 y{};
    for (int64_t n = 0; n < N; ++n) {
      const v16 decay = vmath::exp2_nonpositive(delta * a[n]);  // a holds A log2(e)
      const v16 next = decay * h[n] + du * Bt[n];
      h[n] = next;
      y += next * Ct[n];
    }
    y += skip * u;
    if (args.z) y *= vmath::silu(load(args.z + row * args.z_stride, c0, di));
    store(args.y + row * args.y_stride, c0, di, y);
  }
  if (kStates > 0)
    for (int64_t n = 0; n < N; ++n) state_memory[n] = h[n];
}

void SelectiveScan::scan_block(const ScanArgs& args, int64_t b, int64_t block) {
  const int64_t di = args.d_inner, N = args.d_state, c0 = block * kLanes;
  const int64_t lanes = std::min(kLanes, di - c0);
  std::vector<float>& storage = h_[size_t(omp_get_thread_num()) % h_.size()];
  storage.assign(size_t(N * kLanes), 0.0f);
  v16* h = reinterpret_cast<v16*>(storage.data());  // [state] x 16 lanes
  if (args.state)
    for (int64_t l = 0; l < lanes; ++l)
      for (int64_t n = 0; n < N; ++n) h[n][l] = args.state[(b * di + c0 + l) * N + n];
  const v16* a = reinterpret_cast<const v16*>(a_blocks_.data()) + block * N;
  if (N == 16) scan_tokens<16>(args, b, c0, a, h);
  else scan_tokens<0>(args, b, c0, a, h);
  for (int64_t l = 0; l < lanes; ++l)
    for (int64_t n = 0; n < N; ++n) args.state_out[(b * di + c0 + l) * N + n] = h[n][l];
}

}  // namespace archbench::plugins::ssm
