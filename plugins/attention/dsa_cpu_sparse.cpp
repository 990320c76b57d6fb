// DSA's sparse attention on oneDNN (see dsa_kernels.hpp): per query, its
// selected cache rows [c | k_r] gathered into a thread's buffer, then
//   S = Q_i G^T         (oneDNN matmul: every head against the kept rows)
//   exact softmax of S  (all kept rows at once: no online rescaling needed)
//   O = P G[:, :kv_lora_rank]
// Prefill spreads the queries over the threads; a decode with fewer queries
// than threads also splits each query's kept rows, merging the partial
// softmaxes with their max/sum statistics.
#include "dsa_kernels.hpp"
#include "vector_math.hpp"

#include <archbench/sdk_cpu.hpp>

#include <algorithm>
#include <limits>
#include <omp.h>

namespace archbench::plugins::attention::cpu {

using dnnl::memory;
using dt = memory::data_type;

namespace {

struct ThreadState {
  dnnl::stream stream;
  std::vector<uint8_t> scratchpad;
  std::vector<float> gathered, scores;
};

}  // namespace

struct SparseLatentAttention::Impl {
  MlaShape s;
  Shape p;
  dnnl::engine engine;
  int threads;
  int64_t heads, width, latent, splits, part;  // part: kept rows per split
  dnnl::matmul scores_mm, values_mm;
  memory::desc q_desc, g_desc, s_desc, v_desc, o_desc;
  std::vector<ThreadState> state;
  std::vector<float> maxes, sums, partial;  // decode splits: [queries, splits, heads(, latent)]

  // One split of one query: kept rows [j0, j0 + part) of its selection. With
  // `normalize` the output is final; otherwise max/sum are left for the merge.
  void attend(int64_t query, int64_t split, const float* queries, const void* rows, const int32_t* selected,
              float* out, float* max_out, float* sum_out, bool normalize, ThreadState& th) {
    const int64_t T = p.tokens(), b = query / T, slots = p.slots();
    const int32_t* chosen = selected + query * s.kept() + split * part;
    int64_t n = 0;
    while (n < part && split * part + n < s.kept() && chosen[n] >= 0) ++n;
    float* g = th.gathered.data();
    for (int64_t c = 0; c < n; ++c) {
      const int64_t position = chosen[c];
      const int64_t row = s.mode == Mode::prefill ? b * T + position : b * slots + position % slots;
      if (s.mode == Mode::prefill || s.dtype == AB_DTYPE_F32)
        std::copy_n(static_cast<const float*>(rows) + row * width, width, g + c * width);
      else
        sdk::cpu::convert_elements(static_cast<const uint16_t*>(rows) + row * width, g + c * width, width);
    }
    if (n == 0) {  // this split kept nothing
      std::fill(out, out + heads * latent, 0.0f);
      if (!normalize) std::fill(sum_out, sum_out + heads, 0.0f);
      return;
    }
    memory pad(memory::desc({int64_t(th.scratchpad.size())}, dt::u8, {1}), engine, th.scratchpad.data());
    scores_mm.execute(th.stream, {{DNNL_ARG_SRC, memory(q_desc, engine, const_cast<float*>(queries + query * heads * width))},
                                  {DNNL_ARG_WEIGHTS, memory(g_desc, engine, g)},
                                  {DNNL_ARG_DST, memory(s_desc, engine, th.scores.data())},
                                  {DNNL_ARG_SCRATCHPAD, pad}});
    th.stream.wait();
    for (int64_t h = 0; h < heads; ++h) {
      float* row = th.scores.data() + h * part;
      const float top = vmath::max_of(row, n);
      float total = 0;
#pragma omp simd reduction(+ : total)
      for (int64_t c = 0; c < n; ++c) {
        row[c] = vmath::exp_nonpositive(row[c] - top);
        total += row[c];
      }
      const float scale = normalize ? 1.0f / total : 1.0f;
      for (int64_t c = 0; c < n; ++c) row[c] *= scale;
      std::fill(row + n, row + part, 0.0f);  // rows past n are stale; P zeroes them
      if (!normalize) {
        max_out[h] = top;
        sum_out[h] = total;
      }
    }
    values_mm.execute(th.stream, {{DNNL_ARG_SRC, memory(s_desc, engine, th.scores.data())},
                                  {DNNL_ARG_WEIGHTS, memory(v_desc, engine, g)},
                                  {DNNL_ARG_DST, memory(o_desc, engine, out)},
                                  {DNNL_ARG_SCRATCHPAD, pad}});
    th.stream.wait();
  }
};

SparseLatentAttention::SparseLatentAttention(const MlaShape& shape, const dnnl::engine& engine, int threads)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.s = shape;
  m.p = shape.positions();
  m.engine = engine;
  m.threads = std::max(1, threads);
  m.heads = shape.heads;
  m.width = shape.cache_width();
  m.latent = shape.kv_lora_rank;
  const int64_t queries = shape.batch * m.p.tokens();
  // Fewer queries than threads (decode): split each query's kept rows.
  m.splits = queries >= m.threads ? 1 : std::min<int64_t>((m.threads + queries - 1) / queries, shape.kept());
  m.part = (shape.kept() + m.splits - 1) / m.splits;
  m.q_desc = memory::desc({m.heads, m.width}, dt::f32, {m.width, 1});
  m.g_desc = memory::desc({m.width, m.part}, dt::f32, {1, m.width});  // gathered rows read as G^T
  m.s_desc = memory::desc({m.heads, m.part}, dt::f32, {m.part, 1});
  m.v_desc = memory::desc({m.part, m.latent}, dt::f32, {m.width, 1});  // the rows' latents
  m.o_desc = memory::desc({m.heads, m.latent}, dt::f32, {m.latent, 1});
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::matmul::primitive_desc qk(dnnl::matmul::desc(m.q_desc, m.g_desc, m.s_desc), attr, engine);
  dnnl::matmul::primitive_desc pv(dnnl::matmul::desc(m.s_desc, m.v_desc, m.o_desc), attr, engine);
  m.scores_mm = dnnl::matmul(qk);
  m.values_mm = dnnl::matmul(pv);
  const size_t scratchpad = std::max(qk.scratchpad_desc().get_size(), pv.scratchpad_desc().get_size());
  m.state.resize(size_t(m.threads));
  for (ThreadState& th : m.state) {
    th.stream = dnnl::stream(engine);
    th.scratchpad.assign(std::max<size_t>(scratchpad, 1), 0);
    th.gathered.assign(size_t(m.part * m.width), 0.0f);  // finite from the start: P V reads every row
    th.scores.assign(size_t(m.heads * m.part), 0.0f);
  }
  if (m.splits > 1) {
    m.maxes.assign(size_t(queries * m.splits * m.heads), 0.0f);
    m.sums.assign(m.maxes.size(), 0.0f);
    m.partial.assign(m.maxes.size() * size_t(m.latent), 0.0f);
  }
}

SparseLatentAttention::~SparseLatentAttention() = default;

void SparseLatentAttention::run(const float* queries, const void* rows, const int32_t* selected, float* out) {
  Impl& m = *impl_;
  const int64_t count = m.s.batch * m.p.tokens(), tasks = count * m.splits;
  const int64_t hl = m.heads * m.latent;
#pragma omp parallel for schedule(dynamic, 1) num_threads(m.threads)
  for (int64_t task = 0; task < tasks; ++task) {
    ThreadState& th = m.state[size_t(omp_get_thread_num())];
    const int64_t query = task / m.splits, split = task % m.splits;
    if (m.splits == 1) {
      m.attend(query, 0, queries, rows, selected, out + query * hl, nullptr, nullptr, true, th);
    } else {
      m.attend(query, split, queries, rows, selected, m.partial.data() + task * hl, m.maxes.data() + task * m.heads,
               m.sums.data() + task * m.heads, false, th);
    }
  }
  if (m.splits == 1) return;
#pragma omp parallel for schedule(static) num_threads(m.threads)
  for (int64_t row = 0; row < count * m.heads; ++row) {
    const int64_t query = row / m.heads, h = row % m.heads;
    float top = -std::numeric_limits<float>::infinity();
    for (int64_t sp = 0; sp < m.splits; ++sp) {
      const size_t at = size_t((query * m.splits + sp) * m.heads + h);
      if (m.sums[at] > 0) top = std::max(top, m.maxes[at]);
    }
    float* o = out + query * hl + h * m.latent;
    std::fill(o, o + m.latent, 0.0f);
    float total = 0;
    for (int64_t sp = 0; sp < m.splits; ++sp) {
      const size_t at = size_t((query * m.splits + sp) * m.heads + h);
      if (m.sums[at] == 0) continue;
      const float weight = vmath::exp_nonpositive(m.maxes[at] - top);
      total += weight * m.sums[at];
      const float* partial = m.partial.data() + at * size_t(m.latent);
      for (int64_t d = 0; d < m.latent; ++d) o[d] += weight * partial[d];
    }
    for (int64_t d = 0; d < m.latent; ++d) o[d] /= total;
  }
}

}  // namespace archbench::plugins::attention::cpu
