// ssm/mamba2 on Vulkan: shaders/mamba2_scan.comp, one invocation per
// (sequence, head, state row pair in bf16 / row in f32) carrying its rows in
// registers. The recurrent form serves both modes: a prefill is a chain of
// dispatches over token segments (vulkan_common.hpp: llvmpipe's loop cap),
// each starting from the state the previous one left in state_out; a decode
// is one dispatch of one token from the problem's state. d_state is a
// specialization constant; shapes are push constants.
#include "vulkan_common.hpp"

#include "spirv/ssm_mamba2_scan.hpp"
#include "spirv/ssm_mamba2_scan_bf16.hpp"

#include <memory>

namespace archbench::plugins::ssm {
namespace {

namespace sv = sdk::vulkan;

struct ScanPush {
  uint32_t tokens, heads, groups, head_dim, first, count, source;
};

class Mamba2Vulkan : public sdk::Instance {
 public:
  Mamba2Vulkan(const Mamba2Shape& s, const ab_host& host, const sdk::Tensors& tensors)
      : device_(sv::Device::from(host)), dummy_(device_, 16) {
    const bool bf16 = s.dtype == AB_DTYPE_BF16;
    const int64_t step = bf16 ? 2 : 1, N = s.d_state;
    groups_ = sv::groups_for(s.head_dim / step, vk::kLanes);
    heads_ = uint32_t(s.heads);
    batch_ = uint32_t(s.batch);
    sv::require_groups("ssm/mamba2 on Vulkan", groups_, heads_, batch_);
    auto bind = [&](const char* name) { return vk::tensor(device_, tensors, name); };
    scan_ = std::make_unique<sv::Kernel>(
        device_, bf16 ? ARCHBENCH_SPIRV(ssm_mamba2_scan_bf16) : ARCHBENCH_SPIRV(ssm_mamba2_scan), 9,
        sizeof(ScanPush), sv::Specialization{uint32_t(N)}, 1);
    set_ = scan_->bind({bind("x"), bind("dt"), bind("a_log"), bind("B"), bind("C"), bind("D"),
                        s.mode == Mode::decode ? bind("state") : sv::Binding::of(dummy_), bind("y"),
                        bind("state_out")});
    push_ = {uint32_t(s.tokens()), uint32_t(s.heads), uint32_t(s.groups), uint32_t(s.head_dim), 0, 0,
             s.mode == Mode::decode ? vk::kFromState : vk::kFromZero};
    // Per token: the n loop, the step loop inside it and around it; per
    // dispatch: the state's load and store.
    segment_ = vk::segment_tokens((N + 1) * (step + 1) + step, 2 * step * N);
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
      scan_->dispatch(cmd, set_, push, groups_, heads_, batch_);
    }
  }

 private:
  sv::Device device_;
  sv::Buffer dummy_;  // bound where a prefill has no state
  std::unique_ptr<sv::Kernel> scan_;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
  ScanPush push_{};
  uint32_t groups_ = 1, heads_ = 1, batch_ = 1;
  int64_t segment_ = 1;
};

}  // namespace

std::unique_ptr<sdk::Instance> Mamba2Variant::create_vulkan(const sdk::Problem& problem, const ab_host& host,
                                                            const sdk::Tensors& tensors) const {
  const Mamba2Shape shape = Mamba2Shape::of(problem);
  vk::require_storage("ssm/mamba2", shape.dtype, shape.head_dim, "head_dim");
  return std::make_unique<Mamba2Vulkan>(shape, host, tensors);
}

}  // namespace archbench::plugins::ssm
