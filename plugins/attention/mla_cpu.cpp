// oneDNN CPU implementation of attention/mla, as the stages of one execute():
//   1. layer-level only: the query path (x W_dq, RMSNorm, W_uq; or x W_q) and
//      the latent path (x W_dkv) as oneDNN matmuls on weights packed at create;
//   2. prepare: the latent RMSNorm, RoPE on the shared key and the queries'
//      rope part, the score scale, this step's rows [c | k_r] into the cache;
//   3. absorb 0: decompress every needed position's keys and values (one
//      batched matmul each, heads as the batch) and run the attention plugin's
//      FlashAttention prefill or split-KV decode over them;
//      absorb 1: fold W_uk into the queries (batched matmul), attend over the
//      cache rows directly (FlashAttention prefill as a multi-query attention,
//      or LatentDecode), then apply W_uv per head (batched matmul);
//   4. layer-level only: the output projection.
// attention/dsa (sparse) adds the indexer's projections to stage 1, its
// LayerNorm/RoPE and cache write to stage 2, and in stage 3 attends absorbed
// over the kept rows only (LightningIndexer, SparseLatentAttention).
//
// Everything is computed in f32; bf16 problems store bf16 and are widened
// (oneDNN 2.6 has no bf16 matmul on CPUs without AVX512-BF16).
#include <archbench/sdk_cpu.hpp>

#include "cpu_kernels.hpp"
#include "dsa_kernels.hpp"
#include "mla.hpp"
#include "mla_kernels.hpp"
#include "positions.hpp"
#include "rows.hpp"
#include "vector_math.hpp"

#include <cmath>
#include <omp.h>

namespace archbench::plugins::attention {
namespace {

using dnnl::memory;
using dt = memory::data_type;
namespace sc = sdk::cpu;

using rows::load_any;
using rows::rms_normalize;
using rows::store_any;

// Columns [h*part, (h+1)*part) of a [rows, heads*part] weight as heads
// matrices, f32: [heads, rows, part], or transposed [heads, part, rows].
std::vector<float> per_head(const ab_tensor& weight, int64_t heads, int64_t part, bool transpose) {
  const int64_t rows = weight.desc->dims[0];
  std::vector<float> out(size_t(heads * rows * part));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t c = 0; c < part; ++c) {
        const float value = float(sdk::element_as_double(weight.data, weight.desc->dtype, r * heads * part + h * part + c));
        out[size_t(transpose ? (h * part + c) * rows + r : (h * rows + r) * part + c)] = value;
      }
  return out;
}

// For a few rows (decode), out_h = in_h W_h per head as a stream over each
// head's weights [k x n] (read once for all rows): a batched oneDNN matmul
// with M = 1 spends several times the time the weights take to read.
// in/out rows are [rows, heads, width] with the given widths.
void per_head_rows(int64_t rows, int64_t heads, const float* in, int64_t in_width, const float* weights, int64_t k,
                   int64_t n, float* out, int64_t out_width) {
#pragma omp parallel
  {
    std::vector<float> acc(size_t(rows * n));
#pragma omp for schedule(static)
    for (int64_t h = 0; h < heads; ++h) {
      std::fill(acc.begin(), acc.end(), 0.0f);
      const float* w = weights + h * k * n;
      for (int64_t c = 0; c < k; ++c) {
        const float* row = w + c * n;
        for (int64_t r = 0; r < rows; ++r) {
          const float a = in[(r * heads + h) * in_width + c];
          float* dst = acc.data() + r * n;
#pragma omp simd
          for (int64_t j = 0; j < n; ++j) dst[j] += a * row[j];
        }
      }
      for (int64_t r = 0; r < rows; ++r) std::copy_n(acc.data() + r * n, n, out + (r * heads + h) * out_width);
    }
  }
}

// Up to this many rows the per-head stream beats the batched matmul.
constexpr int64_t kStreamRows = 8;

// A matmul on f32 buffers with explicit strides (heads as the batch where
// the descriptors are 3-D), run on the host's stream.
struct StridedMatmul {
  dnnl::matmul primitive;
  memory::desc src, weights, dst;
  StridedMatmul() = default;
  StridedMatmul(const dnnl::engine& engine, memory::desc a, memory::desc b, memory::desc c)
      : src(a), weights(b), dst(c) {
    primitive = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, dst), engine));
  }
  void run(const sc::Context& ctx, const float* a, const float* b, float* c) const {
    const dnnl::engine& e = ctx.engine;
    dnnl::stream stream = ctx.stream;
    primitive.execute(stream, {{DNNL_ARG_SRC, memory(src, e, const_cast<float*>(a))},
                               {DNNL_ARG_WEIGHTS, memory(weights, e, const_cast<float*>(b))},
                               {DNNL_ARG_DST, memory(dst, e, c)}});
    stream.wait();
  }
};

class MlaCpu : public sdk::Instance {
 public:
  MlaCpu(const MlaShape& shape, const ab_host& host, const sdk::Tensors& tensors)
      : s_(shape), p_(shape.positions()), ctx_(sc::Context::from(host)), rules_(p_, nullptr) {
    if (s_.dtype == AB_DTYPE_F16) throw sdk::Unimplemented("attention/mla has no f16 path on the CPU");
    io_bf16_ = s_.dtype == AB_DTYPE_BF16;
    const int64_t rows = s_.batch * p_.tokens(), h = s_.heads, width = s_.cache_width();
    cache_ = tensors["kv_cache"].data;
    rope_ = RopeTable<float>(p_.first_position(), p_.tokens(), s_.rope, s_.rope_theta);
    q_rows_.assign(size_t(rows * h * s_.qk_dim()), 0.0f);
    latent_rows_.assign(size_t(rows * width), 0.0f);
    attended_.assign(size_t(rows * h * s_.v_head_dim), 0.0f);
    if (s_.sparse()) {
      const int64_t ih = s_.index_heads, id = s_.index_dim;
      index_q_rows_.assign(size_t(rows * ih * id), 0.0f);
      index_w_rows_.assign(size_t(rows * ih), 0.0f);
      index_k_rows_.assign(size_t(rows * id), 0.0f);
      index_cache_ = tensors["index_cache"].data;
      selected_ = static_cast<int32_t*>(tensors["selected"].data);
      if (s_.has_index_scores()) index_scores_ = static_cast<float*>(tensors["index_scores"].data);
      if (s_.layer()) {
        ik_gamma_ = static_cast<const float*>(tensors["ik_gamma"].data);
        ik_beta_ = static_cast<const float*>(tensors["ik_beta"].data);
      } else {
        index_q_in_ = tensors["index_q"].data;
        index_w_in_ = tensors["index_w"].data;
        index_k_in_ = tensors["index_k"].data;
      }
      index_rope_ = RopeTable<float>(p_.first_position(), p_.tokens(), s_.index_rope, s_.rope_theta);
      indexer_ = std::make_unique<cpu::LightningIndexer>(s_, ctx_.engine, ctx_.threads);
      sparse_ = std::make_unique<cpu::SparseLatentAttention>(s_, ctx_.engine, ctx_.threads);
    }
    if (s_.layer()) build_projections(tensors);
    else {
      q_in_ = tensors["q"].data;
      latent_in_ = tensors["latent"].data;
      if (s_.rope > 0) k_rope_in_ = tensors["k_rope"].data;
      out_ = tensors["out"].data;
    }
    if (s_.layer() && s_.latent_norm) kv_norm_ = static_cast<const float*>(tensors["kv_norm"].data);
    w_uv_ = per_head(tensors["w_uv"], h, s_.v_head_dim, false);  // [h, kvr, vhd]
    if (s_.absorb) build_absorbed(tensors);
    else build_decompressed(tensors);
  }

  void execute() override {
    if (!before_.empty()) before_.run(ctx_.stream);
    prepare();
    if (s_.absorb) attend_absorbed();
    else attend_decompressed();
    if (!after_.empty()) after_.run(ctx_.stream);
    else if (out_ && attended_.data() != out_)
      store_any(io_bf16_, out_, 0, int64_t(attended_.size()), attended_.data());
  }

 private:
  // Stage 2: one token of one sequence per iteration.
  void prepare() {
    const int64_t rows = s_.batch * p_.tokens(), t = p_.tokens(), h = s_.heads, qk = s_.qk_dim(),
                  kvr = s_.kv_lora_rank, width = s_.cache_width(), slots = p_.slots();
    const float scale = float(s_.score_scale());
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t b = r / t, token = r % t, position = p_.first_position() + token;
      float* latent = latent_rows_.data() + r * width;
      float* q = q_rows_.data() + r * h * qk;
      if (!s_.layer()) {
        load_any(io_bf16_, latent_in_, r * kvr, kvr, latent);
        load_any(io_bf16_, k_rope_in_, r * s_.rope, s_.rope, latent + kvr);
        load_any(io_bf16_, q_in_, r * h * qk, h * qk, q);
      } else if (kv_norm_) {
        rms_normalize(latent, kvr, kv_norm_);
      }
      rope_.apply(latent + kvr, position);
      if (position >= p_.context() - slots)  // the ring keeps the last `slots` positions
        store_any(io_bf16_, cache_, (b * slots + position % slots) * width, width, latent);
      for (int64_t head = 0; head < h; ++head) {
        float* x = q + head * qk;
        rope_.apply(x + s_.nope, position);
        for (int64_t d = 0; d < qk; ++d) x[d] *= scale;
        if (!s_.absorb)  // prepared layout [batch, heads, tokens, qk] (one query per K/V head)
          std::copy_n(x, qk, prepared_q_.data() + ((b * h + head) * t + token) * qk);
      }
      if (s_.sparse()) prepare_index(r, b, position);
    }
  }

  // DSA: row r's index queries (RoPE), weights and index key (LayerNorm at
  // layer level, RoPE), the key into the index cache ring.
  void prepare_index(int64_t r, int64_t b, int64_t position) {
    const int64_t ih = s_.index_heads, id = s_.index_dim, slots = p_.slots();
    float* q = index_q_rows_.data() + r * ih * id;
    float* w = index_w_rows_.data() + r * ih;
    float* k = index_k_rows_.data() + r * id;
    if (!s_.layer()) {
      load_any(io_bf16_, index_q_in_, r * ih * id, ih * id, q);
      load_any(io_bf16_, index_w_in_, r * ih, ih, w);
      load_any(io_bf16_, index_k_in_, r * id, id, k);
    } else {
      const float scale = float(1.0 / std::sqrt(double(ih * id)));
      for (int64_t j = 0; j < ih; ++j) w[j] *= scale;
      double mean = 0, var = 0;
      for (int64_t d = 0; d < id; ++d) mean += k[d];
      mean /= double(id);
      for (int64_t d = 0; d < id; ++d) var += (k[d] - mean) * (k[d] - mean);
      const float inverse = float(1.0 / std::sqrt(var / double(id) + 1e-6));
      for (int64_t d = 0; d < id; ++d) k[d] = (k[d] - float(mean)) * inverse * ik_gamma_[d] + ik_beta_[d];
    }
    for (int64_t j = 0; j < ih; ++j) index_rope_.apply(q + j * id, position);
    index_rope_.apply(k, position);
    if (position >= p_.context() - slots) store_any(io_bf16_, index_cache_, (b * slots + position % slots) * id, id, k);
  }

  // ---- absorb 0 -------------------------------------------------------------

  void build_decompressed(const sdk::Tensors& tensors) {
    const int64_t b = s_.batch, h = s_.heads, kvr = s_.kv_lora_rank, width = s_.cache_width(), qk = s_.qk_dim(),
                  vhd = s_.v_head_dim, nope = s_.nope;
    w_uk_ = per_head(tensors["w_uk"], h, nope, false);  // [h, kvr, nope]
    // Positions decompressed per sequence: the step's own (prefill) or every
    // slot of the ring, all of which a decode sees once the new row is in.
    const int64_t n = s_.mode == Mode::prefill ? p_.tokens() : p_.slots();
    prepared_q_.assign(size_t(b * h * p_.tokens() * qk), 0.0f);
    keys_.assign(size_t(b * h * n * qk), 0.0f);
    values_.assign(size_t(b * h * n * vhd), 0.0f);
    if (s_.mode == Mode::decode && io_bf16_) widened_cache_.assign(size_t(b * n * width), 0.0f);
    const memory::desc rows({1, n, kvr}, dt::f32, {n * width, width, 1});
    decompress_k_ = StridedMatmul(ctx_.engine, rows, sc::row_major({h, kvr, nope}, dt::f32),
                                  memory::desc({h, n, nope}, dt::f32, {n * qk, qk, 1}));
    decompress_v_ = StridedMatmul(ctx_.engine, rows, sc::row_major({h, kvr, vhd}, dt::f32),
                                  sc::row_major({h, n, vhd}, dt::f32));
    Shape mha = s_.decompressed();
    mha.dtype = AB_DTYPE_F32;  // the decompressed keys and values are f32 whatever the cache holds
    mha_ = mha;
    if (s_.mode == Mode::prefill) flash_ = std::make_unique<cpu::FlashPrefill>(mha, ctx_.engine, dt::f32, ctx_.threads);
  }

  void attend_decompressed() {
    const int64_t h = s_.heads, width = s_.cache_width(), qk = s_.qk_dim(), kvr = s_.kv_lora_rank,
                  vhd = s_.v_head_dim, nope = s_.nope;
    const bool prefill = s_.mode == Mode::prefill;
    const int64_t n = prefill ? p_.tokens() : p_.slots();
    const float* source = latent_rows_.data();
    if (!prefill) {
      source = static_cast<const float*>(cache_);
      if (io_bf16_) {
        sc::convert_elements(static_cast<const uint16_t*>(cache_), widened_cache_.data(),
                             int64_t(widened_cache_.size()));
        source = widened_cache_.data();
      }
    }
    for (int64_t b = 0; b < s_.batch; ++b) {
      const float* rows = source + b * n * width;
      float* keys = keys_.data() + b * h * n * qk;
      decompress_k_.run(ctx_, rows, w_uk_.data(), keys);
      decompress_v_.run(ctx_, rows, w_uv_.data(), values_.data() + b * h * n * vhd);
      // Every head's key ends with the position's one shared RoPE key.
#pragma omp parallel for schedule(static)
      for (int64_t head = 0; head < h; ++head)
        for (int64_t j = 0; j < n; ++j) std::copy_n(rows + j * width + kvr, s_.rope, keys + (head * n + j) * qk + nope);
    }
    const cpu::RowSink sink = [&](int64_t b, int64_t token, int64_t head, const float* row) {
      std::copy_n(row, vhd, attended_.data() + ((b * p_.tokens() + token) * h + head) * vhd);
    };
    if (prefill) flash_->run(prepared_q_.data(), keys_.data(), values_.data(), rules_, sink);
    else cpu::decode_attention(mha_, prepared_q_.data(), keys_.data(), values_.data(), rules_, sink);
  }

  // ---- absorb 1 -------------------------------------------------------------

  void build_absorbed(const sdk::Tensors& tensors) {
    const int64_t b = s_.batch, t = p_.tokens(), rows = b * t, h = s_.heads, kvr = s_.kv_lora_rank,
                  width = s_.cache_width(), qk = s_.qk_dim(), vhd = s_.v_head_dim, nope = s_.nope;
    w_uk_ = per_head(tensors["w_uk"], h, nope, true);  // [h, nope, kvr]: q_lat,h = q_nope,h W_uk,h^T
    prepared_q_.assign(size_t(rows * h * width), 0.0f);
    latent_out_.assign(size_t(rows * h * kvr), 0.0f);
    absorb_q_ = StridedMatmul(ctx_.engine, memory::desc({h, rows, nope}, dt::f32, {qk, h * qk, 1}),
                              sc::row_major({h, nope, kvr}, dt::f32),
                              memory::desc({h, rows, kvr}, dt::f32, {width, h * width, 1}));
    absorb_v_ = StridedMatmul(ctx_.engine, memory::desc({h, rows, kvr}, dt::f32, {kvr, h * kvr, 1}),
                              sc::row_major({h, kvr, vhd}, dt::f32),
                              memory::desc({h, rows, vhd}, dt::f32, {vhd, h * vhd, 1}));
    const Shape mqa = s_.absorbed();
    if (s_.sparse()) return;  // DSA attends through SparseLatentAttention
    if (s_.mode == Mode::prefill) {
      Shape working = mqa;
      working.dtype = AB_DTYPE_F32;
      values_.assign(size_t(rows * kvr), 0.0f);
      flash_ = std::make_unique<cpu::FlashPrefill>(working, ctx_.engine, dt::f32, ctx_.threads);
    } else {
      latent_decode_ = std::make_unique<cpu::LatentDecode>(mqa, ctx_.engine, ctx_.threads);
    }
  }

  void attend_absorbed() {
    const int64_t t = p_.tokens(), rows = s_.batch * t, h = s_.heads, kvr = s_.kv_lora_rank,
                  width = s_.cache_width(), qk = s_.qk_dim(), nope = s_.nope;
    if (rows <= kStreamRows) per_head_rows(rows, h, q_rows_.data(), qk, w_uk_.data(), nope, kvr, prepared_q_.data(), width);
    else absorb_q_.run(ctx_, q_rows_.data(), w_uk_.data(), prepared_q_.data());
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t head = 0; head < h; ++head)
        std::copy_n(q_rows_.data() + (r * h + head) * qk + nope, s_.rope,
                    prepared_q_.data() + (r * h + head) * width + kvr);
    if (s_.sparse()) {
      const bool prefill = s_.mode == Mode::prefill;
      indexer_->run(index_q_rows_.data(), index_w_rows_.data(),
                    prefill ? static_cast<const void*>(index_k_rows_.data()) : index_cache_, selected_, index_scores_);
      sparse_->run(prepared_q_.data(), prefill ? static_cast<const void*>(latent_rows_.data()) : cache_, selected_,
                   latent_out_.data());
    } else if (s_.mode == Mode::prefill) {
      // Keys: this step's rows [c | k_r] as one K/V head; values: their latents.
#pragma omp parallel for schedule(static)
      for (int64_t r = 0; r < rows; ++r)
        std::copy_n(latent_rows_.data() + r * width, kvr, values_.data() + r * kvr);
      const cpu::RowSink sink = [&](int64_t b, int64_t token, int64_t head, const float* row) {
        std::copy_n(row, kvr, latent_out_.data() + ((b * t + token) * h + head) * kvr);
      };
      flash_->run(prepared_q_.data(), latent_rows_.data(), values_.data(), rules_, sink);
    } else {
      latent_decode_->run(prepared_q_.data(), cache_, latent_out_.data());
    }
    if (rows <= kStreamRows)
      per_head_rows(rows, h, latent_out_.data(), kvr, w_uv_.data(), kvr, s_.v_head_dim, attended_.data(), s_.v_head_dim);
    else absorb_v_.run(ctx_, latent_out_.data(), w_uv_.data(), attended_.data());
  }

  // ---- layer level ------------------------------------------------------------

  void build_projections(const sdk::Tensors& tensors) {
    const int64_t rows = s_.batch * p_.tokens(), q_width = s_.heads * s_.qk_dim();
    const memory x = sc::input_as(before_, sc::wrap(tensors["x"], ctx_, true), dt::f32, ctx_.engine);
    const memory q_rows(sc::row_major({rows, q_width}, dt::f32), ctx_.engine, q_rows_.data());
    if (s_.q_lora_rank > 0) {
      q_latent_ = memory(sc::row_major({rows, s_.q_lora_rank}, dt::f32), ctx_.engine);
      add_matmul(before_, x, sc::wrap(tensors["w_dq"], ctx_), q_latent_);
      if (s_.latent_norm) {
        const auto* gamma = static_cast<const float*>(tensors["q_norm"].data);
        const int64_t width = s_.q_lora_rank;
        float* latent = static_cast<float*>(q_latent_.get_data_handle());
        before_.add_host([=] {
#pragma omp parallel for schedule(static)
          for (int64_t r = 0; r < rows; ++r) rms_normalize(latent + r * width, width, gamma);
        });
      }
      add_matmul(before_, q_latent_, sc::wrap(tensors["w_uq"], ctx_), q_rows);
    } else {
      add_matmul(before_, x, sc::wrap(tensors["w_q"], ctx_), q_rows);
    }
    if (s_.sparse()) {  // the indexer reads the normalized query latent (or x) and x
      const int64_t ih = s_.index_heads, id = s_.index_dim;
      const memory iq(sc::row_major({rows, ih * id}, dt::f32), ctx_.engine, index_q_rows_.data());
      const memory iw(sc::row_major({rows, ih}, dt::f32), ctx_.engine, index_w_rows_.data());
      const memory ik(sc::row_major({rows, id}, dt::f32), ctx_.engine, index_k_rows_.data());
      add_matmul(before_, s_.q_lora_rank > 0 ? q_latent_ : x, sc::wrap(tensors["w_iq"], ctx_), iq);
      add_matmul(before_, x, sc::wrap(tensors["w_iw"], ctx_), iw);
      add_matmul(before_, x, sc::wrap(tensors["w_ik"], ctx_), ik);
    }
    const memory latent_rows(sc::row_major({rows, s_.cache_width()}, dt::f32), ctx_.engine, latent_rows_.data());
    add_matmul(before_, x, sc::wrap(tensors["w_dkv"], ctx_), latent_rows);
    const memory attended(sc::row_major({rows, s_.heads * s_.v_head_dim}, dt::f32), ctx_.engine, attended_.data());
    const memory y_host = sc::wrap(tensors["y"], ctx_, true);
    const memory y = sc::output_as(y_host, dt::f32, ctx_.engine);
    add_matmul(after_, attended, sc::wrap(tensors["w_o"], ctx_), y);
    sc::output_from(after_, y, y_host);
  }

  void add_matmul(sc::Sequence& steps, const memory& src, const memory& weights, const memory& dst) {
    const memory::desc weights_any(weights.get_desc().dims(), dt::f32, memory::format_tag::any);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src.get_desc(), weights_any, dst.get_desc()), ctx_.engine);
    // Weights are constant: packed (and widened) once here, outside the timed execute().
    steps.add(dnnl::matmul(pd), {{DNNL_ARG_SRC, src},
                                 {DNNL_ARG_WEIGHTS, sc::reordered(weights, pd.weights_desc(), ctx_)},
                                 {DNNL_ARG_DST, dst}});
  }

  MlaShape s_;
  Shape p_, mha_;
  sc::Context ctx_;
  cpu::ScoreRules rules_;
  bool io_bf16_ = false;
  RopeTable<float> rope_;
  void* cache_ = nullptr;
  const void *q_in_ = nullptr, *latent_in_ = nullptr, *k_rope_in_ = nullptr;
  void* out_ = nullptr;
  const float* kv_norm_ = nullptr;
  // f32 working rows: queries [rows, heads, qk], latents [rows, cache_width],
  // the attention's output [rows, heads, v_head_dim].
  std::vector<float> q_rows_, latent_rows_, attended_, prepared_q_;
  std::vector<float> w_uk_, w_uv_, keys_, values_, widened_cache_, latent_out_;
  StridedMatmul decompress_k_, decompress_v_, absorb_q_, absorb_v_;
  std::unique_ptr<cpu::FlashPrefill> flash_;
  std::unique_ptr<cpu::LatentDecode> latent_decode_;
  // DSA's indexer: f32 rows of index queries, weights and keys; the cache and selection.
  std::vector<float> index_q_rows_, index_w_rows_, index_k_rows_;
  const void *index_q_in_ = nullptr, *index_w_in_ = nullptr, *index_k_in_ = nullptr;
  const float *ik_gamma_ = nullptr, *ik_beta_ = nullptr;
  void* index_cache_ = nullptr;
  int32_t* selected_ = nullptr;
  float* index_scores_ = nullptr;
  RopeTable<float> index_rope_;
  std::unique_ptr<cpu::LightningIndexer> indexer_;
  std::unique_ptr<cpu::SparseLatentAttention> sparse_;
  sc::Sequence before_, after_;
  memory q_latent_;
};

}  // namespace

std::unique_ptr<sdk::Instance> make_mla_cpu_instance(const MlaShape& shape, const ab_host& host,
                                                     const sdk::Tensors& tensors) {
  return std::make_unique<MlaCpu>(shape, host, tensors);
}

}  // namespace archbench::plugins::attention
