// ssm/mamba on Vulkan: the core level (d_model = 0) is the selective scan
// alone (mamba_scan_vulkan.hpp: shaders/mamba_scan.comp, one invocation per
// (sequence, channel pair in bf16 / channel in f32) carrying its states in
// registers) over the problem's own u, delta, B, C and z; the layer level
// (d_model > 0) is mamba_layer_vulkan.cpp.
#include "mamba_scan_vulkan.hpp"

#include <memory>

namespace archbench::plugins::ssm {

std::unique_ptr<sdk::Instance> make_mamba_layer_vulkan(const MambaShape& shape, const ab_host& host,
                                                       const sdk::Tensors& tensors);  // mamba_layer_vulkan.cpp
namespace {

namespace sv = sdk::vulkan;

class MambaVulkan : public sdk::Instance {
 public:
  MambaVulkan(const MambaShape& s, const ab_host& host, const sdk::Tensors& tensors)
      : device_(sv::Device::from(host)), dummy_(device_, 16) {
    const sv::Binding dummy = sv::Binding::of(dummy_);
    auto bind = [&](const char* name) { return vk::tensor(device_, tensors, name); };
    vk::ScanBindings b{bind("u"), bind("delta"), bind("B"), bind("C"), dummy, bind("a_log"), bind("D"), dummy,
                       bind("y"), bind("state_out")};
    if (s.gate) b.z = bind("z");
    if (s.mode == Mode::decode) b.state = bind("state");
    scan_ = std::make_unique<vk::MambaScan>(device_, s, b, dummy);
  }

  void record(void* command_buffer) override { scan_->record(static_cast<VkCommandBuffer>(command_buffer)); }

 private:
  sv::Device device_;
  sv::Buffer dummy_;  // bound where a problem has no z or state
  std::unique_ptr<vk::MambaScan> scan_;
};

}  // namespace

std::unique_ptr<sdk::Instance> MambaVariant::create_vulkan(const sdk::Problem& problem, const ab_host& host,
                                                           const sdk::Tensors& tensors) const {
  const MambaShape shape = MambaShape::of(problem);
  if (shape.layer()) return make_mamba_layer_vulkan(shape, host, tensors);
  vk::require_storage("ssm/mamba", shape.dtype, shape.d_inner, "d_inner");
  return std::make_unique<MambaVulkan>(shape, host, tensors);
}

}  // namespace archbench::plugins::ssm
