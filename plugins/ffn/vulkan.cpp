// Vulkan implementation of the FFN variants: two matmul dispatches of the
// SDK's tiled matmul (include/archbench/shaders/matmul.glsl), with the
// activation and the gate product fused into the first one's epilogue:
//
//   hidden = act(x W_gate) * (x W_up)     one pass; W_gate, W_up packed interleaved
//   y      = hidden W_down
//
// sdk::vulkan::Matmul packs each weight once in create() into the layout the
// shader streams and slices it to fit the device's binding limit.
#include <archbench/sdk_vulkan_matmul.hpp>

#include "ffn.hpp"
#include "spirv/ffn_down_shared.hpp"
#include "spirv/ffn_down_subgroup.hpp"
#include "spirv/ffn_gated_gelu_shared.hpp"
#include "spirv/ffn_gated_gelu_subgroup.hpp"
#include "spirv/ffn_gated_silu_shared.hpp"
#include "spirv/ffn_gated_silu_subgroup.hpp"
#include "spirv/ffn_up_gelu_shared.hpp"
#include "spirv/ffn_up_gelu_subgroup.hpp"

namespace archbench::plugins::ffn {
namespace {

namespace sv = sdk::vulkan;

// Must match the MM_* defines in CMakeLists.txt.
constexpr sv::MatmulTiling kTiling{FFN_PLAIN_TM, FFN_PLAIN_TN, 1, false};
constexpr sv::MatmulTiling kGatedTiling{FFN_GATED_TM, FFN_GATED_TN, 1, true};

struct Spirv {
  const uint32_t* words;
  size_t bytes;
};
#define FFN_SPIRV(name, subgroups) \
  (subgroups ? Spirv{archbench_spirv::name##_subgroup, archbench_spirv::name##_subgroup_bytes} \
             : Spirv{archbench_spirv::name##_shared, archbench_spirv::name##_shared_bytes})

class FfnVulkan : public sdk::Instance {
 public:
  FfnVulkan(const FfnVariant& variant, const sdk::Problem& problem, const ab_host& host,
            const sdk::Tensors& tensors)
      : device_(sv::Device::from(host)), no_bias_(device_, 16) {
    sv::require_f32(problem, variant.name());
    const auto tokens = uint32_t(problem.integer("tokens")), d_model = uint32_t(problem.integer("d_model")),
               d_ff = uint32_t(problem.integer("d_ff"));
    device_.require_bindable("the FFN input", uint64_t(tokens) * d_model * 4);
    device_.require_bindable("the FFN hidden activations", uint64_t(tokens) * d_ff * 4);
    hidden_ = sv::Buffer(device_, uint64_t(tokens) * d_ff * 4);
    const sv::Binding x = sv::Binding::of(device_, tensors["x"]), y = sv::Binding::of(device_, tensors["y"]);
    const auto weight = [&](const char* name) { return static_cast<const float*>(tensors[name].data); };
    const bool silu = variant.activation() == Activation::silu;
    const bool subgroups = sv::matmul_uses_subgroups(device_);
    const sv::Binding hidden = sv::Binding::of(hidden_), no_bias = sv::Binding::of(no_bias_);
    if (variant.gated()) {
      const Spirv up = silu ? FFN_SPIRV(ffn_gated_silu, subgroups) : FFN_SPIRV(ffn_gated_gelu, subgroups);
      up_ = std::make_unique<sv::Matmul>(device_, up.words, up.bytes, kGatedTiling, weight("w_gate"),
                                         weight("w_up"), tokens, d_model, d_ff, x, hidden, no_bias);
    } else if (!silu) {
      const Spirv up = FFN_SPIRV(ffn_up_gelu, subgroups);
      up_ = std::make_unique<sv::Matmul>(device_, up.words, up.bytes, kTiling, weight("w_up"), nullptr, tokens,
                                         d_model, d_ff, x, hidden, no_bias);
    } else {
      throw sdk::Unimplemented("ffn on Vulkan: an ungated SiLU MLP has no shader build");
    }
    const Spirv down = FFN_SPIRV(ffn_down, subgroups);
    down_ = std::make_unique<sv::Matmul>(device_, down.words, down.bytes, kTiling, weight("w_down"), nullptr,
                                         tokens, d_ff, d_model, hidden, y, no_bias);
  }

  void record(void* command_buffer) override {
    const auto cmd = static_cast<VkCommandBuffer>(command_buffer);
    up_->record(cmd);
    sv::compute_barrier(cmd);  // hidden is complete before the down projection reads it
    down_->record(cmd);
  }

 private:
  sv::Device device_;
  sv::Buffer no_bias_, hidden_;
  std::unique_ptr<sv::Matmul> up_, down_;
};

}  // namespace

std::unique_ptr<sdk::Instance> create_vulkan(const FfnVariant& variant, const sdk::Problem& problem,
                                             const ab_host& host, const sdk::Tensors& tensors) {
  return std::make_unique<FfnVulkan>(variant, problem, host, tensors);
}

}  // namespace archbench::plugins::ffn
