// Gated DeltaNet's layer (d_model > 0, see layer.cpp) on the CPU: the six
// input projections and the output projection as oneDNN matmuls in f32 on the
// context's stream, the gates and the gated RMSNorm as vectorized host steps,
// and between them the core level's own kernels (the chunked prefill or the
// decode step, cpu_chunked.cpp / cpu_decode.cpp) run on the projections as an
// f32 problem. bf16 weights are widened once at create (this CPU has no bf16
// matmul), bf16 x, y and conv windows in every execute.
#include "cpu_kernels.hpp"
#include "fast_math.hpp"

#include <archbench/sdk_cpu.hpp>

#include <algorithm>
#include <cmath>
#include <list>

namespace archbench::plugins::mixers {

namespace {

using dnnl::memory;
using dt = memory::data_type;

constexpr float kNormEps = 1e-6f;  // Qwen3-Next's rms_norm_eps

// A tensor in the problem dtype seen as f32: in place for f32, else a scratch
// widened before the steps (inputs) or narrowed after them (outputs).
class F32View {
 public:
  F32View() = default;
  explicit F32View(const ab_tensor& tensor) : data_(tensor.data) {
    if (tensor.desc->dtype != AB_DTYPE_F32) wide_.resize(size_t(sdk::element_count(*tensor.desc)));
  }
  float* data() const { return wide_.empty() ? static_cast<float*>(data_) : wide_.data(); }
  void widen() const {
    if (!wide_.empty())
      sdk::cpu::convert_elements(static_cast<const uint16_t*>(data_), wide_.data(), int64_t(wide_.size()));
  }
  void narrow() const {
    if (!wide_.empty()) sdk::cpu::convert_elements(wide_.data(), static_cast<uint16_t*>(data_), int64_t(wide_.size()));
  }

 private:
  void* data_ = nullptr;
  mutable std::vector<float> wide_;
};

class CpuLayer : public sdk::Instance {
 public:
  CpuLayer(const Shape& s, const ab_host& host, const sdk::Tensors& tensors)
      : s_(s), core_(s), ctx_(sdk::cpu::Context::from(host)) {
    core_.dtype = AB_DTYPE_F32;  // the core sees the projections as an f32 problem
    const int64_t rows = s.batch * s.tokens(), H = s.heads, dm = s.d_model;
    const int64_t qk = s.qk_heads * s.dk, vz = H * s.dv;
    const bool decode = s.mode == Mode::decode;
    x_ = F32View(tensors["x"]);
    y_ = F32View(tensors["y"]);
    for (auto [buffer, width] : {std::pair{&q_, qk}, std::pair{&k_, qk}, std::pair{&v_, vz}, std::pair{&z_, vz},
                                 std::pair{&beta_, H}, std::pair{&alpha_, H}, std::pair{&o_, vz}})
      buffer->assign(size_t(rows * width), 0.0f);
    a_log_ = static_cast<const float*>(tensors["a_log"].data);
    dt_bias_ = static_cast<const float*>(tensors["dt_bias"].data);
    norm_weight_ = static_cast<const float*>(tensors["norm_weight"].data);

    // The core's view: the projections, gates and windows in f32.
    in_.q = q_.data(), in_.k = k_.data(), in_.v = v_.data();
    in_.beta = beta_.data(), in_.alpha = alpha_.data();
    if (s.conv > 0) {  // [channels, conv] -> [conv, channels], as the core instance packs them
      const ab_tensor& weight = tensors["conv_weight"];
      const int64_t C = s.conv_channels(), W = s.conv;
      in_.conv_taps.resize(size_t(C * W));
      for (int64_t c = 0; c < C; ++c)
        for (int64_t w = 0; w < W; ++w) in_.conv_taps[size_t(w * C + c)] = cpu::load(weight.data, s.dtype, c * W + w);
    }
    if (s.conv_history() > 0) {
      conv_out_ = F32View(tensors[decode ? "new_conv" : "final_conv"]);
      out_.conv = conv_out_.data();
      if (decode) {
        conv_in_ = F32View(tensors["conv_state"]);
        in_.conv_state = conv_in_.data();
      }
    }
    if (decode) in_.state = static_cast<const float*>(tensors["state"].data);
    out_.out = o_.data();
    out_.state = static_cast<float*>(tensors[decode ? "new_state" : "final_state"].data);
    if (!decode) prefill_ = std::make_unique<cpu::ChunkedPrefill>(core_, ctx_.engine, ctx_.threads);

    // The steps, in order.
    const auto matrix = [&](float* data, int64_t r, int64_t c) {
      return memory(memory::desc({r, c}, dt::f32, {c, 1}), ctx_.engine, data);
    };
    const memory x = matrix(x_.data(), rows, dm);
    matmul(x, weight(tensors["w_q"]), matrix(q_.data(), rows, qk));
    matmul(x, weight(tensors["w_k"]), matrix(k_.data(), rows, qk));
    matmul(x, weight(tensors["w_v"]), matrix(v_.data(), rows, vz));
    matmul(x, weight(tensors["w_z"]), matrix(z_.data(), rows, vz));
    matmul(x, weight(tensors["w_beta"]), matrix(beta_.data(), rows, H));
    matmul(x, weight(tensors["w_alpha"]), matrix(alpha_.data(), rows, H));
    steps_.add_host([this] { gates(); });
    steps_.add_host([this] {
      if (prefill_) prefill_->run(in_, out_);
      else cpu::decode_step(core_, in_, out_, ctx_.threads);
      cpu::write_conv_window(core_, in_, out_);
    });
    steps_.add_host([this] { gated_norm(); });
    matmul(matrix(o_.data(), rows, vz), weight(tensors["w_out"]), matrix(y_.data(), rows, dm));
  }

  void execute() override {
    x_.widen();
    conv_in_.widen();
    steps_.run(ctx_.stream);
    y_.narrow();
    conv_out_.narrow();
  }

 private:
  // A weight as an f32 oneDNN memory: in place, or widened once here.
  memory weight(const ab_tensor& tensor) {
    const memory::desc d = sdk::cpu::plain_desc(tensor);
    if (tensor.desc->dtype == AB_DTYPE_F32) return memory(d, ctx_.engine, tensor.data);
    widened_.emplace_back(size_t(sdk::element_count(*tensor.desc)));
    sdk::cpu::convert_elements(static_cast<const uint16_t*>(tensor.data), widened_.back().data(),
                               int64_t(widened_.back().size()));
    return memory(sdk::cpu::row_major(d.dims(), dt::f32), ctx_.engine, widened_.back().data());
  }

  void matmul(const memory& src, const memory& wei, const memory& dst) {
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src.get_desc(), wei.get_desc(), dst.get_desc()), ctx_.engine);
    steps_.add(dnnl::matmul(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}});
  }

  // beta = sigmoid(logit); alpha = exp(-exp(a_log) softplus(logit + dt_bias)),
  // the decay factor the core kernels take. One value per token and head:
  // libm's exp and log1p cost nothing here.
  void gates() {
    const int64_t rows = s_.batch * s_.tokens(), H = s_.heads;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t h = 0; h < H; ++h) {
        float& beta = beta_[size_t(r * H + h)];
        float& alpha = alpha_[size_t(r * H + h)];
        beta = 1.0f / (1.0f + std::exp(-beta));
        const float a = alpha + dt_bias_[h];
        const float softplus = a > 30.0f ? a : std::log1p(std::exp(a));
        alpha = std::exp(-std::exp(a_log_[h]) * softplus);
      }
  }

  // o <- o / rms(o) * norm_weight * SiLU(z), per token and head, in place.
  void gated_norm() {
    const int64_t rows = s_.batch * s_.tokens(), H = s_.heads, dv = s_.dv;
#pragma omp parallel for schedule(static) num_threads(std::max(1, ctx_.threads))
    for (int64_t task = 0; task < rows * H; ++task) {
      float* o = o_.data() + task * dv;
      const float* z = z_.data() + task * dv;
      float squares = 0;
#pragma omp simd reduction(+ : squares)
      for (int64_t e = 0; e < dv; ++e) squares += o[e] * o[e];
      const float inverse_rms = 1.0f / std::sqrt(squares / float(dv) + kNormEps);
#pragma omp simd
      for (int64_t e = 0; e < dv; ++e) o[e] *= inverse_rms * norm_weight_[e] * silu(z[e]);
    }
  }

  Shape s_, core_;
  sdk::cpu::Context ctx_;
  sdk::cpu::Sequence steps_;
  F32View x_, y_, conv_in_, conv_out_;
  std::vector<float> q_, k_, v_, z_, beta_, alpha_, o_;
  const float *a_log_ = nullptr, *dt_bias_ = nullptr, *norm_weight_ = nullptr;
  cpu::Inputs in_;
  cpu::Outputs out_;
  std::unique_ptr<cpu::ChunkedPrefill> prefill_;
  std::list<std::vector<float>> widened_;  // bf16 weights in f32
};

}  // namespace

std::unique_ptr<sdk::Instance> make_cpu_layer_instance(const Shape& shape, const ab_host& host,
                                                       const sdk::Tensors& tensors) {
  return std::make_unique<CpuLayer>(shape, host, tensors);
}

}  // namespace archbench::plugins::mixers
