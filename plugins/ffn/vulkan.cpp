// Vulkan implementation of the FFN variants: two matmul dispatches of the
// SDK's tiled matmul (include/archbench/shaders/matmul.glsl), with the
// activation and the gate product fused into the first one's epilogue:
//
//   hidden = act(x W_gate) * (x W_up)     one pass; W_gate, W_up packed interleaved
//   y      = hidden W_down
//
// sdk::vulkan::Matmul packs each weight once in create() into the layout the
// shader streams and slices it to fit the device's binding limit.
//
// bf16: x, the weights, hidden and y are all stored as bf16 (the shader's BF16
// build: pairs per 32-bit word, f32 arithmetic, rounding at each store), as the
// CPU backend keeps them on bf16-capable CPUs. Pairs need even d_model and d_ff.
#include <archbench/sdk_vulkan_matmul.hpp>

#include "ffn.hpp"
#include "spirv/ffn_down_bf16_shared.hpp"
#include "spirv/ffn_down_bf16_subgroup.hpp"
#include "spirv/ffn_down_shared.hpp"
#include "spirv/ffn_down_subgroup.hpp"
#include "spirv/ffn_gated_gelu_bf16_shared.hpp"
#include "spirv/ffn_gated_gelu_bf16_subgroup.hpp"
#include "spirv/ffn_gated_gelu_shared.hpp"
#include "spirv/ffn_gated_gelu_subgroup.hpp"
#include "spirv/ffn_gated_silu_bf16_shared.hpp"
#include "spirv/ffn_gated_silu_bf16_subgroup.hpp"
#include "spirv/ffn_gated_silu_shared.hpp"
#include "spirv/ffn_gated_silu_subgroup.hpp"
#include "spirv/ffn_up_gelu_bf16_shared.hpp"
#include "spirv/ffn_up_gelu_bf16_subgroup.hpp"
#include "spirv/ffn_up_gelu_shared.hpp"
#include "spirv/ffn_up_gelu_subgroup.hpp"

namespace archbench::plugins::ffn {
namespace {

namespace sv = sdk::vulkan;

// Must match the MM_* (and BF16) defines in CMakeLists.txt.
constexpr sv::MatmulTiling kTiling{FFN_PLAIN_TM, FFN_PLAIN_TN, 1, false};
constexpr sv::MatmulTiling kGatedTiling{FFN_GATED_TM, FFN_GATED_TN, 1, true};
constexpr sv::MatmulTiling kBf16Tiling{FFN_PLAIN_TM, FFN_PLAIN_BF16_TN, 1, false, true};
constexpr sv::MatmulTiling kBf16GatedTiling{FFN_GATED_TM, FFN_GATED_TN, 1, true, true};

// The build of shader `name` for the storage and the matmul path.
#define FFN_SPIRV(name, bf16, subgroups)                                                            \
  (bf16 ? (subgroups ? ARCHBENCH_SPIRV(name##_bf16_subgroup) : ARCHBENCH_SPIRV(name##_bf16_shared)) \
        : (subgroups ? ARCHBENCH_SPIRV(name##_subgroup) : ARCHBENCH_SPIRV(name##_shared)))

// A weight's host data as T (float, or uint16_t bf16 bits); nullptr for no name.
template <class T>
const T* weight(const sdk::Tensors& tensors, const char* name) {
  return name ? static_cast<const T*>(tensors[name].data) : nullptr;
}

class FfnVulkan : public sdk::Instance {
 public:
  FfnVulkan(const FfnVariant& variant, const sdk::Problem& problem, const ab_host& host,
            const sdk::Tensors& tensors)
      : device_(sv::Device::from(host)), no_bias_(device_, 16) {
    const auto tokens = uint32_t(problem.integer("tokens")), d_model = uint32_t(problem.integer("d_model")),
               d_ff = uint32_t(problem.integer("d_ff"));
    const bool bf16 = problem.dtype() == AB_DTYPE_BF16;
    if (!bf16 && problem.dtype() != AB_DTYPE_F32)
      throw sdk::Unimplemented(std::string(variant.name()) + " on Vulkan: f32 and bf16 storage only");
    if (bf16 && (d_model % 2 || d_ff % 2))
      throw sdk::Unimplemented("ffn on Vulkan: bf16 needs even d_model and d_ff (values are read and written in pairs)");
    const uint32_t element = bf16 ? 2 : 4;
    device_.require_bindable("the FFN input", uint64_t(tokens) * d_model * element);
    device_.require_bindable("the FFN hidden activations", uint64_t(tokens) * d_ff * element);
    hidden_ = sv::Buffer(device_, uint64_t(tokens) * d_ff * element);
    const sv::Binding x = sv::Binding::of(device_, tensors["x"]), y = sv::Binding::of(device_, tensors["y"]);
    const sv::Binding hidden = sv::Binding::of(hidden_), no_bias = sv::Binding::of(no_bias_);
    const bool silu = variant.activation() == Activation::silu;
    const bool subgroups = sv::matmul_uses_subgroups(device_);
    // C[tokens, n] = A[tokens, k] times weight b (and b_up, gated).
    const auto matmul = [&](sv::Spirv spirv, const sv::MatmulTiling& tiling, const char* b, const char* b_up,
                            uint32_t k, uint32_t n, sv::Binding a, sv::Binding c) {
      if (bf16)
        return std::make_unique<sv::Matmul>(device_, spirv, tiling, weight<uint16_t>(tensors, b),
                                            weight<uint16_t>(tensors, b_up), tokens, k, n, a, c, no_bias);
      return std::make_unique<sv::Matmul>(device_, spirv, tiling, weight<float>(tensors, b),
                                          weight<float>(tensors, b_up), tokens, k, n, a, c, no_bias);
    };
    const sv::MatmulTiling& plain = bf16 ? kBf16Tiling : kTiling;
    if (variant.gated()) {
      const sv::Spirv up = silu ? FFN_SPIRV(ffn_gated_silu, bf16, subgroups) : FFN_SPIRV(ffn_gated_gelu, bf16, subgroups);
      up_ = matmul(up, bf16 ? kBf16GatedTiling : kGatedTiling, "w_gate", "w_up", d_model, d_ff, x, hidden);
    } else if (!silu) {
      up_ = matmul(FFN_SPIRV(ffn_up_gelu, bf16, subgroups), plain, "w_up", nullptr, d_model, d_ff, x, hidden);
    } else {
      throw sdk::Unimplemented("ffn on Vulkan: an ungated SiLU MLP has no shader build");
    }
    down_ = matmul(FFN_SPIRV(ffn_down, bf16, subgroups), plain, "w_down", nullptr, d_ff, d_model, hidden, y);
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

std::unique_ptr<sdk::Instance> FfnVariant::create_vulkan(const sdk::Problem& problem, const ab_host& host,
                                                  const sdk::Tensors& tensors) const {
  return std::make_unique<FfnVulkan>(*this, problem, host, tensors);
}

}  // namespace archbench::plugins::ffn
