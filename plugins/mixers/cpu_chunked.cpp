// The chunked parallel form of a prefill (GLA / Gated DeltaNet papers,
// flash-linear-attention's chunk kernels). Per (sequence, head) a thread walks
// the tokens in blocks of N chunks of C tokens; within a block the products
// that do not depend on the running state are one batched oneDNN matmul each,
// the state is passed from chunk to chunk, and the outputs follow batched again.
//
// Linear / retention / GLA, with b_i = exp(g_i) the decay accumulated from the
// chunk's start to token i (per channel for GLA, per head otherwise):
//   A  = (Q * b)(K / b)^T, causal       D = (K * b_C / b)^T V
//   S_before(n+1) = b_C * S_before(n) + D(n)          (host, per chunk)
//   O  = (Q * b) S_before + A V      [/ ((Q * b) z_before + rowsum A)]
// Gated DeltaNet (WY / UT transform), gamma_i = exp(g_i) of the scalar decays:
//   T  = (I + strict_tril(diag(beta) (K K^T * Gamma)))^-1 diag(beta),  Gamma_ij = gamma_i / gamma_j
//   U  = T V,  W = T (gamma * K)                                       (batched)
//   per chunk: V_new = U - W S;  S <- gamma_C S + (K * gamma_C / gamma)^T V_new
//   O  = (gamma * Q) S_before + tril(Q K^T * Gamma) V_new
// The decays are accumulated as products within a chunk (no exp or log).
// Linear / GLA's factored form stays finite while one chunk's accumulated
// decay is above about 1e-37 (f32): 64 tokens of gates down to 0.27. GDN's
// Gamma is built as products of the decays between i and j, without division,
// so it stays finite for any decay.
#include "cpu_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <omp.h>

namespace archbench::plugins::mixers::cpu {

using dnnl::memory;
using dt = memory::data_type;

namespace {

// Tokens per block: at 256 a block's buffers (about 2 MB at 128-wide heads) stay
// near L2; 1024 tokens (8 MB) spilled to L3 and ran about 20% slower.
constexpr int64_t kBlockTokens = 256;

// c[batch, m, n] = a[batch, m, k] b[batch, k, n], each operand stored row-major
// either as written or transposed (read through strides, no copy).
struct Gemm {
  dnnl::matmul primitive;
  memory::desc a, b, c;
};

memory::desc operand(int64_t batch, int64_t rows, int64_t cols, bool stored_transposed) {
  if (stored_transposed) return memory::desc({batch, rows, cols}, dt::f32, {rows * cols, 1, rows});
  return memory::desc({batch, rows, cols}, dt::f32, {rows * cols, cols, 1});
}

struct ThreadState {
  dnnl::stream stream;
  std::vector<uint8_t> scratchpad;
  TokenRows rows;
  std::vector<float> qt, kt, kh;       // [N C, dk]: decayed queries and keys
  std::vector<float> square, square2;  // [N, C, C]: A (GDN: T and tril(Q K^T * Gamma))
  std::vector<float> d;                // [N, dk, dv]: each chunk's K^T V
  std::vector<float> states;           // [N, dk, dv]: the state before each chunk
  std::vector<float> o1, o2, u;        // [N C, dv]
  std::vector<float> wq, pairs;        // GDN: [N, 2C, dk] = [W; gamma Q], [N, 2C, dv] = [W S; gamma Q S]
  std::vector<float> cum, decay_end;   // [C] or [C, dk]; [N] or [N, dk]
  std::vector<float> ratio;            // GDN: [C, C], gamma_i / gamma_p below the diagonal
  std::vector<float> z, z_before, row_sum, tmp, tmp2, x;
  std::vector<float> S;                // [dk, dv]
};

}  // namespace

struct ChunkedPrefill::Impl {
  Shape s;
  dnnl::engine engine;
  int threads = 1;
  int64_t C = 64, NB = 1, chunks = 1;
  size_t scratchpad_bytes = 1;
  struct Gemms {
    Gemm qk;  // [C,dk] x [C,dk]^T -> [C,C] (also GDN's K K^T)
    Gemm kv;  // [C,dk]^T x [C,dv] -> [dk,dv]
    Gemm qs;  // [C,dk] x [dk,dv] -> [C,dv]
    Gemm av;  // [C,C] x [C,dv] -> [C,dv]
    Gemm tk;    // GDN: [C,C] x [C,dk] -> the W half of [W; gamma Q]
    Gemm pair;  // GDN: [W; gamma Q] [2C,dk] x S [dk,dv] -> [W S; gamma Q S] [2C,dv]
  };
  std::map<int64_t, Gemms> gemms;  // by chunks per block
  std::vector<ThreadState> state;

  // c_batch_stride: the distance between batch entries of c (0: packed).
  Gemm make(int64_t batch, int64_t m, int64_t k, int64_t n, bool a_transposed, bool b_transposed,
            int64_t c_batch_stride = 0) {
    Gemm g;
    g.a = operand(batch, m, k, a_transposed);
    g.b = operand(batch, k, n, b_transposed);
    g.c = c_batch_stride ? memory::desc({batch, m, n}, dt::f32, {c_batch_stride, n, 1}) : operand(batch, m, n, false);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // one scratchpad per thread
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(g.a, g.b, g.c), attr, engine);
    scratchpad_bytes = std::max(scratchpad_bytes, pd.scratchpad_desc().get_size());
    g.primitive = dnnl::matmul(pd);
    return g;
  }

  Gemms make_set(int64_t N) {
    const int64_t dk = s.dk, dv = s.dv;
    Gemms set;
    set.qk = make(N, C, dk, C, false, true);
    set.kv = make(N, dk, C, dv, true, false);
    set.qs = make(N, C, dk, dv, false, false);
    set.av = make(N, C, C, dv, false, false);
    if (s.rule == Rule::delta) {
      set.tk = make(N, C, C, dk, false, false, 2 * C * dk);
      set.pair = make(1, 2 * C, dk, dv, false, false);
    }
    return set;
  }

  void run_gemm(const Gemm& g, ThreadState& th, const float* a, const float* b, float* c) {
    memory am(g.a, engine, const_cast<float*>(a)), bm(g.b, engine, const_cast<float*>(b)), cm(g.c, engine, c);
    memory pad(memory::desc({int64_t(th.scratchpad.size())}, dt::u8, {1}), engine, th.scratchpad.data());
    g.primitive.execute(th.stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm},
                                    {DNNL_ARG_SCRATCHPAD, pad}});
    th.stream.wait();
  }

  void head(int64_t b, int64_t h, const Inputs& in, const Outputs& out, ThreadState& th) {
    const int64_t T = s.tokens(), dk = s.dk, dv = s.dv, H = s.heads;
    std::fill(th.S.begin(), th.S.end(), 0.0f);
    std::fill(th.z.begin(), th.z.end(), 0.0f);
    for (int64_t c0 = 0; c0 < chunks; c0 += NB) {
      const int64_t N = std::min(NB, chunks - c0), t0 = c0 * C, n = std::min(N * C, T - t0);
      load_tokens(s, in, b, h, t0, n, N * C, th.rows);
      if (s.rule == Rule::delta) delta_block(N, th);
      else linear_block(N, th);
      for (int64_t i = 0; i < n; ++i)
        store_row(out.out, s.dtype, ((b * T + t0 + i) * H + h) * dv, th.o1.data() + i * dv, dv);
    }
    std::copy(th.S.begin(), th.S.end(), out.state + (b * H + h) * dk * dv);
    if (out.norm) std::copy(th.z.begin(), th.z.end(), out.norm + (b * H + h) * dk);
  }

  // Linear attention, retention and GLA over one block; leaves the outputs in o1.
  void linear_block(int64_t N, ThreadState& th) {
    const int64_t dk = s.dk, dv = s.dv;
    TokenRows& r = th.rows;
    const bool decays = !r.decay.empty(), per_channel = r.per_channel;
    const int64_t width = per_channel ? dk : 1;
    const float* qt = r.q.data();
    const float* kt = r.k.data();
    const float* kh = r.k.data();
    if (decays) {
      for (int64_t j = 0; j < N; ++j) {
        float* cum = th.cum.data();  // b_i: the decay from the chunk's start to token i
        for (int64_t i = 0; i < C; ++i)
          for (int64_t c = 0; c < width; ++c)
            cum[i * width + c] = (i ? cum[(i - 1) * width + c] : 1.0f) * r.decay[size_t((j * C + i) * width + c)];
        const float* last = cum + (C - 1) * width;
        std::copy(last, last + width, th.decay_end.begin() + j * width);
        for (int64_t i = 0; i < C; ++i) {
          const int64_t row = j * C + i;
          const float* b = cum + i * width;
          for (int64_t d = 0; d < dk; ++d) {
            const int64_t c = per_channel ? d : 0;
            const float key = r.k[size_t(row * dk + d)];
            th.qt[size_t(row * dk + d)] = r.q[size_t(row * dk + d)] * b[c];
            th.kt[size_t(row * dk + d)] = key / b[c];
            th.kh[size_t(row * dk + d)] = key * (last[c] / b[c]);
          }
        }
      }
      qt = th.qt.data(), kt = th.kt.data(), kh = th.kh.data();
    }
    const Gemms& g = gemms.at(N);
    run_gemm(g.qk, th, qt, kt, th.square.data());
    run_gemm(g.kv, th, kh, r.v.data(), th.d.data());
    // Causal mask; the normalizer's intra-chunk part is each row's sum.
    for (int64_t j = 0; j < N; ++j)
      for (int64_t i = 0; i < C; ++i) {
        float* a = th.square.data() + (j * C + i) * C;
        std::fill(a + i + 1, a + C, 0.0f);
        if (s.normalize) {
          float sum = 0;
          for (int64_t c = 0; c <= i; ++c) sum += a[c];
          th.row_sum[size_t(j * C + i)] = sum;
        }
      }
    // The state passed along the chunks.
    for (int64_t j = 0; j < N; ++j) {
      float* before = th.states.data() + j * dk * dv;
      std::copy(th.S.begin(), th.S.end(), before);
      const float* add = th.d.data() + j * dk * dv;
      for (int64_t d = 0; d < dk; ++d) {
        const float e = decays ? th.decay_end[size_t(j * width + (per_channel ? d : 0))] : 1.0f;
        float* row = th.S.data() + d * dv;
        const float* plus = add + d * dv;
        for (int64_t c = 0; c < dv; ++c) row[c] = e * row[c] + plus[c];
      }
      if (s.normalize) {
        std::copy(th.z.begin(), th.z.end(), th.z_before.begin() + j * dk);
        for (int64_t d = 0; d < dk; ++d) {
          const float e = decays ? th.decay_end[size_t(j * width + (per_channel ? d : 0))] : 1.0f;
          float sum = 0;
          for (int64_t i = 0; i < C; ++i) sum += kh[(j * C + i) * dk + d];
          th.z[size_t(d)] = e * th.z[size_t(d)] + sum;
        }
      }
    }
    run_gemm(g.qs, th, qt, th.states.data(), th.o1.data());
    run_gemm(g.av, th, th.square.data(), r.v.data(), th.o2.data());
    for (int64_t row = 0; row < N * C; ++row) {
      float* o = th.o1.data() + row * dv;
      const float* add = th.o2.data() + row * dv;
      float scale = 1.0f;
      if (s.normalize) {
        const float* zb = th.z_before.data() + (row / C) * dk;
        float den = th.row_sum[size_t(row)];
        for (int64_t d = 0; d < dk; ++d) den += qt[row * dk + d] * zb[d];
        scale = 1.0f / den;
      }
      for (int64_t c = 0; c < dv; ++c) o[c] = (o[c] + add[c]) * scale;
    }
  }

  // Gated DeltaNet over one block; leaves the outputs in o1.
  void delta_block(int64_t N, ThreadState& th) {
    const int64_t dk = s.dk, dv = s.dv;
    TokenRows& r = th.rows;
    const Gemms& g = gemms.at(N);
    run_gemm(g.qk, th, r.k.data(), r.k.data(), th.square.data());   // K K^T
    run_gemm(g.qk, th, r.q.data(), r.k.data(), th.square2.data());  // Q K^T
    for (int64_t j = 0; j < N; ++j) {
      const float* decay = r.decay.data() + j * C;
      // Ratio[i][p] = gamma_i / gamma_p = the decays of tokens p+1..i, built
      // row from row as products: no division, so a chunk whose decays
      // multiply below f32's range gives zeros, not 0/0.
      float* ratio = th.ratio.data();
      ratio[0] = 1.0f;
      for (int64_t i = 1; i < C; ++i) {
        float* row = ratio + i * C;
        const float* above = row - C;
        for (int64_t p = 0; p < i; ++p) row[p] = above[p] * decay[i];
        row[i] = 1.0f;
      }
      float* cum = th.cum.data();  // gamma_i: the decays from the chunk's start to token i
      for (int64_t i = 0; i < C; ++i) cum[i] = (i ? cum[i - 1] : 1.0f) * decay[i];
      th.decay_end[size_t(j)] = cum[C - 1];
      const float* to_end = ratio + (C - 1) * C;  // gamma_C / gamma_i
      float* kk = th.square.data() + j * C * C;  // becomes T, row by row
      float* qk = th.square2.data() + j * C * C;
      float* m = th.x.data();
      for (int64_t i = 0; i < C; ++i) {
        // Row i of T = (I + M)^-1 diag(beta): T_i = beta_i e_i - sum_{p<i} M_ip T_p,
        // M_ip = beta_i (K K^T)_ip Ratio_ip. Row p of T is zero past column p,
        // so each update covers whole 16-lane pieces up to p.
        const float beta = r.beta[size_t(j * C + i)];
        float* t = kk + i * C;
        for (int64_t p = 0; p < i; ++p) m[p] = beta * t[p] * ratio[i * C + p];
        std::fill(t, t + C, 0.0f);
        t[i] = beta;
        for (int64_t p = 0; p < i; ++p) {
          const float* earlier = kk + p * C;
          const float factor = m[p];
          const int64_t width = std::min(C, (p + 16) & ~int64_t(15));
          for (int64_t c = 0; c < width; ++c) t[c] -= factor * earlier[c];
        }
        float* scores = qk + i * C;
        for (int64_t p = 0; p < C; ++p) scores[p] = p <= i ? scores[p] * ratio[i * C + p] : 0.0f;
        const int64_t row = j * C + i;
        const float gamma = cum[i], tail = to_end[i];
        float* gamma_q = th.wq.data() + (j * 2 * C + C + i) * dk;
        for (int64_t d = 0; d < dk; ++d) {
          const float key = r.k[size_t(row * dk + d)];
          th.kt[size_t(row * dk + d)] = gamma * key;
          th.kh[size_t(row * dk + d)] = tail * key;
          gamma_q[d] = gamma * r.q[size_t(row * dk + d)];
        }
      }
    }
    run_gemm(g.av, th, th.square.data(), r.v.data(), th.u.data());  // U = T V
    run_gemm(g.tk, th, th.square.data(), th.kt.data(), th.wq.data());  // W = T (gamma K), beside gamma Q
    const Gemms& one = gemms.at(1);
    for (int64_t j = 0; j < N; ++j) {
      // One product gives W S (for V_new) and gamma Q S (the outputs' part from
      // earlier chunks), both of the state before this chunk.
      float* pair = th.pairs.data() + j * 2 * C * dv;
      run_gemm(one.pair, th, th.wq.data() + j * 2 * C * dk, th.S.data(), pair);
      float* u = th.u.data() + j * C * dv;
      for (int64_t c = 0; c < C * dv; ++c) u[c] -= pair[c];                 // V_new
      run_gemm(one.kv, th, th.kh.data() + j * C * dk, u, th.tmp2.data());  // K_h^T V_new
      const float e = th.decay_end[size_t(j)];
      for (int64_t c = 0; c < dk * dv; ++c) th.S[size_t(c)] = e * th.S[size_t(c)] + th.tmp2[size_t(c)];
    }
    run_gemm(g.av, th, th.square2.data(), th.u.data(), th.o2.data());
    for (int64_t j = 0; j < N; ++j) {
      const float* earlier = th.pairs.data() + (j * 2 + 1) * C * dv;
      float* o = th.o1.data() + j * C * dv;
      const float* add = th.o2.data() + j * C * dv;
      for (int64_t c = 0; c < C * dv; ++c) o[c] = earlier[c] + add[c];
    }
  }
};

ChunkedPrefill::ChunkedPrefill(const Shape& shape, const dnnl::engine& engine, int threads)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.s = shape;
  m.engine = engine;
  m.threads = std::max(1, threads);
  const int64_t T = shape.tokens(), dk = shape.dk, dv = shape.dv;
  // Sequences shorter than a chunk run as one chunk of their own length.
  m.C = std::min(shape.chunk, T);
  m.chunks = (T + m.C - 1) / m.C;
  m.NB = std::clamp<int64_t>(kBlockTokens / m.C, 1, m.chunks);
  for (int64_t N : {m.NB, m.chunks % m.NB, int64_t(1)})
    if (N > 0 && !m.gemms.count(N)) m.gemms.emplace(N, m.make_set(N));
  const size_t rows = size_t(m.NB * m.C), C = size_t(m.C);
  m.state.resize(size_t(m.threads));
  for (ThreadState& th : m.state) {
    th.stream = dnnl::stream(engine);
    th.scratchpad.assign(m.scratchpad_bytes, 0);
    th.qt.assign(rows * size_t(dk), 0.0f);
    th.kt = th.qt;
    th.kh = th.qt;
    th.square.assign(rows * C, 0.0f);
    if (shape.rule == Rule::delta) th.square2 = th.square;
    th.d.assign(size_t(m.NB * dk * dv), 0.0f);
    th.states = th.d;
    th.o1.assign(rows * size_t(dv), 0.0f);
    th.o2 = th.o1;
    th.u = th.o1;
    if (shape.rule == Rule::delta) {
      th.wq.assign(2 * rows * size_t(dk), 0.0f);
      th.pairs.assign(2 * rows * size_t(dv), 0.0f);
    }
    th.cum.assign(C * size_t(dk), 0.0f);
    if (shape.rule == Rule::delta) th.ratio.assign(C * C, 0.0f);
    th.decay_end.assign(size_t(m.NB * dk), 0.0f);
    th.z.assign(size_t(dk), 0.0f);
    th.z_before.assign(size_t(m.NB * dk), 0.0f);
    th.row_sum.assign(rows, 0.0f);
    th.tmp.assign(C * size_t(dv), 0.0f);
    th.tmp2.assign(size_t(dk * dv), 0.0f);
    th.x.assign(C, 0.0f);
    th.S.assign(size_t(dk * dv), 0.0f);
  }
}

ChunkedPrefill::~ChunkedPrefill() = default;

void ChunkedPrefill::run(const Inputs& in, const Outputs& out) {
  Impl& m = *impl_;
  const int64_t tasks = m.s.batch * m.s.heads;
#pragma omp parallel for schedule(dynamic, 1) num_threads(m.threads)
  for (int64_t task = 0; task < tasks; ++task)
    m.head(task / m.s.heads, task % m.s.heads, in, out, m.state[size_t(omp_get_thread_num())]);
}

}  // namespace archbench::plugins::mixers::cpu
