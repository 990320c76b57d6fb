// oneDNN CPU implementation of the attention family, as the stages of one
// execute():
//   1. layer-level only: the fused Q|K|V projection (one oneDNN matmul, bias
//      fused, weights packed at create time);
//   2. prepare: QK-norm, RoPE and the 1/sqrt(head_dim) scale, queries laid out
//      per K/V head for the tile products, new K/V written to the cache ring;
//   3. the attention core: FlashPrefill (cpu_prefill.cpp) or split-KV decode
//      (cpu_decode.cpp);
//   4. layer-level only: the output projection (oneDNN matmul).
// Gated attention multiplies each finished row by sigmoid of its gate logits
// as the core hands it over (stage 3's row sink), so the gate costs no extra
// pass over the output; at layer level W_g joins the fused projection of
// stage 1, whose output then also holds the logits.
//
// bf16: where oneDNN has a JIT bf16 matmul (AVX512-BF16 / AMX) the tile
// products read bf16 queries, keys, values and probabilities with f32
// accumulation; elsewhere everything is computed in f32 from the bf16 data.
#include <archbench/sdk_cpu.hpp>

#include "cpu_kernels.hpp"
#include "positions.hpp"
#include "rows.hpp"
#include "vector_math.hpp"

#include <algorithm>
#include <cmath>
#include <omp.h>

namespace archbench::plugins::attention {
namespace cpu {

ScoreRules::ScoreRules(const Shape& s, const float* sink_logits)
    : sinks(sink_logits), softcap(float(s.softcap)) {
  if (s.position == Position::alibi)
    for (double slope : alibi_slopes(s.heads)) slopes.push_back(float(slope));
}

void ScoreRules::transform(float* scores, int64_t count, int64_t i, int64_t j0, int64_t head) const {
  if (softcap > 0) {
    const float cap = softcap, inverse = 1.0f / softcap;
    for (int64_t c = 0; c < count; ++c) scores[c] = cap * vmath::tanh(scores[c] * inverse);
  }
  if (!slopes.empty()) {
    const float slope = slopes[size_t(head)], distance0 = float(i - j0);
    for (int64_t c = 0; c < count; ++c) scores[c] -= slope * (distance0 - float(c));
  }
}

}  // namespace cpu

namespace {

using dnnl::memory;
using dt = memory::data_type;
namespace sc = sdk::cpu;

using rows::load_any;
using rows::rms_normalize;
using rows::store_any;

class AttentionCpu : public sdk::Instance {
 public:
  AttentionCpu(const Shape& shape, const ab_host& host, const sdk::Tensors& tensors)
      : s_(shape), ctx_(sc::Context::from(host)) {
    io_bf16_ = s_.dtype == AB_DTYPE_BF16;
    if (s_.dtype == AB_DTYPE_F16) throw sdk::Unimplemented("attention has no f16 path on the CPU");
    compute_ = io_bf16_ && sc::has_native_bf16_matmul(ctx_.engine) ? dt::bf16 : dt::f32;
    const int64_t b = s_.batch, t = s_.tokens(), kvh = s_.kv_heads, hd = s_.head_dim,
                  vhd = s_.v_head_dim;
    k_cache_ = tensors["k_cache"].data;
    v_cache_ = tensors["v_cache"].data;
    if (s_.qk_norm != QkNorm::none) {
      q_norm_ = static_cast<const float*>(tensors["q_norm"].data);
      k_norm_ = static_cast<const float*>(tensors["k_norm"].data);
    }
    rules_ = std::make_unique<cpu::ScoreRules>(
        s_, s_.sinks ? static_cast<const float*>(tensors["sinks"].data) : nullptr);
    rope_ = RopeTable<float>(s_.first_position(), t, s_.rotary_dims(), s_.rope_theta);

    const bool prefill = s_.mode == Mode::prefill;
    const bool prepared_bf16 = prefill && compute_ == dt::bf16;  // decode's kernel reads f32 queries
    prepared_q_.assign(size_t(b * t * s_.heads * hd) * (prepared_bf16 ? 2 : 4), 0);
    if (prefill) {
      // The tile products read keys/values in the compute dtype, positions in
      // order. When the cache already is exactly that, it is used in place.
      const bool cache_is_working = (compute_ == dt::bf16) == io_bf16_ && s_.slots() == t;
      if (cache_is_working) {
        k_work_ = k_cache_;
        v_work_ = v_cache_;
      } else {
        const size_t element = compute_ == dt::bf16 ? 2 : 4;
        k_storage_.assign(size_t(b * kvh * t * hd) * element, 0);
        v_storage_.assign(size_t(b * kvh * t * vhd) * element, 0);
        k_work_ = k_storage_.data();
        v_work_ = v_storage_.data();
      }
      prefill_ = std::make_unique<cpu::FlashPrefill>(s_, ctx_.engine, compute_, ctx_.threads);
    }
    if (s_.layer()) build_projections(tensors);
    else {
      q_in_ = tensors["q"].data;
      k_in_ = tensors["k"].data;
      v_in_ = tensors["v"].data;
      out_ = tensors["out"].data;
      if (s_.gate) {
        gate_logits_ = tensors["gate"].data;
        gate_bf16_ = io_bf16_;
        gate_stride_ = s_.heads * vhd;
      }
    }
  }

  void execute() override {
    if (!before_.empty()) before_.run(ctx_.stream);
    prepare();
    const bool out_bf16 = s_.layer() ? compute_ == dt::bf16 : io_bf16_;
    void* destination = s_.layer() ? attention_out_.get_data_handle() : out_;
    const int64_t t = s_.tokens(), h = s_.heads, vhd = s_.v_head_dim;
    const cpu::RowSink sink = [&](int64_t b, int64_t token, int64_t head, const float* row) {
      const int64_t at = ((b * t + token) * h + head) * vhd;
      if (!gate_logits_) return store_any(out_bf16, destination, at, vhd, row);
      // Gated: this row's logits, then each channel scaled by their sigmoid.
      float gated[kMostValueWidth];
      load_any(gate_bf16_, gate_logits_, gate_offset_ + (b * t + token) * gate_stride_ + head * vhd, vhd, gated);
      for (int64_t d = 0; d < vhd; ++d) gated[d] = row[d] / (1.0f + std::exp(-gated[d]));
      store_any(out_bf16, destination, at, vhd, gated);
    };
    if (s_.mode == Mode::prefill)
      prefill_->run(prepared_q_.data(), k_work_, v_work_, *rules_, sink);
    else
      cpu::decode_attention(s_, reinterpret_cast<const float*>(prepared_q_.data()), k_cache_,
                            v_cache_, *rules_, sink);
    if (!after_.empty()) after_.run(ctx_.stream);
  }

 private:
  // Stage 2, one token of one sequence per iteration.
  void prepare() {
    const int64_t b_count = s_.batch, t = s_.tokens(), h = s_.heads, kvh = s_.kv_heads,
                  hd = s_.head_dim, vhd = s_.v_head_dim, group = s_.group();
    const int64_t q_width = h * hd, k_width = kvh * hd, v_width = kvh * vhd;
    const int64_t slots = s_.slots(), first = s_.first_position();
    const bool prefill = s_.mode == Mode::prefill;
    const bool prepared_bf16 = prefill && compute_ == dt::bf16;
    const bool work_bf16 = compute_ == dt::bf16;
    const bool separate_cache = prefill && k_work_ != k_cache_;
    const float scale = float(s_.score_scale());
    const float* projected = s_.layer() ? static_cast<const float*>(projected_.get_data_handle()) : nullptr;
    const int64_t projected_width = q_width + k_width + v_width + (s_.gate ? h * vhd : 0);
#pragma omp parallel
    {
      std::vector<float> q(static_cast<size_t>(q_width)), k(static_cast<size_t>(k_width)),
          v(static_cast<size_t>(v_width));
#pragma omp for schedule(static)
      for (int64_t bt = 0; bt < b_count * t; ++bt) {
        const int64_t b = bt / t, token = bt % t, position = first + token;
        if (projected) {
          const float* row = projected + bt * projected_width;
          std::copy(row, row + q_width, q.data());
          std::copy(row + q_width, row + q_width + k_width, k.data());
          std::copy(row + q_width + k_width, row + q_width + k_width + v_width, v.data());
        } else {
          load_any(io_bf16_, q_in_, bt * q_width, q_width, q.data());
          load_any(io_bf16_, k_in_, bt * k_width, k_width, k.data());
          load_any(io_bf16_, v_in_, bt * v_width, v_width, v.data());
        }
        if (s_.qk_norm == QkNorm::projection) {
          rms_normalize(q.data(), q_width, q_norm_);
          rms_normalize(k.data(), k_width, k_norm_);
        }
        for (int64_t head = 0; head < h; ++head) {
          float* x = q.data() + head * hd;
          if (s_.qk_norm == QkNorm::head) rms_normalize(x, hd, q_norm_);
          rope_.apply(x, position);
          for (int64_t d = 0; d < hd; ++d) x[d] *= scale;
          const int64_t g = head / group, j = head % group;
          const int64_t at = (((b * kvh + g) * t + token) * group + j) * hd;
          store_any(prepared_bf16, prepared_q_.data(), at, hd, x);
        }
        const bool cached = position >= s_.context() - slots;  // the ring keeps the last `slots`
        const int64_t slot = position % slots;
        for (int64_t g = 0; g < kvh; ++g) {
          float* x = k.data() + g * hd;
          if (s_.qk_norm == QkNorm::head) rms_normalize(x, hd, k_norm_);
          rope_.apply(x, position);
          const float* y = v.data() + g * vhd;
          if (prefill) {
            store_any(work_bf16, k_work_, ((b * kvh + g) * t + token) * hd, hd, x);
            store_any(work_bf16, v_work_, ((b * kvh + g) * t + token) * vhd, vhd, y);
          }
          if ((!prefill || separate_cache) && cached) {
            store_any(io_bf16_, k_cache_, ((b * kvh + g) * slots + slot) * hd, hd, x);
            store_any(io_bf16_, v_cache_, ((b * kvh + g) * slots + slot) * vhd, vhd, y);
          }
        }
      }
    }
  }

  // Stages 1 and 4 for layer-level problems.
  void build_projections(const sdk::Tensors& tensors) {
    const int64_t rows = s_.batch * s_.tokens(), dm = s_.d_model, hd = s_.head_dim,
                  vhd = s_.v_head_dim;
    const int64_t q_width = s_.heads * hd, k_width = s_.kv_heads * hd, v_width = s_.kv_heads * vhd;
    const int64_t o_width = s_.heads * vhd;
    const int64_t qkv_width = q_width + k_width + v_width + (s_.gate ? o_width : 0);  // W_g last when gated
    const dt io = sc::to_dnnl(s_.dtype);

    // W_qkv = [W_q | W_k | W_v (| W_g)] (d_model x qkv_width), built once in the io dtype.
    const size_t element = sdk::dtype_size(s_.dtype);
    std::vector<uint8_t>& fused = fused_storage_;  // may back the weights if no repack is needed
    fused.assign(size_t(dm * qkv_width) * element, 0);
    const struct { const char* name; int64_t width, offset; } parts[] = {
        {"w_q", q_width, 0}, {"w_k", k_width, q_width}, {"w_v", v_width, q_width + k_width},
        {"w_g", o_width, q_width + k_width + v_width}};
    for (const auto& part : parts) {
      if (part.offset + part.width > qkv_width) continue;  // w_g without the gate
      const auto* src = static_cast<const uint8_t*>(tensors[part.name].data);
      for (int64_t r = 0; r < dm; ++r)
        std::copy(src + r * part.width * element, src + (r + 1) * part.width * element,
                  fused.data() + (r * qkv_width + part.offset) * element);
    }
    const memory fused_weights(sc::row_major({dm, qkv_width}, io), ctx_.engine, fused.data());
    const memory x = sc::input_as(before_, sc::wrap(tensors["x"], ctx_, true), compute_, ctx_.engine);
    projected_ = memory(sc::row_major({rows, qkv_width}, dt::f32), ctx_.engine);
    memory qkv_bias;
    if (s_.bias) {
      qkv_bias = memory(sc::row_major({1, qkv_width}, dt::f32), ctx_.engine);
      auto* out = static_cast<float*>(qkv_bias.get_data_handle());
      // The gate has no bias (Qwen3-Next): its columns keep zeros.
      std::fill_n(out, qkv_width, 0.0f);
      for (const auto& part : {std::make_pair("b_q", q_width), std::make_pair("b_k", k_width),
                               std::make_pair("b_v", v_width)}) {
        const auto* b = static_cast<const float*>(tensors[part.first].data);
        out = std::copy(b, b + part.second, out);
      }
    }
    add_matmul(before_, x, fused_weights, qkv_bias, projected_);
    if (s_.gate) {
      gate_logits_ = projected_.get_data_handle();
      gate_offset_ = q_width + k_width + v_width;
      gate_stride_ = qkv_width;
    }

    attention_out_ = memory(sc::row_major({rows, o_width}, compute_), ctx_.engine);
    memory o_bias;
    if (s_.bias) {
      o_bias = memory(sc::row_major({1, dm}, dt::f32), ctx_.engine);
      const auto* b = static_cast<const float*>(tensors["b_o"].data);
      std::copy(b, b + dm, static_cast<float*>(o_bias.get_data_handle()));
    }
    const memory y_host = sc::wrap(tensors["y"], ctx_, true);
    const memory y = sc::output_as(y_host, compute_, ctx_.engine);
    add_matmul(after_, attention_out_, sc::wrap(tensors["w_o"], ctx_), o_bias, y);
    sc::output_from(after_, y, y_host);
  }

  void add_matmul(sc::Sequence& steps, const memory& src, const memory& weights,
                  const memory& bias, const memory& dst) {
    const memory::desc weights_any(weights.get_desc().dims(), compute_, memory::format_tag::any);
    const bool with_bias = bool(bias);
    dnnl::matmul::primitive_desc pd =
        with_bias ? dnnl::matmul::primitive_desc(
                        dnnl::matmul::desc(src.get_desc(), weights_any, bias.get_desc(), dst.get_desc()),
                        ctx_.engine)
                  : dnnl::matmul::primitive_desc(
                        dnnl::matmul::desc(src.get_desc(), weights_any, dst.get_desc()), ctx_.engine);
    // Weights are constant: packed once here, outside the timed execute().
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src},
                                         {DNNL_ARG_WEIGHTS, sc::reordered(weights, pd.weights_desc(), ctx_)},
                                         {DNNL_ARG_DST, dst}};
    if (with_bias) args[DNNL_ARG_BIAS] = bias;
    steps.add(dnnl::matmul(pd), std::move(args));
  }

  Shape s_;
  sc::Context ctx_;
  bool io_bf16_ = false;
  dt compute_ = dt::f32;
  const void *q_in_ = nullptr, *k_in_ = nullptr, *v_in_ = nullptr;
  void *out_ = nullptr, *k_cache_ = nullptr, *v_cache_ = nullptr;
  const float *q_norm_ = nullptr, *k_norm_ = nullptr;
  std::unique_ptr<cpu::ScoreRules> rules_;
  // Gate logits of output row r, head h at gate_offset_ + r * gate_stride_ + h * v_head_dim:
  // the core-level input, or the f32 columns W_g adds to the fused projection.
  static constexpr int64_t kMostValueWidth = 1024;  // the schema's v_head_dim bound
  const void* gate_logits_ = nullptr;
  bool gate_bf16_ = false;
  int64_t gate_offset_ = 0, gate_stride_ = 0;
  RopeTable<float> rope_;
  std::vector<uint8_t> prepared_q_, k_storage_, v_storage_, fused_storage_;
  void *k_work_ = nullptr, *v_work_ = nullptr;
  std::unique_ptr<cpu::FlashPrefill> prefill_;
  sc::Sequence before_, after_;
  memory projected_, attention_out_;
};

}  // namespace

std::unique_ptr<sdk::Instance> make_cpu_instance(const Shape& shape, const ab_host& host,
                                                 const sdk::Tensors& tensors) {
  return std::make_unique<AttentionCpu>(shape, host, tensors);
}

}  // namespace archbench::plugins::attention
