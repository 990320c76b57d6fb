// ssm/mamba2 on the CPU: the SSD chunked prefill on oneDNN matmuls, and the
// recurrent decode step.
//
// Prefill cuts each sequence into chunks of kChunk tokens. With cs[t] the
// running sum of dt A inside a chunk (so exp(cs[t] - cs[s]) is the decay from
// token s to token t), a chunk's output and the state it passes on are
//
//   G      = C B^T                                   per group (oneDNN matmul, all chunks first)
//   M[t,s] = G[t,s] exp(cs[t] - cs[s]) dt[s], s <= t (host, vectorized; 0 above the diagonal)
//   Y      = M X                                      intra-chunk   (oneDNN matmul)
//   Y     += diag(exp(cs)) C H^T                      from the state the chunk starts with
//   Y     += D X
//   H^T    = exp(cs[L-1]) H^T + (diag(exp(cs[L-1] - cs) dt) B)^T X   (oneDNN matmul)
//
// X, Y, C and B are read and written in place through strided descriptors
// (a chunk of one head is L rows at a stride of heads x head_dim). The
// threads split (sequence, head) pairs, each walking its chunks in order on
// its own oneDNN stream and scratchpad (nested primitives run single-threaded).
// The state is carried as H^T [N, P] so that no matmul reads a transposed
// operand (those fall off oneDNN's brgemm path), and is written to state_out
// ([P, N], Mamba's layout) after the last chunk. The last chunk may be
// shorter: it gets primitives of its own length.
#include "ssm.hpp"
#include "vector_math.hpp"
#include "widen.hpp"

#include <archbench/sdk_cpu.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <omp.h>
#include <vector>

namespace archbench::plugins::ssm {
namespace {

using dnnl::memory;
using dt = memory::data_type;
using vmath::kLanes;
using vmath::v16;

struct ChunkPrimitives {
  dnnl::matmul gram, intra, inter, update;
  memory::desc c, bt, g, m, x, y, cs, ht, wbt;
};

struct ThreadState {
  dnnl::stream stream;
  std::vector<uint8_t> scratchpad;
  std::vector<float> mask, scaled_c, weighted_bt, state_t, cs, step;
};

class Mamba2Cpu : public sdk::Instance {
 public:
  Mamba2Cpu(const Mamba2Shape& shape, const ab_host& host, const sdk::Tensors& tensors)
      : s_(shape), ctx_(sdk::cpu::Context::from(host)), threads_(std::max(1, ctx_.threads)) {
    x_ = views_.input(tensors["x"]);
    dt_ = views_.input(tensors["dt"]);
    B_ = views_.input(tensors["B"]);
    C_ = views_.input(tensors["C"]);
    a_log_ = static_cast<const float*>(tensors["a_log"].data);
    D_ = static_cast<const float*>(tensors["D"].data);
    if (s_.mode == Mode::decode) state_ = static_cast<const float*>(tensors["state"].data);
    y_ = views_.output(tensors["y"]);
    state_out_ = static_cast<float*>(tensors["state_out"].data);
    if (s_.mode == Mode::prefill) prepare_prefill();
  }

  void execute() override {
    views_.widen_inputs();
    if (s_.mode == Mode::prefill) prefill();
    else decode();
    views_.narrow_outputs();
  }

 private:
  int64_t chunks() const { return (s_.tokens() + kChunk - 1) / kChunk; }

  void prepare_prefill() {
    const int64_t T = s_.tokens();
    make_chunk(std::min(kChunk, T));
    if (T % kChunk) make_chunk(T % kChunk);
    gram_.resize(size_t(s_.batch * s_.groups * chunks() * kChunk * kChunk));
    threads_state_.resize(size_t(threads_));
    for (ThreadState& th : threads_state_) {
      th.stream = dnnl::stream(ctx_.engine);
      th.scratchpad.resize(scratchpad_bytes_);
      th.mask.resize(size_t(kChunk * kChunk));
      th.scaled_c.resize(size_t(kChunk * s_.d_state));
      th.weighted_bt.resize(size_t(kChunk * s_.d_state));
      th.state_t.resize(size_t(s_.head_dim * s_.d_state));
      th.cs.assign(size_t(kChunk + kLanes), 0.0f);  // padded: mask rows load whole vectors
      th.step.assign(size_t(kChunk + kLanes), 0.0f);
    }
  }

  void make_chunk(int64_t L) {
    const int64_t N = s_.d_state, P = s_.head_dim, gN = s_.groups * N, hP = s_.heads * P;
    ChunkPrimitives p;
    p.c = memory::desc({L, N}, dt::f32, {gN, 1});
    p.bt = memory::desc({N, L}, dt::f32, {1, gN});  // B read transposed in place
    p.g = memory::desc({L, L}, dt::f32, {kChunk, 1});
    p.m = p.g;
    p.x = memory::desc({L, P}, dt::f32, {hP, 1});
    p.y = p.x;
    p.cs = memory::desc({L, N}, dt::f32, {N, 1});
    p.ht = memory::desc({N, P}, dt::f32, {P, 1});
    p.wbt = memory::desc({N, L}, dt::f32, {kChunk, 1});
    dnnl::primitive_attr plain, accumulate;
    plain.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    accumulate.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::post_ops sum;
    sum.append_sum(1.0f);
    accumulate.set_post_ops(sum);
    auto make = [&](const memory::desc& a, const memory::desc& b, const memory::desc& c,
                    const dnnl::primitive_attr& attr) {
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), attr, ctx_.engine);
      scratchpad_bytes_ = std::max(scratchpad_bytes_, pd.scratchpad_desc().get_size());
      return dnnl::matmul(pd);
    };
    p.gram = make(p.c, p.bt, p.g, plain);
    p.intra = make(p.m, p.x, p.y, plain);
    p.inter = make(p.cs, p.ht, p.y, accumulate);
    p.update = make(p.wbt, p.x, p.ht, accumulate);
    chunks_.emplace(L, std::move(p));
  }

  void run(const dnnl::matmul& primitive, ThreadState& th, const memory::desc& a_desc, const float* a,
           const memory::desc& b_desc, const float* b, const memory::desc& c_desc, float* c) const {
    memory a_m(a_desc, ctx_.engine, const_cast<float*>(a));
    memory b_m(b_desc, ctx_.engine, const_cast<float*>(b));
    memory c_m(c_desc, ctx_.engine, c);
    memory pad(memory::desc({int64_t(th.scratchpad.size())}, dt::u8, {1}), ctx_.engine, th.scratchpad.data());
    primitive.execute(th.stream, {{DNNL_ARG_SRC, a_m}, {DNNL_ARG_WEIGHTS, b_m}, {DNNL_ARG_DST, c_m},
                                  {DNNL_ARG_SCRATCHPAD, pad}});
    th.stream.wait();
  }

  ThreadState& thread_state() { return threads_state_[size_t(omp_get_thread_num()) % threads_state_.size()]; }
  float* gram(int64_t b, int64_t g, int64_t chunk) {
    return gram_.data() + ((b * s_.groups + g) * chunks() + chunk) * kChunk * kChunk;
  }

  void prefill() {
    const int64_t T = s_.tokens(), N = s_.d_state, G = s_.groups, nc = chunks();
    // C B^T of every chunk and group first: the heads of a group share it.
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (int64_t task = 0; task < s_.batch * G * nc; ++task) {
      const int64_t b = task / (G * nc), g = task / nc % G, chunk = task % nc, t0 = chunk * kChunk;
      const ChunkPrimitives& p = chunks_.at(std::min(kChunk, T - t0));
      const float* c = C_ + ((b * T + t0) * G + g) * N;
      const float* bm = B_ + ((b * T + t0) * G + g) * N;
      run(p.gram, thread_state(), p.c, c, p.bt, bm, p.g, gram(b, g, chunk));
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (int64_t task = 0; task < s_.batch * s_.heads; ++task) scan_head(task / s_.heads, task % s_.heads);
  }

  // One (sequence, head): its chunks in order, the state passed along in state_out.
  void scan_head(int64_t b, int64_t head) {
    const int64_t T = s_.tokens(), H = s_.heads, P = s_.head_dim, N = s_.d_state, G = s_.groups;
    const int64_t g = head / s_.heads_per_group();
    const float a = -std::exp(a_log_[head]), skip = D_[head];
    ThreadState& th = thread_state();
    float* state = th.state_t.data();  // H^T [N, P]
    std::fill(state, state + P * N, 0.0f);
    for (int64_t chunk = 0, t0 = 0; t0 < T; ++chunk, t0 += kChunk) {
      const int64_t L = std::min(kChunk, T - t0);
      const ChunkPrimitives& p = chunks_.at(L);
      float running = 0;
      for (int64_t t = 0; t < L; ++t) {
        th.step[size_t(t)] = dt_[(b * T + t0 + t) * H + head];
        running += th.step[size_t(t)] * a;
        th.cs[size_t(t)] = running;
      }
      decay_mask(gram(b, g, chunk), L, th);
      const float* x = x_ + ((b * T + t0) * H + head) * P;
      float* y = y_ + ((b * T + t0) * H + head) * P;
      const float* c = C_ + ((b * T + t0) * G + g) * N;
      const float* bm = B_ + ((b * T + t0) * G + g) * N;
      run(p.intra, th, p.m, th.mask.data(), p.x, x, p.y, y);
      if (chunk > 0) {  // the first chunk starts from a zero state
        for (int64_t t = 0; t < L; ++t) {
          const float scale = vmath::exp_nonpositive(th.cs[size_t(t)]);
          for (int64_t n = 0; n < N; ++n) th.scaled_c[size_t(t * N + n)] = scale * c[t * G * N + n];
        }
        run(p.inter, th, p.cs, th.scaled_c.data(), p.ht, state, p.y, y);
      }
      for (int64_t t = 0; t < L; ++t)
        for (int64_t q = 0; q < P; ++q) y[t * H * P + q] += skip * x[t * H * P + q];
      const float last = th.cs[size_t(L - 1)];
      const float carry = vmath::exp_nonpositive(last);
      for (int64_t i = 0; i < P * N; ++i) state[i] *= carry;
      for (int64_t t = 0; t < L; ++t) {
        const float w = vmath::exp_nonpositive(last - th.cs[size_t(t)]) * th.step[size_t(t)];
        for (int64_t n = 0; n < N; ++n) th.weighted_bt[size_t(n * kChunk + t)] = w * bm[t * G * N + n];
      }
      run(p.update, th, p.wbt, th.weighted_bt.data(), p.x, x, p.ht, state);
    }
    float* out = state_out_ + (b * H + head) * P * N;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t q = 0; q < P; ++q) out[q * N + n] = state[n * P + q];
  }

  // mask[t, s] = G[t, s] exp(cs[t] - cs[s]) dt[s] for s <= t, else 0; 16 pairs at a time.
  static void decay_mask(const float* g, int64_t L, ThreadState& th) {
    for (int64_t t = 0; t < L; ++t) {
      float* row = th.mask.data() + t * kChunk;
      const v16 here = vmath::splat(th.cs[size_t(t)]);
      for (int64_t s0 = 0; s0 <= t; s0 += kLanes) {
        v16 gap = here - *reinterpret_cast<const v16*>(th.cs.data() + s0);
        gap = gap < 0.0f ? gap : vmath::splat(0.0f);  // lanes past t, zeroed below
        *reinterpret_cast<v16*>(row + s0) = vmath::exp_nonpositive(gap) *
                                            *reinterpret_cast<const v16*>(th.step.data() + s0) *
                                            *reinterpret_cast<const v16*>(g + t * kChunk + s0);
      }
      std::fill(row + t + 1, row + kChunk, 0.0f);
    }
  }

  // One token per (sequence, head): h = exp(dt A) h + dt x B^T, y = h C + D x.
  void decode() {
    const int64_t H = s_.heads, P = s_.head_dim, N = s_.d_state, G = s_.groups;
    const bool threaded = s_.batch * H * P * N >= (int64_t(1) << 18);  // else one thread: cheaper than a team
#pragma omp parallel for schedule(static) num_threads(threads_) if (threaded)
    for (int64_t task = 0; task < s_.batch * H; ++task) {
      const int64_t b = task / H, head = task % H, g = head / s_.heads_per_group();
      const float step = dt_[b * H + head];
      const float decay = vmath::exp_nonpositive(step * -std::exp(a_log_[head]));
      const float* bm = B_ + (b * G + g) * N;
      const float* c = C_ + (b * G + g) * N;
      const float* x = x_ + (b * H + head) * P;
      const float* before = state_ + (b * H + head) * P * N;
      float* after = state_out_ + (b * H + head) * P * N;
      for (int64_t q = 0; q < P; ++q) {
        const float input = step * x[q];
        v16 sum{};
        int64_t n = 0;
        for (; n + kLanes <= N; n += kLanes) {
          const v16 h = decay * *reinterpret_cast<const v16*>(before + q * N + n) +
                        input * *reinterpret_cast<const v16*>(bm + n);
          *reinterpret_cast<v16*>(after + q * N + n) = h;
          sum += h * *reinterpret_cast<const v16*>(c + n);
        }
        float out = 0;
        for (int64_t l = 0; l < kLanes; ++l) out += sum[l];
        for (; n < N; ++n) {
          after[q * N + n] = decay * before[q * N + n] + input * bm[n];
          out += after[q * N + n] * c[n];
        }
        y_[(b * H + head) * P + q] = out + D_[head] * x[q];
      }
    }
  }

  Mamba2Shape s_;
  sdk::cpu::Context ctx_;
  int threads_;
  F32Views views_;
  const float *x_ = nullptr, *dt_ = nullptr, *B_ = nullptr, *C_ = nullptr;
  const float *a_log_ = nullptr, *D_ = nullptr, *state_ = nullptr;
  float *y_ = nullptr, *state_out_ = nullptr;
  std::map<int64_t, ChunkPrimitives> chunks_;  // by chunk length
  size_t scratchpad_bytes_ = 0;
  std::vector<float> gram_;  // [batch, groups, chunks, kChunk, kChunk]
  std::vector<ThreadState> threads_state_;
};

}  // namespace

std::unique_ptr<sdk::Instance> Mamba2Variant::create_cpu(const sdk::Problem& problem, const ab_host& host,
                                                         const sdk::Tensors& tensors) const {
  return std::make_unique<Mamba2Cpu>(Mamba2Shape::of(problem), host, tensors);
}

}  // namespace archbench::plugins::ssm
