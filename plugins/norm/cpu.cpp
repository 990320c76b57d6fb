// oneDNN implementation of RMSNorm / LayerNorm.
//
// LayerNorm is oneDNN's layer_normalization primitive. oneDNN 2.x has no RMSNorm,
// so RMSNorm computes mean(h^2) per row in a short vectorized loop (oneDNN's
// reduction primitive has only a reference implementation on AVX2 and was 70x
// slower), then runs layer_normalization with that as its given variance and a
// zero mean. The residual add is a binary primitive writing the new residual.
//
// bf16: where oneDNN's bf16 layer normalization is not JIT code (AVX2), the
// rows are converted to f32 and back (SDK helpers), which is ~100x faster.
#include <archbench/sdk_cpu.hpp>

#include "norm.hpp"

namespace archbench::plugins::norm {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
namespace sc = sdk::cpu;

// bf16 end to end only pays when oneDNN has JIT code for it on this CPU.
bool has_fast_bf16_norm(const dnnl::engine& engine) {
  memory::desc data({4, 16}, dt::bf16, tag::ab);
  try {
    return sc::is_jit(dnnl::layer_normalization_forward::primitive_desc(
        dnnl::layer_normalization_forward::desc(dnnl::prop_kind::forward_inference, data, 1e-5f,
                                                dnnl::normalization_flags::use_scale),
        engine));
  } catch (const dnnl::error&) {
    return false;
  }
}

class NormCpu : public sdk::Instance {
 public:
  NormCpu(const NormVariant& variant, const sdk::Problem& problem, const ab_host& host,
          const sdk::Tensors& tensors)
      : ctx_(sc::Context::from(host)) {
    const int64_t tokens = problem.integer("tokens"), d_model = problem.integer("d_model");
    const float eps = float(problem.real("eps"));
    const dt io_type = sc::to_dnnl(problem.dtype());
    compute_type_ = io_type == dt::bf16 && !has_fast_bf16_norm(ctx_.engine) ? dt::f32 : io_type;
    const memory::desc data_desc({tokens, d_model}, compute_type_, tag::ab);

    memory h = sc::input_as(steps_, sc::wrap(tensors["x"], ctx_), compute_type_, ctx_.engine);
    if (problem.flag("residual")) {
      const memory residual = sc::input_as(steps_, sc::wrap(tensors["residual"], ctx_), compute_type_, ctx_.engine);
      memory sum = sc::output_as(sc::wrap(tensors["residual_out"], ctx_), compute_type_, ctx_.engine);
      dnnl::binary::primitive_desc add_pd(
          dnnl::binary::desc(dnnl::algorithm::binary_add, data_desc, data_desc, data_desc), ctx_.engine);
      steps_.add(dnnl::binary(add_pd), {{DNNL_ARG_SRC_0, h}, {DNNL_ARG_SRC_1, residual}, {DNNL_ARG_DST, sum}});
      sc::output_from(steps_, sum, sc::wrap(tensors["residual_out"], ctx_));
      h = sum;
    }

    const memory gamma = sc::wrap(tensors["gamma"], ctx_);
    memory y = sc::output_as(sc::wrap(tensors["y"], ctx_), compute_type_, ctx_.engine);
    if (variant.type() == NormType::layer) {
      dnnl::layer_normalization_forward::primitive_desc pd(
          dnnl::layer_normalization_forward::desc(
              dnnl::prop_kind::forward_inference, data_desc, eps,
              dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift),
          ctx_.engine);
      steps_.add(dnnl::layer_normalization_forward(pd),
                 {{DNNL_ARG_SRC, h}, {DNNL_ARG_DST, y}, {DNNL_ARG_SCALE, gamma},
                  {DNNL_ARG_SHIFT, sc::wrap(tensors["beta"], ctx_)}});
    } else {
      add_rms_norm(h, y, gamma, tokens, d_model, eps);
    }
    sc::output_from(steps_, y, sc::wrap(tensors["y"], ctx_));
  }

  void execute() override { steps_.run(ctx_.stream); }

 private:
  void add_rms_norm(const memory& h, const memory& y, const memory& gamma, int64_t tokens,
                    int64_t d_model, float eps) {
    const memory::desc stats({tokens}, dt::f32, tag::a);
    variance_ = memory(stats, ctx_.engine);
    zero_mean_ = memory(stats, ctx_.engine);
    std::fill_n(static_cast<float*>(zero_mean_.get_data_handle()), tokens, 0.0f);
    float* variance = static_cast<float*>(variance_.get_data_handle());
    void* rows = h.get_data_handle();
    const bool bf16 = h.get_desc().data_type() == dt::bf16;
    steps_.add_host([=] {
      if (bf16) mean_of_squares(static_cast<const uint16_t*>(rows), variance, tokens, d_model);
      else mean_of_squares(static_cast<const float*>(rows), variance, tokens, d_model);
    });
    dnnl::layer_normalization_forward::primitive_desc norm_pd(
        dnnl::layer_normalization_forward::desc(
            dnnl::prop_kind::forward_inference, h.get_desc(), stats, eps,
            dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale),
        ctx_.engine);
    steps_.add(dnnl::layer_normalization_forward(norm_pd),
               {{DNNL_ARG_SRC, h}, {DNNL_ARG_DST, y}, {DNNL_ARG_SCALE, gamma},
                {DNNL_ARG_MEAN, zero_mean_}, {DNNL_ARG_VARIANCE, variance_}});
  }

  // variance[t] = mean(row_t^2); rows split over threads, the inner loop
  // vectorized with 8 independent partial sums.
  template <class Element>
  static void mean_of_squares(const Element* rows, float* variance, int64_t tokens, int64_t d_model) {
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < tokens; ++t) {
      const Element* row = rows + t * d_model;
      float partial[8] = {};
      int64_t i = 0;
      for (; i + 8 <= d_model; i += 8)
#pragma omp simd
        for (int lane = 0; lane < 8; ++lane) {
          const float v = to_float(row[i + lane]);
          partial[lane] += v * v;
        }
      float sum = 0;
      for (float p : partial) sum += p;
      for (; i < d_model; ++i) sum += to_float(row[i]) * to_float(row[i]);
      variance[t] = sum / float(d_model);
    }
  }
  static float to_float(float v) { return v; }
  static float to_float(uint16_t v) { return sdk::bf16_to_f32(v); }

  sc::Context ctx_;
  dt compute_type_;
  memory variance_, zero_mean_;
  sc::Sequence steps_;
};

}  // namespace

std::unique_ptr<sdk::Instance> NormVariant::create_cpu(const sdk::Problem& problem, const ab_host& host,
                                                   const sdk::Tensors& tensors) const {
  return std::make_unique<NormCpu>(*this, problem, host, tensors);
}

}  // namespace archbench::plugins::norm
