// FlashAttention-style prefill on oneDNN: for each (sequence, K/V head, block
// of query tokens) a thread walks the visible key blocks, computing
//   S = Q_blk K_blk^T          (oneDNN matmul, f32 or native bf16 inputs)
//   online softmax of S        (vectorized host code: max, rescale, exp, sum)
//   O = alpha O + P V_blk      (oneDNN matmul into a tile, merged by the host)
// so memory stays O(block) at any sequence length, and key blocks a mask
// hides are never touched: a sliding window costs O(seq * window), not O(seq^2).
//
// The query block holds every query head of one K/V head (rows ordered token,
// head), so GQA/MQA reuse each key tile across the group, and M stays ~512 rows
// whatever the grouping. Each thread runs single-threaded primitives on its own
// stream with its own scratchpad; the threads split the blocks dynamically,
// largest first (causal blocks grow with the token index).
//
// Why P V goes to a scratch tile instead of accumulating into O with a sum
// post-op: with oneDNN 2.6.3, once a matmul with a sum post-op has run, a
// plain matmul on the same thread (Q K^T here) can come out accumulated too,
// whatever the shapes (tests/test_attention.cpp catches it). The host merge
// costs one pass over O per block and applies the online-softmax rescale in
// that same pass.
#include "cpu_kernels.hpp"
#include "vector_math.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <omp.h>

namespace archbench::plugins::attention::cpu {

using dnnl::memory;
using dt = memory::data_type;

namespace {

constexpr int64_t kTargetRows = 512;  // query rows per block (tokens x group)
constexpr int64_t kKeyBlock = 256;    // keys per block: S tile of 512 x 256 floats = 512 KiB (L2)

// Windows and chunks shrink the blocks so that the masked part of the tiles
// at a window's two ends stays small next to the span itself.
int64_t block_tokens_for(const Shape& s) {
  const int64_t full = std::max<int64_t>(1, kTargetRows / s.group());
  return s.mask == Mask::causal ? full : std::clamp<int64_t>(s.span / 4, 1, full);
}
int64_t key_block_for(const Shape& s) {
  if (s.mask == Mask::causal) return kKeyBlock;
  return std::clamp<int64_t>((s.span / 2 + 63) / 64 * 64, 64, kKeyBlock);
}

struct TilePrimitives {
  dnnl::matmul scores, accumulate;
  memory::desc q, k, s, p, v, o;
};

struct ThreadState {
  dnnl::stream stream;
  std::vector<uint8_t> scratchpad;
  std::vector<float> scores, out, tile, row_max, row_sum, rescale, row;
  std::vector<uint16_t> probabilities_bf16;
};

}  // namespace

struct FlashPrefill::Impl {
  Shape shape;
  dnnl::engine engine;
  dt compute;
  int threads;
  int64_t group, block_tokens, key_block, rows_full;
  std::map<std::pair<int64_t, int64_t>, TilePrimitives> tiles;  // (rows, keys) -> primitives
  std::vector<ThreadState> state;
  size_t scratchpad_bytes = 0;

  size_t element() const { return compute == dt::f32 ? 4 : 2; }

  TilePrimitives make_tile(int64_t rows, int64_t keys) {
    const int64_t hd = shape.head_dim, vhd = shape.v_head_dim;
    TilePrimitives t;
    t.q = memory::desc({rows, hd}, compute, {hd, 1});
    t.k = memory::desc({hd, keys}, compute, {1, hd});  // K block read as K^T, no copy
    t.s = memory::desc({rows, keys}, dt::f32, {key_block, 1});
    t.p = memory::desc({rows, keys}, compute, {key_block, 1});
    t.v = memory::desc({keys, vhd}, compute, {vhd, 1});
    t.o = memory::desc({rows, vhd}, dt::f32, {vhd, 1});
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // one scratchpad per thread
    dnnl::matmul::primitive_desc qk(dnnl::matmul::desc(t.q, t.k, t.s), attr, engine);
    dnnl::matmul::primitive_desc pv(dnnl::matmul::desc(t.p, t.v, t.o), attr, engine);
    scratchpad_bytes = std::max({scratchpad_bytes, qk.scratchpad_desc().get_size(),
                                 pv.scratchpad_desc().get_size()});
    t.scores = dnnl::matmul(qk);
    t.accumulate = dnnl::matmul(pv);
    return t;
  }

  // One tile product on this thread's stream, with this thread's scratchpad.
  void execute(const dnnl::matmul& primitive, ThreadState& th, const memory::desc& src_desc,
               const void* src, const memory::desc& wei_desc, const void* wei,
               const memory::desc& dst_desc, void* dst) {
    memory src_m(src_desc, engine, const_cast<void*>(src));
    memory wei_m(wei_desc, engine, const_cast<void*>(wei));
    memory dst_m(dst_desc, engine, dst);
    memory pad(memory::desc({int64_t(th.scratchpad.size())}, dt::u8, {1}), engine,
               th.scratchpad.data());
    primitive.execute(th.stream, {{DNNL_ARG_SRC, src_m},
                                  {DNNL_ARG_WEIGHTS, wei_m},
                                  {DNNL_ARG_DST, dst_m},
                                  {DNNL_ARG_SCRATCHPAD, pad}});
  }

  // One block of query tokens [t0, t0 + tokens) of K/V head g of sequence b.
  void block(int64_t b, int64_t g, int64_t t0, int64_t tokens, const uint8_t* queries,
             const uint8_t* keys, const uint8_t* values, const ScoreRules& rules,
             const RowSink& sink, ThreadState& th) {
    const int64_t T = shape.tokens(), hd = shape.head_dim, vhd = shape.v_head_dim;
    const int64_t rows = tokens * group;
    const int64_t head_row = (b * shape.kv_heads + g) * T;  // first token row of this K/V head
    const uint8_t* q = queries + (head_row + t0) * group * hd * element();
    float* out = th.out.data();
    std::fill(out, out + rows * vhd, 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t h = g * group + r % group;
      th.row_max[r] = rules.sinks ? rules.sinks[h] : -std::numeric_limits<float>::infinity();
      th.row_sum[r] = rules.sinks ? 1.0f : 0.0f;  // the sink's own e^(sink - max)
    }
    const int64_t last = t0 + tokens - 1;  // prefill: token index == position
    const int64_t first_key = shape.first_visible(t0) / key_block * key_block;
    for (int64_t j0 = first_key; j0 <= last; j0 += key_block) {
      const int64_t keys_here = std::min(key_block, T - j0);
      const TilePrimitives& tile = tiles.at({rows, keys_here});
      float* s = th.scores.data();
      execute(tile.scores, th, tile.q, q, tile.k, keys + (head_row + j0) * hd * element(), tile.s, s);
      th.stream.wait();
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = t0 + r / group, h = g * group + r % group;
        float* srow = s + r * key_block;
        const int64_t lo = std::clamp<int64_t>(shape.first_visible(i) - j0, 0, keys_here);
        const int64_t hi = std::clamp<int64_t>(i - j0 + 1, 0, keys_here);
        th.rescale[r] = softmax_row(srow, keys_here, lo, hi, i, j0, h, rules, th.row_max[r],
                                    th.row_sum[r], th.probabilities_bf16.data() + r * key_block);
      }
      const void* p = compute == dt::f32 ? static_cast<const void*>(s)
                                         : static_cast<const void*>(th.probabilities_bf16.data());
      const uint8_t* v = values + (head_row + j0) * vhd * element();
      execute(tile.accumulate, th, tile.p, p, tile.v, v, tile.o, th.tile.data());
      th.stream.wait();
      for (int64_t r = 0; r < rows; ++r) {
        float* o = out + r * vhd;
        const float* add = th.tile.data() + r * vhd;
        const float alpha = th.rescale[r];
        for (int64_t d = 0; d < vhd; ++d) o[d] = o[d] * alpha + add[d];
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      const float inverse = 1.0f / th.row_sum[r];
      const float* o = out + r * vhd;
      for (int64_t d = 0; d < vhd; ++d) th.row[d] = o[d] * inverse;
      sink(b, t0 + r / group, g * group + r % group, th.row.data());
    }
  }

  // Online-softmax update of one row for one key block: scores outside
  // [lo, hi) are masked. Leaves the block's probabilities (zeros where masked)
  // for the P V product and returns the factor the row's output must be
  // rescaled by (its max grew).
  float softmax_row(float* s, int64_t keys, int64_t lo, int64_t hi, int64_t i, int64_t j0,
                    int64_t h, const ScoreRules& rules, float& row_max, float& row_sum,
                    uint16_t* p_bf16) const {
    const bool to_bf16 = compute == dt::bf16;
    if (lo >= hi) {  // nothing visible for this row in this block
      if (to_bf16) std::fill(p_bf16, p_bf16 + keys, uint16_t(0));
      else std::fill(s, s + keys, 0.0f);
      return 1.0f;
    }
    rules.transform(s + lo, hi - lo, i, j0 + lo, h);
    if (to_bf16) {  // probabilities go straight to the bf16 operand of P V
      const float alpha = vmath::online_softmax_step(s + lo, hi - lo, row_max, row_sum, p_bf16 + lo);
      std::fill(p_bf16, p_bf16 + lo, uint16_t(0));
      std::fill(p_bf16 + hi, p_bf16 + keys, uint16_t(0));
      return alpha;
    }
    const float alpha = vmath::online_softmax_step(s + lo, hi - lo, row_max, row_sum, s + lo);
    std::fill(s, s + lo, 0.0f);
    std::fill(s + hi, s + keys, 0.0f);
    return alpha;
  }
};

FlashPrefill::FlashPrefill(const Shape& shape, const dnnl::engine& engine, dt compute, int threads)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.shape = shape;
  m.engine = engine;
  m.compute = compute;
  m.threads = std::max(1, threads);
  m.group = shape.group();
  m.block_tokens = block_tokens_for(shape);
  m.key_block = key_block_for(shape);
  m.rows_full = m.block_tokens * m.group;
  const int64_t T = shape.tokens();
  // Tile shapes: full blocks, plus the tails where T is not a multiple.
  std::vector<int64_t> row_counts{std::min(m.block_tokens, T) * m.group};
  if (T > m.block_tokens && T % m.block_tokens) row_counts.push_back((T % m.block_tokens) * m.group);
  std::vector<int64_t> key_counts{std::min(m.key_block, T)};
  if (T > m.key_block && T % m.key_block) key_counts.push_back(T % m.key_block);
  for (int64_t rows : row_counts)
    for (int64_t keys : key_counts) m.tiles.emplace(std::make_pair(rows, keys), m.make_tile(rows, keys));
  m.state.resize(size_t(m.threads));
  for (ThreadState& th : m.state) {
    th.stream = dnnl::stream(engine);
    th.scratchpad.assign(std::max<size_t>(m.scratchpad_bytes, 1), 0);
    th.scores.assign(size_t(m.rows_full * m.key_block), 0.0f);
    th.out.assign(size_t(m.rows_full * shape.v_head_dim), 0.0f);
    th.tile.assign(th.out.size(), 0.0f);
    th.rescale.assign(size_t(m.rows_full), 1.0f);
    th.row_max.assign(size_t(m.rows_full), 0.0f);
    th.row_sum.assign(size_t(m.rows_full), 0.0f);
    th.row.assign(size_t(shape.v_head_dim), 0.0f);
    if (compute == dt::bf16) th.probabilities_bf16.assign(size_t(m.rows_full * m.key_block), 0);
  }
}

FlashPrefill::~FlashPrefill() = default;

void FlashPrefill::run(const void* queries, const void* keys, const void* values,
                       const ScoreRules& rules, const RowSink& sink) {
  Impl& m = *impl_;
  const int64_t T = m.shape.tokens(), blocks = (T + m.block_tokens - 1) / m.block_tokens;
  const int64_t heads = m.shape.batch * m.shape.kv_heads, tasks = heads * blocks;
  const auto* q = static_cast<const uint8_t*>(queries);
  const auto* k = static_cast<const uint8_t*>(keys);
  const auto* v = static_cast<const uint8_t*>(values);
#pragma omp parallel for schedule(dynamic, 1) num_threads(m.threads)
  for (int64_t task = 0; task < tasks; ++task) {
    // Latest query blocks first: under a causal mask they see the most keys.
    const int64_t block = blocks - 1 - task / heads, head = task % heads;
    const int64_t t0 = block * m.block_tokens, tokens = std::min(m.block_tokens, T - t0);
    m.block(head / m.shape.kv_heads, head % m.shape.kv_heads, t0, tokens, q, k, v, rules, sink,
            m.state[size_t(omp_get_thread_num())]);
  }
}

}  // namespace archbench::plugins::attention::cpu
