// The dispatches of shaders/mamba_scan.comp, shared by ssm/mamba's core level
// (mamba_vulkan.cpp: the problem's own u, delta, B, C, z) and its layer level
// (mamba_layer_vulkan.cpp: the buffers the projections and the conv wrote).
// A prefill is a chain of dispatches over token segments (vulkan_common.hpp:
// llvmpipe's loop cap), each starting from the state the previous one left in
// state_out; a decode is one dispatch of one token from the given state.
// d_state and the gate are specialization constants; shapes are push constants.
#pragma once

#include "vulkan_common.hpp"

#include "spirv/ssm_mamba_scan.hpp"
#include "spirv/ssm_mamba_scan_bf16.hpp"

#include <memory>

namespace archbench::plugins::ssm::vk {

// The scan's buffers: [b, T, DI] activations (z only with the gate; `state`
// only in a decode), B and C [b, T, N], a_log [DI, N] and D [DI] in f32.
struct ScanBindings {
  sv::Binding u, delta, B, C, z, a_log, D, state, y, state_out;
};

class MambaScan {
 public:
  // `absent` is bound where the shape has no z or state.
  MambaScan(const sv::Device& device, const MambaShape& s, const ScanBindings& b, sv::Binding absent) {
    const bool bf16 = s.dtype == AB_DTYPE_BF16;
    const int64_t step = bf16 ? 2 : 1, N = s.d_state;
    groups_ = sv::groups_for(s.d_inner / step, kLanes);
    batch_ = uint32_t(s.batch);
    sv::require_groups("ssm/mamba's scan on Vulkan", groups_, batch_);
    const bool decode = s.mode == Mode::decode;
    kernel_ = std::make_unique<sv::Kernel>(
        device, bf16 ? ARCHBENCH_SPIRV(ssm_mamba_scan_bf16) : ARCHBENCH_SPIRV(ssm_mamba_scan), 10, sizeof(Push),
        sv::Specialization{uint32_t(N), s.gate ? 1u : 0u}, 1);
    set_ = kernel_->bind({b.u, b.delta, b.B, b.C, s.gate ? b.z : absent, b.a_log, b.D, decode ? b.state : absent,
                          b.y, b.state_out});
    push_ = {uint32_t(s.tokens()), uint32_t(s.d_inner), 0, 0, decode ? kFromState : kFromZero};
    // Per token: the n loop, the step loop inside it and around it; per
    // dispatch: the state's load and store.
    segment_ = segment_tokens((N + 1) * (step + 1) + step, 2 * step * (N + 1));
  }

  void record(VkCommandBuffer cmd) const {
    Push push = push_;
    for (int64_t first = 0; first < int64_t(push_.tokens); first += segment_) {
      if (first > 0) {  // this segment starts from the state the last one stored
        sv::compute_barrier(cmd);
        push.source = kFromStateOut;
      }
      push.first = uint32_t(first);
      push.count = uint32_t(std::min<int64_t>(segment_, push_.tokens - first));
      kernel_->dispatch(cmd, set_, push, groups_, batch_);
    }
  }

 private:
  struct Push {
    uint32_t tokens, d_inner, first, count, source;
  };
  std::unique_ptr<sv::Kernel> kernel_;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
  Push push_{};
  uint32_t groups_ = 1, batch_ = 1;
  int64_t segment_ = 1;
};

}  // namespace archbench::plugins::ssm::vk
