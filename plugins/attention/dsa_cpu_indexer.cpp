// DSA's lightning indexer on oneDNN (see dsa_kernels.hpp). Prefill: tasks of
// a few query tokens (all their index heads are the rows of one matmul) walk
// the visible key blocks; decode: the key blocks of the one query split across
// threads. Each query's scores land in a row buffer, and its top_k is found
// by nth_element on the scores (ties at the threshold go to earlier positions).
#include "dsa_kernels.hpp"
#include "vector_math.hpp"

#include <archbench/sdk_cpu.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <omp.h>

namespace archbench::plugins::attention::cpu {

using dnnl::memory;
using dt = memory::data_type;

namespace {

constexpr int64_t kKeyBlock = 512;    // index keys per block
constexpr int64_t kTargetRows = 256;  // query tokens x index heads per matmul

struct ThreadState {
  dnnl::stream stream;
  std::vector<uint8_t> scratchpad;
  std::vector<float> products, keys, scores, threshold;
};

}  // namespace

struct LightningIndexer::Impl {
  MlaShape s;
  Shape p;
  dnnl::engine engine;
  int threads;
  int64_t heads, dim, block_tokens, padded_tokens;
  std::map<int64_t, dnnl::matmul> primitives;  // by query rows (tokens x heads)
  memory::desc k_desc;
  size_t scratchpad_bytes = 0;
  std::vector<ThreadState> state;
  std::vector<float> padded_keys;  // prefill: [batch, padded_tokens, dim], zero past the tokens
  std::vector<float> decode_scores;  // decode: [batch, context]

  dnnl::matmul make(int64_t rows) {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const memory::desc q({rows, dim}, dt::f32, {dim, 1});
    const memory::desc out({rows, kKeyBlock}, dt::f32, {kKeyBlock, 1});
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(q, k_desc, out), attr, engine);
    scratchpad_bytes = std::max(scratchpad_bytes, pd.scratchpad_desc().get_size());
    return dnnl::matmul(pd);
  }

  // products [rows x kKeyBlock] = queries [rows x dim] . keys^T.
  void product(ThreadState& th, int64_t rows, const float* queries, const float* keys) {
    const memory::desc q({rows, dim}, dt::f32, {dim, 1});
    const memory::desc out({rows, kKeyBlock}, dt::f32, {kKeyBlock, 1});
    memory pad(memory::desc({int64_t(th.scratchpad.size())}, dt::u8, {1}), engine, th.scratchpad.data());
    primitives.at(rows).execute(th.stream, {{DNNL_ARG_SRC, memory(q, engine, const_cast<float*>(queries))},
                                            {DNNL_ARG_WEIGHTS, memory(k_desc, engine, const_cast<float*>(keys))},
                                            {DNNL_ARG_DST, memory(out, engine, th.products.data())},
                                            {DNNL_ARG_SCRATCHPAD, pad}});
    th.stream.wait();
  }

  // scores[c] = sum_j w_j ReLU(products[j][c]) for one query's heads.
  void combine(const float* products, const float* w, int64_t n, float* scores) const {
    std::fill(scores, scores + n, 0.0f);
    for (int64_t j = 0; j < heads; ++j) {
      const float weight = w[j];
      const float* row = products + j * kKeyBlock;
#pragma omp simd
      for (int64_t c = 0; c < n; ++c) scores[c] += weight * std::max(row[c], 0.0f);
    }
  }

  // The top_k of scores[0..n) (positions lo + c) into out[0..top_k), -1 padded.
  void select(const float* scores, int64_t n, int64_t lo, int32_t* out, ThreadState& th) const {
    const int64_t k = s.top_k;
    if (n <= k) {
      for (int64_t c = 0; c < s.kept(); ++c) out[c] = c < n ? int32_t(lo + c) : -1;
      return;
    }
    th.threshold.assign(scores, scores + n);
    std::nth_element(th.threshold.begin(), th.threshold.begin() + (k - 1), th.threshold.end(), std::greater<float>());
    const float cut = th.threshold[size_t(k - 1)];
    int64_t above = 0;
    for (int64_t c = 0; c < n; ++c) above += scores[c] > cut;
    int64_t at = 0, ties = k - above;
    for (int64_t c = 0; c < n && at < k; ++c)
      if (scores[c] > cut || (scores[c] == cut && ties-- > 0)) out[at++] = int32_t(lo + c);
  }

  // A query's scores as the index_scores output holds them: -inf where not visible.
  void publish(const float* visible, int64_t lo, int64_t i, float* row) const {
    const int64_t context = p.context();
    std::fill(row, row + lo, -INFINITY);
    std::copy_n(visible, i - lo + 1, row + lo);
    std::fill(row + i + 1, row + context, -INFINITY);
  }

  void prefill_task(int64_t b, int64_t t0, int64_t tokens, const float* queries, const float* weights,
                    int32_t* selected, float* scores_out, ThreadState& th) {
    const int64_t T = p.tokens(), rows = tokens * heads, lo0 = p.first_visible(t0);
    const int64_t first_block = lo0 / kKeyBlock * kKeyBlock, last = t0 + tokens - 1;
    const float* q = queries + (b * T + t0) * heads * dim;
    const int64_t row_length = last - first_block + 1;
    for (int64_t j0 = first_block; j0 <= last; j0 += kKeyBlock) {
      product(th, rows, q, padded_keys.data() + (b * padded_tokens + j0) * dim);
      for (int64_t t = 0; t < tokens; ++t) {
        const int64_t n = std::min(kKeyBlock, row_length - (j0 - first_block));
        combine(th.products.data() + t * heads * kKeyBlock, weights + (b * T + t0 + t) * heads, n,
                th.scores.data() + t * row_length + (j0 - first_block));
      }
    }
    for (int64_t t = 0; t < tokens; ++t) {
      const int64_t i = t0 + t, lo = p.first_visible(i);
      const float* visible = th.scores.data() + t * row_length + (lo - first_block);
      select(visible, i - lo + 1, lo, selected + (b * T + i) * s.kept(), th);
      if (scores_out) publish(visible, lo, i, scores_out + (b * T + i) * p.context());
    }
  }

  // Decode: the visible positions of sequence b in blocks that do not cross
  // the ring's wrap; block `index` of them into decode_scores.
  void decode_block(int64_t b, int64_t p0, int64_t n, const float* queries, const float* weights,
                    const void* cache, ThreadState& th) {
    const int64_t slots = p.slots(), row0 = b * slots + p0 % slots;
    const float* keys = th.keys.data();
    if (s.dtype == AB_DTYPE_F32 && n == kKeyBlock) {
      keys = static_cast<const float*>(cache) + row0 * dim;  // a whole block: read in place
    } else {  // widened, or a short block padded with zeros to the primitive's width
      float* own = th.keys.data();
      if (s.dtype == AB_DTYPE_F32) std::copy_n(static_cast<const float*>(cache) + row0 * dim, n * dim, own);
      else sdk::cpu::convert_elements(static_cast<const uint16_t*>(cache) + row0 * dim, own, n * dim);
      std::fill(own + n * dim, own + kKeyBlock * dim, 0.0f);
    }
    product(th, heads, queries + b * heads * dim, keys);
    combine(th.products.data(), weights + b * heads, n, decode_scores.data() + b * p.context() + p0);
  }
};

LightningIndexer::LightningIndexer(const MlaShape& shape, const dnnl::engine& engine, int threads)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.s = shape;
  m.p = shape.positions();
  m.engine = engine;
  m.threads = std::max(1, threads);
  m.heads = shape.index_heads;
  m.dim = shape.index_dim;
  m.block_tokens = std::max<int64_t>(1, kTargetRows / m.heads);
  m.k_desc = memory::desc({m.dim, kKeyBlock}, dt::f32, {1, m.dim});  // key rows read as K^T
  const int64_t T = m.p.tokens();
  int64_t longest_row = 1;
  if (shape.mode == Mode::prefill) {
    m.primitives.emplace(std::min(T, m.block_tokens) * m.heads, m.make(std::min(T, m.block_tokens) * m.heads));
    if (T > m.block_tokens && T % m.block_tokens)
      m.primitives.emplace((T % m.block_tokens) * m.heads, m.make((T % m.block_tokens) * m.heads));
    m.padded_tokens = (T + kKeyBlock - 1) / kKeyBlock * kKeyBlock + kKeyBlock;
    m.padded_keys.assign(size_t(shape.batch * m.padded_tokens * m.dim), 0.0f);
    // A task's rows span its first visible key block to its last query.
    for (int64_t t0 = 0; t0 < T; t0 += m.block_tokens) {
      const int64_t last = std::min(T, t0 + m.block_tokens) - 1;
      longest_row = std::max(longest_row, last - m.p.first_visible(t0) / kKeyBlock * kKeyBlock + 1);
    }
  } else {
    m.primitives.emplace(m.heads, m.make(m.heads));
    m.decode_scores.assign(size_t(shape.batch * m.p.context()), 0.0f);
  }
  m.state.resize(size_t(m.threads));
  for (ThreadState& th : m.state) {
    th.stream = dnnl::stream(engine);
    th.scratchpad.assign(std::max<size_t>(m.scratchpad_bytes, 1), 0);
    th.products.assign(size_t(m.block_tokens * m.heads * kKeyBlock), 0.0f);
    th.keys.assign(size_t(kKeyBlock * m.dim), 0.0f);
    th.scores.assign(size_t(m.block_tokens * longest_row), 0.0f);
  }
}

LightningIndexer::~LightningIndexer() = default;

void LightningIndexer::run(const float* queries, const float* weights, const void* keys, int32_t* selected,
                           float* scores) {
  Impl& m = *impl_;
  const int64_t B = m.s.batch, T = m.p.tokens();
  if (m.s.mode == Mode::prefill) {
    const auto* step_keys = static_cast<const float*>(keys);
    for (int64_t b = 0; b < B; ++b)
      std::copy_n(step_keys + b * T * m.dim, T * m.dim, m.padded_keys.data() + b * m.padded_tokens * m.dim);
    const int64_t blocks = (T + m.block_tokens - 1) / m.block_tokens, tasks = B * blocks;
#pragma omp parallel for schedule(dynamic, 1) num_threads(m.threads)
    for (int64_t task = 0; task < tasks; ++task) {
      // Latest query blocks first: under a causal mask they see the most keys.
      const int64_t block = blocks - 1 - task / B, b = task % B;
      const int64_t t0 = block * m.block_tokens, tokens = std::min(m.block_tokens, T - t0);
      m.prefill_task(b, t0, tokens, queries, weights, selected, scores, m.state[size_t(omp_get_thread_num())]);
    }
    return;
  }
  // Decode: every visible position's score, block by block across threads.
  const int64_t i = m.p.seq, lo = m.p.first_visible(i), slots = m.p.slots();
  std::vector<std::pair<int64_t, int64_t>> blocks;  // (first position, count)
  for (int64_t p0 = lo; p0 <= i;) {
    const int64_t n = std::min({kKeyBlock, i + 1 - p0, slots - p0 % slots});
    blocks.emplace_back(p0, n);
    p0 += n;
  }
  const int64_t tasks = B * int64_t(blocks.size());
#pragma omp parallel for schedule(dynamic, 4) num_threads(m.threads)
  for (int64_t task = 0; task < tasks; ++task) {
    const auto [p0, n] = blocks[size_t(task % int64_t(blocks.size()))];
    m.decode_block(task / int64_t(blocks.size()), p0, n, queries, weights, keys, m.state[size_t(omp_get_thread_num())]);
  }
  for (int64_t b = 0; b < B; ++b) {
    const float* visible = m.decode_scores.data() + b * m.p.context() + lo;
    m.select(visible, i - lo + 1, lo, selected + b * m.s.kept(), m.state[0]);
    if (scores) m.publish(visible, lo, i, scores + b * m.p.context());
  }
}

}  // namespace archbench::plugins::attention::cpu
