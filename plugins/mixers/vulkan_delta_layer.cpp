// mixer/gated-deltanet's layer (d_model > 0, see layer.cpp) on Vulkan: every
// step recorded once into the command buffer, a barrier between dependent
// steps and no host round trip:
//
//   1. q, k, v, z = x W_q, x W_k, x W_v, x W_z; the gate logits
//      x [W_beta | W_alpha]                                    SDK matmul (5)
//   2. beta, alpha from the logits                             shaders/delta_gates.comp
//   3. the core: conv + SiLU, L2 norms, the gated delta rule,
//      the conv window                                         vulkan_delta.hpp (the core level's)
//   4. the gated RMSNorm of each head's output with SiLU(z)    shaders/gated_norm.comp
//   5. y = gated W_out                                         SDK matmul
//
// The projections land in dense buffers in the layouts the core level's own
// inputs have, so the core runs unchanged on them. bf16: x, the weights, q, k,
// v, z, the logits, the core's output, the gated rows and y are bf16 (pairs per
// 32-bit word, f32 arithmetic, rounding at each store); beta, alpha, the state
// and the core's scratch stay f32, as at core level. Pairs need even head
// widths (vulkan_common.hpp) and an even d_model.
#include "vulkan_delta.hpp"

#include <archbench/sdk_vulkan_matmul.hpp>

#include "spirv/mixers_delta_gates.hpp"
#include "spirv/mixers_delta_gates_bf16.hpp"
#include "spirv/mixers_gated_norm.hpp"
#include "spirv/mixers_gated_norm_bf16.hpp"
#include "spirv/mixers_projection_bf16_shared.hpp"
#include "spirv/mixers_projection_bf16_subgroup.hpp"
#include "spirv/mixers_projection_shared.hpp"
#include "spirv/mixers_projection_subgroup.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace archbench::plugins::mixers::vk {
namespace {

// Must match the MM_* defines in CMakeLists.txt.
constexpr sv::MatmulTiling kTiling{MIXERS_MM_TM, MIXERS_MM_TN, 1, false};
constexpr sv::MatmulTiling kBf16Tiling{MIXERS_MM_TM, MIXERS_MM_BF16_TN, 1, false, true};

struct RowsPush {
  uint32_t rows, heads;
};

// Row-major [k, n] weights side by side as one [k, sum of n] matrix.
template <class T>
std::vector<T> side_by_side(const std::vector<const ab_tensor*>& weights, int64_t k) {
  int64_t width = 0;
  for (const ab_tensor* w : weights) width += w->desc->dims[1];
  std::vector<T> out(size_t(k * width));
  int64_t first = 0;
  for (const ab_tensor* w : weights) {
    const int64_t n = w->desc->dims[1];
    const T* data = static_cast<const T*>(w->data);
    for (int64_t r = 0; r < k; ++r) std::copy(data + r * n, data + (r + 1) * n, out.begin() + r * width + first);
    first += n;
  }
  return out;
}

class DeltaLayerVulkan : public sdk::Instance {
 public:
  DeltaLayerVulkan(const Shape& s, const ab_host& host, const sdk::Tensors& tensors)
      : device_(sv::Device::from(host)), dummy_(device_, 16) {
    bf16_ = s.dtype == AB_DTYPE_BF16;
    subgroups_ = sv::matmul_uses_subgroups(device_);
    rows_ = s.batch * s.tokens();
    const int64_t dm = s.d_model, qk = s.qk_heads * s.dk, vz = s.heads * s.dv, H = s.heads;
    const sv::Binding dummy = sv::Binding::of(dummy_);
    auto bind = [&](const char* name) { return tensor(device_, tensors, name); };
    auto of = [](const sv::Buffer& b) { return sv::Binding::of(b); };
    q_ = activations("q", qk);
    k_ = activations("k", qk);
    v_ = activations("v", vz);
    z_ = activations("z", vz);
    logits_ = activations("the gate logits", 2 * H);
    out_ = activations("the core's output", vz);
    gated_ = activations("the gated rows", vz);
    beta_ = scratch(device_, "beta", rows_ * H);
    alpha_ = scratch(device_, "alpha", rows_ * H);

    // 1. and 5.
    const sv::Binding x = bind("x");
    q_proj_ = matmul({&tensors["w_q"]}, dm, x, of(q_));
    k_proj_ = matmul({&tensors["w_k"]}, dm, x, of(k_));
    v_proj_ = matmul({&tensors["w_v"]}, dm, x, of(v_));
    z_proj_ = matmul({&tensors["w_z"]}, dm, x, of(z_));
    gate_proj_ = matmul({&tensors["w_beta"], &tensors["w_alpha"]}, dm, x, of(logits_));
    out_proj_ = matmul({&tensors["w_out"]}, vz, of(gated_), bind("y"));

    // 2. and 4.: one invocation per (row, head), striding past the grid limit.
    push_ = {uint32_t(rows_), uint32_t(H)};
    groups_ = striding_groups(sv::groups_for(rows_ * H, kLanes));
    gates_ = std::make_unique<sv::Kernel>(
        device_, bf16_ ? ARCHBENCH_SPIRV(mixers_delta_gates_bf16) : ARCHBENCH_SPIRV(mixers_delta_gates), 5,
        sizeof(RowsPush), sv::Specialization{}, 1);
    gates_set_ = gates_->bind({of(logits_), bind("a_log"), bind("dt_bias"), of(beta_), of(alpha_)});
    norm_ = std::make_unique<sv::Kernel>(
        device_, bf16_ ? ARCHBENCH_SPIRV(mixers_gated_norm_bf16) : ARCHBENCH_SPIRV(mixers_gated_norm), 4,
        sizeof(RowsPush), sv::Specialization{uint32_t(s.dv)}, 1);
    norm_set_ = norm_->bind({of(out_), of(z_), bind("norm_weight"), of(gated_)});

    // 3.
    core_ = std::make_unique<DeltaCore>(
        device_, s, delta_bindings(device_, s, tensors, dummy, of(q_), of(k_), of(v_), of(beta_), of(alpha_), of(out_)));
  }

  void record(void* command_buffer) override {
    const auto cmd = static_cast<VkCommandBuffer>(command_buffer);
    for (const auto* projection : {&q_proj_, &k_proj_, &v_proj_, &z_proj_, &gate_proj_}) (*projection)->record(cmd);
    sv::compute_barrier(cmd);
    gates_->dispatch(cmd, gates_set_, push_, groups_);
    sv::compute_barrier(cmd);
    core_->record(cmd);
    sv::compute_barrier(cmd);
    norm_->dispatch(cmd, norm_set_, push_, groups_);
    sv::compute_barrier(cmd);
    out_proj_->record(cmd);
  }

 private:
  // A plugin-owned [rows, width] buffer in the problem dtype.
  sv::Buffer activations(const char* what, int64_t width) {
    const uint64_t bytes = uint64_t(rows_ * width) * (bf16_ ? 2 : 4);
    device_.require_bindable(what, bytes);
    return sv::Buffer(device_, bytes);
  }

  // C[rows, n] = A[rows, k] [W_1 | W_2 ...] for weights [k, n_i].
  std::unique_ptr<sv::Matmul> matmul(const std::vector<const ab_tensor*>& weights, int64_t k, sv::Binding a,
                                     sv::Binding c) {
    const sv::Spirv spirv = bf16_ ? (subgroups_ ? ARCHBENCH_SPIRV(mixers_projection_bf16_subgroup)
                                                : ARCHBENCH_SPIRV(mixers_projection_bf16_shared))
                                  : (subgroups_ ? ARCHBENCH_SPIRV(mixers_projection_subgroup)
                                                : ARCHBENCH_SPIRV(mixers_projection_shared));
    const sv::Binding no_bias = sv::Binding::of(dummy_);
    if (bf16_) {
      const auto w = side_by_side<uint16_t>(weights, k);
      const auto n = uint32_t(w.size() / size_t(k));
      return std::make_unique<sv::Matmul>(device_, spirv, kBf16Tiling, w.data(), nullptr, uint32_t(rows_),
                                          uint32_t(k), n, a, c, no_bias);
    }
    const auto w = side_by_side<float>(weights, k);
    const auto n = uint32_t(w.size() / size_t(k));
    return std::make_unique<sv::Matmul>(device_, spirv, kTiling, w.data(), nullptr, uint32_t(rows_), uint32_t(k), n,
                                        a, c, no_bias);
  }

  sv::Device device_;
  sv::Buffer dummy_;  // bound where the shape has no such tensor, and as the matmuls' absent bias
  sv::Buffer q_, k_, v_, z_, logits_, out_, gated_, beta_, alpha_;
  bool bf16_ = false, subgroups_ = false;
  int64_t rows_ = 0;
  std::unique_ptr<sv::Matmul> q_proj_, k_proj_, v_proj_, z_proj_, gate_proj_, out_proj_;
  std::unique_ptr<sv::Kernel> gates_, norm_;
  VkDescriptorSet gates_set_ = VK_NULL_HANDLE, norm_set_ = VK_NULL_HANDLE;
  RowsPush push_{};
  uint32_t groups_ = 1;
  std::unique_ptr<DeltaCore> core_;
};

}  // namespace

std::unique_ptr<sdk::Instance> make_delta_layer_instance(const Shape& shape, const ab_host& host,
                                                         const sdk::Tensors& tensors) {
  if (shape.dtype == AB_DTYPE_BF16 && shape.d_model % 2 != 0)
    throw sdk::Unimplemented("mixer/gated-deltanet's layer on Vulkan: bf16 values are read and written in pairs, so "
                             "d_model must be even (it is " + std::to_string(shape.d_model) + ")");
  return std::make_unique<DeltaLayerVulkan>(shape, host, tensors);
}

}  // namespace archbench::plugins::mixers::vk
