// Absorbed MLA decode on oneDNN ("flash-decoding" over the latent cache): the
// visible positions of each sequence are cut into a few ranges, one task
// each; a task walks its range in blocks of positions that do not cross the
// ring's wrap, computing
//   S = Q C_blk^T        (oneDNN matmul: all heads against the block's rows)
//   online softmax of S  (vectorized host code)
//   O = alpha O + P V    (oneDNN matmul into a tile, V = the rows' latents)
// and the ranges' partial softmaxes are merged with their max/sum statistics.
// Keys are read in place through strided descriptors (f32 caches); a bf16
// cache is widened block by block into the thread's own buffer.
#include "mla_kernels.hpp"
#include "vector_math.hpp"

#include <archbench/sdk_cpu.hpp>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <omp.h>

namespace archbench::plugins::attention::cpu {

using dnnl::memory;
using dt = memory::data_type;

namespace {

constexpr int64_t kBlock = 512;     // positions per block: S is heads x 512 floats
constexpr int64_t kMinRange = 1024;  // shortest range worth a task of its own

struct BlockPrimitives {
  dnnl::matmul scores, values;
  memory::desc q, k, s, p, v, o;
};

struct ThreadState {
  dnnl::stream stream;
  std::vector<uint8_t> scratchpad;
  std::vector<float> scores, tile, widened;
};

struct Partial {
  std::vector<float> max, sum, out;  // per head; out: heads x kv_lora_rank
};

}  // namespace

struct LatentDecode::Impl {
  Shape shape;
  dnnl::engine engine;
  int threads;
  int64_t heads, width, latent, begin, count, splits, range;
  std::map<int64_t, BlockPrimitives> blocks;  // by block length
  std::vector<ThreadState> state;
  std::vector<Partial> parts;
  size_t scratchpad_bytes = 0;

  // Blocks of positions [lo, hi): at most kBlock long, never across the wrap
  // of the ring (slot = position % slots), so each block's rows are contiguous.
  void for_each_block(int64_t lo, int64_t hi, const std::function<void(int64_t, int64_t)>& visit) const {
    const int64_t slots = shape.slots();
    for (int64_t p = lo; p < hi;) {
      const int64_t n = std::min({kBlock, hi - p, slots - p % slots});
      visit(p, n);
      p += n;
    }
  }

  void make_block(int64_t n) {
    if (blocks.count(n)) return;
    BlockPrimitives b;
    b.q = memory::desc({heads, width}, dt::f32, {width, 1});
    b.k = memory::desc({width, n}, dt::f32, {1, width});  // rows read as C^T, no copy
    b.s = memory::desc({heads, n}, dt::f32, {kBlock, 1});
    b.p = b.s;
    b.v = memory::desc({n, latent}, dt::f32, {width, 1});  // the rows' first kv_lora_rank values
    b.o = memory::desc({heads, latent}, dt::f32, {latent, 1});
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // one scratchpad per thread
    dnnl::matmul::primitive_desc qk(dnnl::matmul::desc(b.q, b.k, b.s), attr, engine);
    dnnl::matmul::primitive_desc pv(dnnl::matmul::desc(b.p, b.v, b.o), attr, engine);
    scratchpad_bytes = std::max({scratchpad_bytes, qk.scratchpad_desc().get_size(), pv.scratchpad_desc().get_size()});
    b.scores = dnnl::matmul(qk);
    b.values = dnnl::matmul(pv);
    blocks.emplace(n, std::move(b));
  }

  void execute(const dnnl::matmul& primitive, ThreadState& th, const memory::desc& src_desc, const void* src,
               const memory::desc& wei_desc, const void* wei, const memory::desc& dst_desc, void* dst) {
    memory src_m(src_desc, engine, const_cast<void*>(src));
    memory wei_m(wei_desc, engine, const_cast<void*>(wei));
    memory dst_m(dst_desc, engine, dst);
    memory pad(memory::desc({int64_t(th.scratchpad.size())}, dt::u8, {1}), engine, th.scratchpad.data());
    primitive.execute(th.stream, {{DNNL_ARG_SRC, src_m}, {DNNL_ARG_WEIGHTS, wei_m}, {DNNL_ARG_DST, dst_m},
                                  {DNNL_ARG_SCRATCHPAD, pad}});
    th.stream.wait();
  }

  // One task: positions [lo, hi) of sequence b into `part`.
  void attend_range(int64_t b, int64_t lo, int64_t hi, const float* queries, const void* cache, Partial& part,
                    ThreadState& th) {
    const int64_t slots = shape.slots();
    const float* q = queries + b * heads * width;
    part.max.assign(size_t(heads), -std::numeric_limits<float>::infinity());
    part.sum.assign(size_t(heads), 0.0f);
    part.out.assign(size_t(heads * latent), 0.0f);
    for_each_block(lo, hi, [&](int64_t p0, int64_t n) {
      const int64_t row0 = b * slots + p0 % slots;
      const float* rows;
      if (shape.dtype == AB_DTYPE_F32) {
        rows = static_cast<const float*>(cache) + row0 * width;
      } else {
        sdk::cpu::convert_elements(static_cast<const uint16_t*>(cache) + row0 * width, th.widened.data(),
                                   n * width);
        rows = th.widened.data();
      }
      const BlockPrimitives& prim = blocks.at(n);
      execute(prim.scores, th, prim.q, q, prim.k, rows, prim.s, th.scores.data());
      for (int64_t h = 0; h < heads; ++h) {
        float* s = th.scores.data() + h * kBlock;
        const float alpha = vmath::online_softmax_step(s, n, part.max[size_t(h)], part.sum[size_t(h)], s);
        if (alpha != 1.0f) {
          float* o = part.out.data() + h * latent;
          for (int64_t d = 0; d < latent; ++d) o[d] *= alpha;
        }
      }
      execute(prim.values, th, prim.p, th.scores.data(), prim.v, rows, prim.o, th.tile.data());
      for (int64_t i = 0; i < heads * latent; ++i) part.out[size_t(i)] += th.tile[size_t(i)];
    });
  }
};

LatentDecode::LatentDecode(const Shape& absorbed, const dnnl::engine& engine, int threads)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.shape = absorbed;
  m.engine = engine;
  m.threads = std::max(1, threads);
  m.heads = absorbed.heads;
  m.width = absorbed.head_dim;
  m.latent = absorbed.v_head_dim;
  m.begin = absorbed.first_visible(absorbed.seq);
  m.count = absorbed.seq - m.begin + 1;
  // Enough ranges to keep every thread busy, none shorter than kMinRange.
  const int64_t wanted = (4 * m.threads + absorbed.batch - 1) / absorbed.batch;
  m.splits = std::max<int64_t>(1, std::min(wanted, m.count / kMinRange));
  m.range = (m.count + m.splits - 1) / m.splits;
  for (int64_t split = 0; split < m.splits; ++split) {
    const int64_t lo = m.begin + split * m.range, hi = std::min(m.begin + m.count, lo + m.range);
    m.for_each_block(lo, hi, [&](int64_t, int64_t n) { m.make_block(n); });
  }
  m.state.resize(size_t(m.threads));
  for (ThreadState& th : m.state) {
    th.stream = dnnl::stream(engine);
    th.scratchpad.assign(std::max<size_t>(m.scratchpad_bytes, 1), 0);
    th.scores.assign(size_t(m.heads * kBlock), 0.0f);
    th.tile.assign(size_t(m.heads * m.latent), 0.0f);
    if (absorbed.dtype != AB_DTYPE_F32) th.widened.assign(size_t(kBlock * m.width), 0.0f);
  }
  m.parts.resize(size_t(absorbed.batch * m.splits));
}

LatentDecode::~LatentDecode() = default;

void LatentDecode::run(const float* queries, const void* cache, float* out) {
  Impl& m = *impl_;
  const int64_t tasks = m.shape.batch * m.splits;
#pragma omp parallel for schedule(dynamic, 1) num_threads(m.threads)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t b = task / m.splits, split = task % m.splits;
    const int64_t lo = m.begin + split * m.range, hi = std::min(m.begin + m.count, lo + m.range);
    Partial& part = m.parts[size_t(task)];
    if (lo >= hi) {
      part.sum.assign(size_t(m.heads), 0.0f);
      continue;
    }
    m.attend_range(b, lo, hi, queries, cache, part, m.state[size_t(omp_get_thread_num())]);
  }
  // Merge each head's partials: rescale to the common max, sum, normalize.
#pragma omp parallel for schedule(static) num_threads(m.threads)
  for (int64_t row = 0; row < m.shape.batch * m.heads; ++row) {
    const int64_t b = row / m.heads, h = row % m.heads;
    float top = -std::numeric_limits<float>::infinity();
    for (int64_t sp = 0; sp < m.splits; ++sp) {
      const Partial& part = m.parts[size_t(b * m.splits + sp)];
      if (part.sum[size_t(h)] > 0) top = std::max(top, part.max[size_t(h)]);
    }
    float* o = out + row * m.latent;
    std::fill(o, o + m.latent, 0.0f);
    float total = 0;
    for (int64_t sp = 0; sp < m.splits; ++sp) {
      const Partial& part = m.parts[size_t(b * m.splits + sp)];
      if (part.sum[size_t(h)] == 0) continue;
      const float weight = vmath::exp_nonpositive(part.max[size_t(h)] - top);
      total += weight * part.sum[size_t(h)];
      const float* partial = part.out.data() + h * m.latent;
      for (int64_t d = 0; d < m.latent; ++d) o[d] += weight * partial[d];
    }
    const float inverse = 1.0f / total;
    for (int64_t d = 0; d < m.latent; ++d) o[d] *= inverse;
  }
}

}  // namespace archbench::plugins::attention::cpu
