// oneDNN implementation of the FFN variants: three (or two) matmul primitives
// with the activation and the gate product fused in as post-ops, and the
// weights packed once at create time into the layout the matmul prefers.
//
// bf16: where oneDNN has a bf16 matmul (AVX512-BF16 / AMX CPUs) inputs,
// weights and the hidden tensor stay bf16 with f32 accumulation. On CPUs
// without one (plain AVX2) the weights are unpacked to f32 once at create time
// (a weight pre-pack, like any inference engine does) and activations are
// converted on the fly: the timing then shows what bf16 costs on that CPU.
#include <archbench/sdk_cpu.hpp>

#include "ffn.hpp"

namespace archbench::plugins::ffn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
namespace sc = sdk::cpu;

class FfnCpu : public sdk::Instance {
 public:
  FfnCpu(const FfnVariant& variant, const sdk::Problem& problem, const ab_host& host,
         const sdk::Tensors& tensors)
      : ctx_(sc::Context::from(host)) {
    const int64_t tokens = problem.integer("tokens"), d_ff = problem.integer("d_ff");
    const memory::data_type io_type = sc::to_dnnl(problem.dtype());
    compute_type_ = io_type;
    if (io_type == memory::data_type::bf16 && !sc::has_native_bf16_matmul(ctx_.engine))
      compute_type_ = memory::data_type::f32;

    const memory x = sc::input_as(steps_, sc::wrap(tensors["x"], ctx_), compute_type_, ctx_.engine);
    const memory::desc hidden_desc({tokens, d_ff}, compute_type_, tag::ab);
    const dnnl::algorithm activation = variant.activation() == Activation::silu
                                           ? dnnl::algorithm::eltwise_swish
                                           : dnnl::algorithm::eltwise_gelu_tanh;
    memory hidden(hidden_desc, ctx_.engine);
    if (variant.gated()) {
      // gate = act(x W_gate); hidden = (x W_up) * gate, the product fused as a binary post-op.
      memory gate(hidden_desc, ctx_.engine);
      dnnl::post_ops act_ops;
      act_ops.append_eltwise(1.0f, activation, 1.0f, 0.0f);
      add_matmul(x, tensors["w_gate"], gate, act_ops, {});
      dnnl::post_ops mul_ops;
      mul_ops.append_binary(dnnl::algorithm::binary_mul, hidden_desc);
      add_matmul(x, tensors["w_up"], hidden, mul_ops,
                 {{DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, gate}});
    } else {
      dnnl::post_ops act_ops;
      act_ops.append_eltwise(1.0f, activation, 1.0f, 0.0f);
      add_matmul(x, tensors["w_up"], hidden, act_ops, {});
    }
    const memory y_host = sc::wrap(tensors["y"], ctx_);
    const memory y = sc::output_as(y_host, compute_type_, ctx_.engine);
    add_matmul(hidden, tensors["w_down"], y, {}, {});
    sc::output_from(steps_, y, y_host);
  }

  void execute() override { steps_.run(ctx_.stream); }

 private:
  void add_matmul(const memory& src, const ab_tensor& weight, const memory& dst,
                  const dnnl::post_ops& ops, std::unordered_map<int, memory> extra_args) {
    const memory weight_host = sc::wrap(weight, ctx_);
    const memory::desc weight_any(weight_host.get_desc().dims(), compute_type_, tag::any);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    dnnl::matmul::primitive_desc pd(
        dnnl::matmul::desc(src.get_desc(), weight_any, dst.get_desc()), attr, ctx_.engine);
    // Weights are constant: pack them once, outside the timed execute().
    const memory packed = sc::reordered(weight_host, pd.weights_desc(), ctx_);
    extra_args[DNNL_ARG_SRC] = src;
    extra_args[DNNL_ARG_WEIGHTS] = packed;
    extra_args[DNNL_ARG_DST] = dst;
    steps_.add(dnnl::matmul(pd), std::move(extra_args));
  }

  sc::Context ctx_;
  memory::data_type compute_type_;
  sc::Sequence steps_;
};

}  // namespace

std::unique_ptr<sdk::Instance> FfnVariant::create_cpu(const sdk::Problem& problem, const ab_host& host,
                                                  const sdk::Tensors& tensors) const {
  return std::make_unique<FfnCpu>(*this, problem, host, tensors);
}

}  // namespace archbench::plugins::ffn
