// ssm/mamba's layer (d_model > 0, see mamba_layer.cpp) on the CPU: the four
// projections as oneDNN matmuls in f32 (dt_proj with its bias fused and its
// input read in place from x_proj's output), the causal conv + SiLU and dt's
// softplus as vectorized host steps over channel-contiguous rows, and the
// selective scan (scan.cpp) reading u, delta, B, C and z where the steps left
// them. bf16 weights are widened once at create (no bf16 matmul on AVX-512
// without the BF16 extension), bf16 x and y in every execute.
#include "scan.hpp"
#include "ssm.hpp"
#include "vector_math.hpp"
#include "widen.hpp"

#include <archbench/sdk_cpu.hpp>

#include <algorithm>
#include <list>

namespace archbench::plugins::ssm {
namespace {

using dnnl::memory;
using dt = memory::data_type;

class MambaLayerCpu : public sdk::Instance {
 public:
  MambaLayerCpu(const MambaShape& s, const ab_host& host, const sdk::Tensors& tensors)
      : s_(s), ctx_(sdk::cpu::Context::from(host)), scan_(ctx_.threads) {
    const int64_t rows = s.batch * s.tokens(), di = s.d_inner, dm = s.d_model, xw = s.x_proj_width(),
                  in_w = s.in_proj_width(), dtr = s.dt_rank, N = s.d_state;
    x_ = views_.input(tensors["x"]);
    y_ = views_.output(tensors["y"]);
    xz_.resize(size_t(rows * in_w));
    u_.resize(size_t(rows * di));
    projected_.resize(size_t(rows * xw));
    delta_.resize(size_t(rows * di));
    scanned_.resize(size_t(rows * di));
    // Conv weights as [tap][channel], so a tap is one contiguous row.
    const float* conv_w = static_cast<const float*>(tensors["conv_w"].data);
    conv_taps_.resize(size_t(s.d_conv * di));
    for (int64_t c = 0; c < di; ++c)
      for (int64_t k = 0; k < s.d_conv; ++k) conv_taps_[size_t(k * di + c)] = conv_w[c * s.d_conv + k];
    conv_b_ = static_cast<const float*>(tensors["conv_b"].data);
    history_.resize(size_t(s.batch * s.conv_window() * di));
    if (s.mode == Mode::decode && s.conv_window() > 0) conv_state_ = static_cast<const float*>(tensors["conv_state"].data);
    if (s.conv_window() > 0) conv_out_ = static_cast<float*>(tensors["conv_out"].data);

    // The steps, in order.
    auto matrix = [](int64_t r, int64_t c, int64_t stride) { return memory::desc({r, c}, dt::f32, {stride, 1}); };
    auto wrap = [&](const memory::desc& d, const float* p) { return memory(d, ctx_.engine, const_cast<float*>(p)); };
    matmul(wrap(matrix(rows, dm, dm), x_), weight(tensors["w_in"]), wrap(matrix(rows, in_w, in_w), xz_.data()));
    steps_.add_host([this] { convolve(); });
    matmul(wrap(matrix(rows, di, di), u_.data()), weight(tensors["w_x"]), wrap(matrix(rows, xw, xw), projected_.data()));
    const memory bias(memory::desc({1, di}, dt::f32, {di, 1}), ctx_.engine, tensors["dt_bias"].data);
    matmul(wrap(matrix(rows, dtr, xw), projected_.data()), weight(tensors["w_dt"]),
           wrap(matrix(rows, di, di), delta_.data()), &bias);
    steps_.add_host([this, rows, di] {
#pragma omp parallel for schedule(static) num_threads(std::max(1, ctx_.threads))
      for (int64_t r = 0; r < rows; ++r) vmath::apply_row(delta_.data() + r * di, di, vmath::softplus);
    });
    args_.batch = s.batch;
    args_.tokens = s.tokens();
    args_.d_inner = di;
    args_.d_state = N;
    args_.u = u_.data();
    args_.u_stride = di;
    args_.delta = delta_.data();
    args_.delta_stride = di;
    args_.B = projected_.data() + dtr;
    args_.B_stride = xw;
    args_.C = projected_.data() + dtr + N;
    args_.C_stride = xw;
    if (s.gate) {
      args_.z = xz_.data() + di;
      args_.z_stride = in_w;
    }
    args_.a_log = static_cast<const float*>(tensors["a_log"].data);
    args_.D = static_cast<const float*>(tensors["D"].data);
    if (s.mode == Mode::decode) args_.state = static_cast<const float*>(tensors["state"].data);
    args_.y = scanned_.data();
    args_.y_stride = di;
    args_.state_out = static_cast<float*>(tensors["state_out"].data);
    steps_.add_host([this] { scan_.run(args_); });
    matmul(wrap(matrix(rows, di, di), scanned_.data()), weight(tensors["w_out"]), wrap(matrix(rows, dm, dm), y_));
  }

  void execute() override {
    views_.widen_inputs();
    steps_.run(ctx_.stream);
    views_.narrow_outputs();
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

  void matmul(const memory& src, const memory& wei, const memory& dst, const memory* bias = nullptr) {
    const memory::desc bias_desc = bias ? bias->get_desc() : memory::desc();
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src.get_desc(), wei.get_desc(), bias_desc, dst.get_desc()),
                                    ctx_.engine);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
    if (bias) args[DNNL_ARG_BIAS] = *bias;
    steps_.add(dnnl::matmul(pd), args);
  }

  // u = SiLU(conv_b + sum_k w[k] in[t - (K-1) + k]) per channel, where in[j < 0]
  // is the conv window (decode) or zero (prefill); then the window left behind.
  void convolve() {
    const int64_t T = s_.tokens(), di = s_.d_inner, K = s_.d_conv, window = s_.conv_window(), in_w = s_.in_proj_width();
    for (int64_t b = 0; b < s_.batch; ++b)  // the window as [tap][channel] rows
      for (int64_t i = 0; i < window; ++i)
        for (int64_t c = 0; c < di; ++c)
          history_[size_t((b * window + i) * di + c)] = conv_state_ ? conv_state_[(b * di + c) * window + i] : 0.0f;
    auto input = [&](int64_t b, int64_t j) -> const float* {
      return j >= 0 ? xz_.data() + (b * T + j) * in_w : history_.data() + (b * window + window + j) * di;
    };
#pragma omp parallel for schedule(static) num_threads(std::max(1, ctx_.threads))
    for (int64_t r = 0; r < s_.batch * T; ++r) {
      const int64_t b = r / T, t = r % T;
      float* out = u_.data() + r * di;
      std::copy(conv_b_, conv_b_ + di, out);
      for (int64_t k = 0; k < K; ++k) {
        const float* in = input(b, t - (K - 1) + k);
        const float* tap = conv_taps_.data() + k * di;
        for (int64_t c = 0; c < di; ++c) out[c] += tap[c] * in[c];
      }
      vmath::apply_row(out, di, vmath::silu);
    }
    if (conv_out_)
      for (int64_t b = 0; b < s_.batch; ++b)
        for (int64_t i = 0; i < window; ++i) {
          const float* in = input(b, T - window + i);
          for (int64_t c = 0; c < di; ++c) conv_out_[(b * di + c) * window + i] = in[c];
        }
  }

  MambaShape s_;
  sdk::cpu::Context ctx_;
  SelectiveScan scan_;
  F32Views views_;
  sdk::cpu::Sequence steps_;
  ScanArgs args_;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  const float *conv_b_ = nullptr, *conv_state_ = nullptr;
  float* conv_out_ = nullptr;
  std::vector<float> xz_, u_, projected_, delta_, scanned_, conv_taps_, history_;
  std::list<std::vector<float>> widened_;  // bf16 weights in f32
};

}  // namespace

std::unique_ptr<sdk::Instance> make_mamba_layer_cpu(const MambaShape& shape, const ab_host& host,
                                                    const sdk::Tensors& tensors) {
  return std::make_unique<MambaLayerCpu>(shape, host, tensors);
}

}  // namespace archbench::plugins::ssm
