// The mixers' CPU instance: binds the host's tensors, pre-packs GDN's conv
// taps, and runs the chunked prefill or the decode step. Both dtypes compute
// in f32 (bf16 inputs widened as they are loaded, outputs rounded as they are
// stored): the chunk products are too small and this CPU has no bf16 matmul
// (oneDNN would run a reference kernel), and the state is f32 either way.
#include "cpu_kernels.hpp"

#include <archbench/sdk_cpu.hpp>

namespace archbench::plugins::mixers {

namespace {

class CpuInstance : public sdk::Instance {
 public:
  CpuInstance(const Shape& s, const ab_host& host, const sdk::Tensors& tensors)
      : shape_(s), ctx_(sdk::cpu::Context::from(host)) {
    const auto data = [&](const char* name) { return tensors[name].data; };
    in_.q = data("q");
    in_.k = data("k");
    in_.v = data("v");
    if (s.rule == Rule::gla) in_.gate = static_cast<const float*>(data("gate"));
    if (s.rule == Rule::delta) {
      in_.beta = static_cast<const float*>(data("beta"));
      in_.alpha = static_cast<const float*>(data("alpha"));
    }
    if (s.conv > 0) {  // [channels, conv] -> [conv, channels]: each tap a contiguous row
      const ab_tensor& weight = tensors["conv_weight"];
      const int64_t C = s.conv_channels(), W = s.conv;
      in_.conv_taps.resize(size_t(C * W));
      for (int64_t c = 0; c < C; ++c)
        for (int64_t w = 0; w < W; ++w) in_.conv_taps[size_t(w * C + c)] = cpu::load(weight.data, s.dtype, c * W + w);
    }
    const bool decode = s.mode == Mode::decode;
    if (decode) {
      in_.state = static_cast<const float*>(data("state"));
      if (s.has_norm_state()) in_.state_norm = static_cast<const float*>(data("state_norm"));
      if (s.conv_history() > 0) in_.conv_state = data("conv_state");
    }
    out_.out = data("out");
    out_.state = static_cast<float*>(data(decode ? "new_state" : "final_state"));
    if (s.has_norm_state()) out_.norm = static_cast<float*>(data(decode ? "new_norm" : "final_norm"));
    if (s.conv_history() > 0) out_.conv = data(decode ? "new_conv" : "final_conv");
    if (!decode) prefill_ = std::make_unique<cpu::ChunkedPrefill>(s, ctx_.engine, ctx_.threads);
  }

  void execute() override {
    if (prefill_) prefill_->run(in_, out_);
    else cpu::decode_step(shape_, in_, out_, ctx_.threads);
    cpu::write_conv_window(shape_, in_, out_);
  }

 private:
  Shape shape_;
  sdk::cpu::Context ctx_;
  cpu::Inputs in_;
  cpu::Outputs out_;
  std::unique_ptr<cpu::ChunkedPrefill> prefill_;
};

}  // namespace

std::unique_ptr<sdk::Instance> make_cpu_instance(const Shape& shape, const ab_host& host,
                                                 const sdk::Tensors& tensors) {
  return std::make_unique<CpuInstance>(shape, host, tensors);
}

}  // namespace archbench::plugins::mixers
