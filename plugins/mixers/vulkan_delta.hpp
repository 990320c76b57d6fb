// Gated DeltaNet's Vulkan core (vulkan_delta.cpp), over buffers the caller
// binds: the problem's own q, k, v, beta and alpha at core level
// (d_model = 0), or the projections the layer level writes first
// (vulkan_delta_layer.cpp). Either way the same dispatches: the prepare pass,
// the chunks of a prefill or the decode step, and the conv window.
#pragma once

#include "vulkan_common.hpp"

#include <memory>

namespace archbench::plugins::mixers::vk {

// q, k [b, T, qk_heads, dk], v and out [b, T, heads, dv] and conv_weight,
// conv_state, conv_out in the problem dtype; beta, alpha [b, T, heads], state
// and state_out [b, heads, dk, dv] f32. Bind any small buffer where the shape
// has none (no conv weight with conv = 0, no state in a prefill, no window
// with conv < 2).
struct DeltaBindings {
  sv::Binding q, k, v, conv_weight, conv_state, beta, alpha, out, state, state_out, conv_out;
};

// q, k, v, beta, alpha and out as given (the problem's own tensors, or the
// layer's projections), and the rest from the problem's own tensors, which
// both levels bind the same way: conv_weight, the state a decode reads, the
// state left behind and the conv window, `dummy` where the shape has none.
DeltaBindings delta_bindings(const sv::Device& device, const Shape& s, const sdk::Tensors& tensors,
                             const sv::Binding& dummy, sv::Binding q, sv::Binding k, sv::Binding v,
                             sv::Binding beta, sv::Binding alpha, sv::Binding out);

class DeltaCore {
 public:
  DeltaCore(const sv::Device& device, const Shape& s, const DeltaBindings& b);
  // Reads its inputs as complete: the caller's barrier goes before this.
  void record(VkCommandBuffer cmd) const;

 private:
  struct PreparePush {
    uint32_t tokens, heads, qk_heads;
    float scale;
  };
  struct ChunkPush {
    uint32_t tokens, heads, qk_heads, chunks, chunk;
  };
  struct DecodePush {
    uint32_t heads, qk_heads;
  };
  struct WindowPush {
    uint32_t tokens, heads, qk_heads, batch;
  };
  sv::Buffer mixed_;  // the convolved, normalized [q | k | v] channels in f32
  uint32_t heads_, batch_;
  std::unique_ptr<sv::Kernel> prepare_, step_, window_;
  VkDescriptorSet prepare_set_ = VK_NULL_HANDLE, step_set_ = VK_NULL_HANDLE, window_set_ = VK_NULL_HANDLE;
  PreparePush prepare_push_{};
  ChunkPush chunk_push_{};
  DecodePush decode_push_{};
  WindowPush window_push_{};
  uint32_t groups_ = 1, prepare_groups_ = 1, window_groups_ = 1;
};

}  // namespace archbench::plugins::mixers::vk
