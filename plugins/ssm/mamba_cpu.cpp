// ssm/mamba on the CPU at core level (d_model = 0): the problem's own u,
// delta, B, C (and z) go straight into the selective scan (scan.cpp). bf16
// problems are widened to f32 first and y narrowed after, both inside the
// timed execute. Layer-level problems are built in mamba_layer_cpu.cpp.
#include "scan.hpp"
#include "ssm.hpp"
#include "widen.hpp"

#include <archbench/sdk_cpu.hpp>

namespace archbench::plugins::ssm {

std::unique_ptr<sdk::Instance> make_mamba_layer_cpu(const MambaShape& shape, const ab_host& host,
                                                    const sdk::Tensors& tensors);

namespace {

class MambaCpu : public sdk::Instance {
 public:
  MambaCpu(const MambaShape& s, const ab_host& host, const sdk::Tensors& tensors)
      : scan_(sdk::cpu::Context::from(host).threads) {
    const int64_t di = s.d_inner, N = s.d_state;
    args_.batch = s.batch;
    args_.tokens = s.tokens();
    args_.d_inner = di;
    args_.d_state = N;
    args_.u = views_.input(tensors["u"]);
    args_.u_stride = di;
    args_.delta = views_.input(tensors["delta"]);
    args_.delta_stride = di;
    args_.B = views_.input(tensors["B"]);
    args_.B_stride = N;
    args_.C = views_.input(tensors["C"]);
    args_.C_stride = N;
    if (s.gate) {
      args_.z = views_.input(tensors["z"]);
      args_.z_stride = di;
    }
    args_.a_log = static_cast<const float*>(tensors["a_log"].data);
    args_.D = static_cast<const float*>(tensors["D"].data);
    if (s.mode == Mode::decode) args_.state = static_cast<const float*>(tensors["state"].data);
    args_.y = views_.output(tensors["y"]);
    args_.y_stride = di;
    args_.state_out = static_cast<float*>(tensors["state_out"].data);
  }

  void execute() override {
    views_.widen_inputs();
    scan_.run(args_);
    views_.narrow_outputs();
  }

 private:
  F32Views views_;
  ScanArgs args_;
  SelectiveScan scan_;
};

}  // namespace

std::unique_ptr<sdk::Instance> MambaVariant::create_cpu(const sdk::Problem& problem, const ab_host& host,
                                                        const sdk::Tensors& tensors) const {
  const MambaShape shape = MambaShape::of(problem);
  if (shape.layer()) return make_mamba_layer_cpu(shape, host, tensors);
  return std::make_unique<MambaCpu>(shape, host, tensors);
}

}  // namespace archbench::plugins::ssm
