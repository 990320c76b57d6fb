// ssm/mamba on the CPU: the selective scan as one pass over the tokens.
//
// oneDNN has no scan primitive, so this is plain C++ on 16-float vectors. The
// lanes are 16 neighbouring channels (u, delta, z and y are contiguous along
// channels), and each channel block keeps its d_state x 16 state in L1 for
// the whole sequence: per token it computes the 16 x d_state decays
// exp(delta A) once each, updates the state with two FMAs and accumulates
// C.h across the state without any horizontal sum (B[t, n] and C[t, n] are
// broadcasts). The threads split (sequence, channel block) pairs: the scan is
// sequential only along tokens. bf16 problems are widened to f32 first and
// the result narrowed after (both part of the timed execute).
#include "ssm.hpp"
#include "vector_math.hpp"
#include "widen.hpp"

#include <archbench/sdk_cpu.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <omp.h>
#include <vector>

namespace archbench::plugins::ssm {
namespace {

using vmath::kLanes;
using vmath::v16;

class MambaCpu : public sdk::Instance {
 public:
  MambaCpu(const MambaShape& shape, const ab_host& host, const sdk::Tensors& tensors)
      : s_(shape), ctx_(sdk::cpu::Context::from(host)), blocks_((shape.d_inner + kLanes - 1) / kLanes) {
    u_ = views_.input(tensors["u"]);
    delta_ = views_.input(tensors["delta"]);
    B_ = views_.input(tensors["B"]);
    C_ = views_.input(tensors["C"]);
    if (s_.gate) z_ = views_.input(tensors["z"]);
    a_log_ = static_cast<const float*>(tensors["a_log"].data);
    D_ = static_cast<const float*>(tensors["D"].data);
    if (s_.mode == Mode::decode) state_ = static_cast<const float*>(tensors["state"].data);
    y_ = views_.output(tensors["y"]);
    state_out_ = static_cast<float*>(tensors["state_out"].data);
    a_blocks_.resize(size_t(blocks_ * s_.d_state * kLanes));
    h_.resize(size_t(std::max(1, ctx_.threads)));
  }

  void execute() override {
    views_.widen_inputs();
    pack_decays();
    const int64_t tasks = s_.batch * blocks_;
#pragma omp parallel for schedule(static) num_threads(std::max(1, ctx_.threads))
    for (int64_t task = 0; task < tasks; ++task) scan_block(task / blocks_, task % blocks_);
    views_.narrow_outputs();
  }

 private:
  // A = -exp(a_log) as [block][state][lane], so a block's decays for one state
  // are one vector load; lanes past d_inner get A = 0 (their u and delta are 0).
  void pack_decays() {
    const int64_t N = s_.d_state;
    std::fill(a_blocks_.begin(), a_blocks_.end(), 0.0f);
    for (int64_t c = 0; c < s_.d_inner; ++c)
      for (int64_t n = 0; n < N; ++n)
        a_blocks_[size_t(((c / kLanes) * N + n) * kLanes + c % kLanes)] = -std::exp(a_log_[c * N + n]);
  }

  // Sixteen channels' lanes of a [rows, d_inner] tensor (zeros past d_inner).
  static v16 load(const float* row, int64_t c0, int64_t width) {
    if (c0 + kLanes <= width) return *reinterpret_cast<const v16*>(row + c0);
    v16 out{};
    for (int64_t l = 0; c0 + l < width; ++l) out[l] = row[c0 + l];
    return out;
  }
  static void store(float* row, int64_t c0, int64_t width, v16 value) {
    if (c0 + kLanes <= width) {
      *reinterpret_cast<v16*>(row + c0) = value;
      return;
    }
    for (int64_t l = 0; c0 + l < width; ++l) row[c0 + l] = value[l];
  }

  void scan_block(int64_t b, int64_t block) {
    const int64_t T = s_.tokens(), di = s_.d_inner, N = s_.d_state, c0 = block * kLanes;
    const int64_t lanes = std::min(kLanes, di - c0);
    std::vector<float>& storage = h_[size_t(omp_get_thread_num()) % h_.size()];
    storage.assign(size_t(N * kLanes), 0.0f);
    v16* h = reinterpret_cast<v16*>(storage.data());  // [state] x 16 lanes
    if (state_)
      for (int64_t l = 0; l < lanes; ++l)
        for (int64_t n = 0; n < N; ++n) h[n][l] = state_[(b * di + c0 + l) * N + n];
    const v16* a = reinterpret_cast<const v16*>(a_blocks_.data()) + block * N;
    const v16 skip = load(D_, c0, di);
    for (int64_t t = 0; t < T; ++t) {
      const int64_t row = b * T + t;
      const v16 delta = load(delta_ + row * di, c0, di), u = load(u_ + row * di, c0, di);
      const v16 du = delta * u;
      const float* Bt = B_ + row * N;
      const float* Ct = C_ + row * N;
      v16 y{};
      for (int64_t n = 0; n < N; ++n) {
        const v16 decay = vmath::exp_nonpositive(delta * a[n]);
        const v16 state = decay * h[n] + du * Bt[n];
        h[n] = state;
        y += state * Ct[n];
      }
      y += skip * u;
      if (z_) y *= vmath::silu(load(z_ + row * di, c0, di));
      store(y_ + row * di, c0, di, y);
    }
    for (int64_t l = 0; l < lanes; ++l)
      for (int64_t n = 0; n < N; ++n) state_out_[(b * di + c0 + l) * N + n] = h[n][l];
  }

  MambaShape s_;
  sdk::cpu::Context ctx_;
  int64_t blocks_;
  const float *u_ = nullptr, *delta_ = nullptr, *B_ = nullptr, *C_ = nullptr, *z_ = nullptr;
  const float *a_log_ = nullptr, *D_ = nullptr, *state_ = nullptr;
  float* y_ = nullptr;
  float* state_out_ = nullptr;
  F32Views views_;
  std::vector<float> a_blocks_;
  std::vector<std::vector<float>> h_;  // one state per thread
};

}  // namespace

std::unique_ptr<sdk::Instance> MambaVariant::create_cpu(const sdk::Problem& problem, const ab_host& host,
                                                        const sdk::Tensors& tensors) const {
  return std::make_unique<MambaCpu>(MambaShape::of(problem), host, tensors);
}

}  // namespace archbench::plugins::ssm
