// ssm/mamba on Vulkan at core level (d_model = 0): shaders/mamba_scan.comp,
// one invocation per (sequence, channel pair in bf16 / channel in f32)
// carrying its states in registers. A prefill is a chain of dispatches over
// token segments (vulkan_common.hpp: llvmpipe's loop cap), each starting from
// the state the previous one left in state_out; a decode is one dispatch of
// one token from the problem's state. d_state and the gate are
// specialization constants; shapes are push constants.
#include "vulkan_common.hpp"

#include "spirv/ssm_mamba_scan.hpp"
#include "spirv/ssm_mamba_scan_bf16.hpp"

#include <memory>

namespace archbench::plugins::ssm {
namespace {

namespace sv = sdk::vulkan;

struct ScanPush {
  uint32_t tokens, d_inner, first, count, source;
};

class MambaVulkan : public sdk::Instance {
 public:
  MambaVulkan(const MambaShape& s, const ab_host& host, const sdk::Tensors& tensors)
      : device_(sv::Device::from(host)), dummy_(device_, 16) {
    const bool bf16 = s.dtype == AB_DTYPE_BF16;
    const int64_t step = bf16 ? 2 : 1, N = s.d_state;
    groups_ = sv::groups_for(s.d_inner / step, vk::kLanes);
    batch_ = uint32_t(s.batch);
    sv::require_groups("ssm/mamba on Vulkan", groups_, batch_);
    const sv::Binding dummy = sv::Binding::of(dummy_);
    auto bind = [&](const char* name) { return vk::tensor(device_, tensors, name); };
    scan_ = std::make_unique<sv::Kernel>(
        device_, bf16 ? ARCHBENCH_SPIRV(ssm_mamba_scan_bf16) : ARCHBENCH_SPIRV(ssm_mamba_scan), 10,
        sizeof(ScanPush), sv::Specialization{uint32_t(N), s.gate ? 1u : 0u}, 1);
    set_ = scan_->bind({bind("u"), bind("delta"), bind("B"), bind("C"), s.gate ? bind("z") : dummy, bind("a_log"),
                        bind("D"), s.mode == Mode::decode ? bind("state") : dummy, bind("y"), bind("state_out")});
    push_ = {uint32_t(s.tokens()), uint32_t(s.d_inner), 0, 0, s.mode == Mode::decode ? vk::kFromState : vk::kFromZero};
    // Per token: the n loop, the step loop inside it and around it; per
    // dispatch: the state's load and store.
    segment_ = vk::segment_tokens((N + 1) * (step + 1) + step, 2 * step * (N + 1));
  }

  void record(void* command_buffer) override {
    const auto cmd = static_cast<VkCommandBuffer>(command_buffer);
    ScanPush push = push_;
    for (int64_t first = 0; first < int64_t(push_.tokens); first += segment_) {
      if (first > 0) {  // this segment starts from the state the last one stored
        sv::compute_barrier(cmd);
        push.source = vk::kFromStateOut;
      }
      push.first = uint32_t(first);
      push.count = uint32_t(std::min<int64_t>(segment_, push_.tokens - first));
      scan_->dispatch(cmd, set_, push, groups_, batch_);
    }
  }

 private:
  sv::Device device_;
  sv::Buffer dummy_;  // bound where a problem has no z or state
  std::unique_ptr<sv::Kernel> scan_;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
  ScanPush push_{};
  uint32_t groups_ = 1, batch_ = 1;
  int64_t segment_ = 1;
};

}  // namespace

std::unique_ptr<sdk::Instance> MambaVariant::create_vulkan(const sdk::Problem& problem, const ab_host& host,
                                                           const sdk::Tensors& tensors) const {
  const MambaShape shape = MambaShape::of(problem);
  if (shape.layer())
    throw sdk::Unimplemented("ssm/mamba on Vulkan: core level only (d_model = 0); the layer's projections, conv "
                             "and dt path run on the CPU backend");
  vk::require_storage("ssm/mamba", shape.dtype, shape.d_inner, "d_inner");
  return std::make_unique<MambaVulkan>(shape, host, tensors);
}

}  // namespace archbench::plugins::ssm
