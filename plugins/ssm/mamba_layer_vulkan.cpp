// ssm/mamba's layer (d_model > 0, see mamba_layer.cpp) on Vulkan: every step
// recorded once into the command buffer, with a barrier between dependent
// steps and no host round trip:
//
//   1. in_proj: x W_in's x half -> x_in, its z half -> z (the gate)   SDK matmul
//   2. causal conv + SiLU -> u, the window a decode carries -> conv_out   shaders/mamba_conv.comp
//   3. x_proj: u W_x's three column blocks -> dt_low, B, C            SDK matmul
//   4. dt_proj + dt_bias + softplus -> delta                          SDK matmul, fused epilogue
//   5. the selective scan (x SiLU(z)) -> scanned, state_out           mamba_scan_vulkan.hpp (the core's)
//   6. out_proj: scanned W_out -> y                                   SDK matmul
//
// W_in and W_x are split by columns on the host, once, so every intermediate
// is a dense [rows, width] buffer in the layout the core scan already reads
// (its B, C and z are [b, T, width] tensors) instead of strided views.
//
// bf16: x, the weights, every intermediate activation and y are bf16 (pairs
// per 32-bit word, f32 arithmetic, rounding at each store), as the FFN's and
// the core scan's bf16 builds keep them; the states and the conv window stay
// f32. Pairs need even d_model, d_inner, d_state and dt_rank.
#include "mamba_scan_vulkan.hpp"

#include <archbench/sdk_vulkan_matmul.hpp>

#include "spirv/ssm_mamba_conv.hpp"
#include "spirv/ssm_mamba_conv_bf16.hpp"
#include "spirv/ssm_mamba_dt_bf16_shared.hpp"
#include "spirv/ssm_mamba_dt_bf16_subgroup.hpp"
#include "spirv/ssm_mamba_dt_shared.hpp"
#include "spirv/ssm_mamba_dt_subgroup.hpp"
#include "spirv/ssm_mamba_proj_bf16_shared.hpp"
#include "spirv/ssm_mamba_proj_bf16_subgroup.hpp"
#include "spirv/ssm_mamba_proj_shared.hpp"
#include "spirv/ssm_mamba_proj_subgroup.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace archbench::plugins::ssm {
namespace {

namespace sv = sdk::vulkan;

// Must match the MM_* defines in CMakeLists.txt.
constexpr sv::MatmulTiling kTiling{SSM_MM_TM, SSM_MM_TN, 1, false};
constexpr sv::MatmulTiling kBf16Tiling{SSM_MM_TM, SSM_MM_BF16_TN, 1, false, true};

// The build of matmul shader `name` for the storage and the matmul path.
#define SSM_MM_SPIRV(name, bf16, subgroups)                                                                 \
  (bf16 ? (subgroups ? ARCHBENCH_SPIRV(ssm_mamba_##name##_bf16_subgroup)                                    \
                     : ARCHBENCH_SPIRV(ssm_mamba_##name##_bf16_shared))                                     \
        : (subgroups ? ARCHBENCH_SPIRV(ssm_mamba_##name##_subgroup) : ARCHBENCH_SPIRV(ssm_mamba_##name##_shared)))

// Columns [first, first + count) of a row-major [rows, width] weight.
template <class T>
std::vector<T> columns(const void* weight, int64_t rows, int64_t width, int64_t first, int64_t count) {
  const T* w = static_cast<const T*>(weight);
  std::vector<T> out(size_t(rows * count));
  for (int64_t r = 0; r < rows; ++r)
    std::copy(w + r * width + first, w + r * width + first + count, out.begin() + r * count);
  return out;
}

struct ConvPush {
  uint32_t tokens, d_inner, d_conv, first_row, has_state;
};

class MambaLayerVulkan : public sdk::Instance {
 public:
  MambaLayerVulkan(const MambaShape& s, const ab_host& host, const sdk::Tensors& tensors)
      : device_(sv::Device::from(host)), dummy_(device_, 16) {
    bf16_ = s.dtype == AB_DTYPE_BF16;
    subgroups_ = sv::matmul_uses_subgroups(device_);
    const int64_t rows = s.batch * s.tokens(), di = s.d_inner, dm = s.d_model, N = s.d_state, dtr = s.dt_rank;
    rows_ = rows;
    const sv::Binding dummy = sv::Binding::of(dummy_);
    auto bind = [&](const char* name) { return vk::tensor(device_, tensors, name); };
    auto scratch = [&](const char* what, int64_t width) {
      const uint64_t bytes = uint64_t(rows * width) * (bf16_ ? 2 : 4);
      device_.require_bindable(what, bytes);
      return sv::Buffer(device_, bytes);
    };
    x_in_ = scratch("ssm/mamba's conv input", di);
    if (s.gate) z_ = scratch("ssm/mamba's gate", di);
    u_ = scratch("ssm/mamba's conv output", di);
    dt_low_ = scratch("ssm/mamba's dt_low", dtr);
    B_ = scratch("ssm/mamba's B", N);
    C_ = scratch("ssm/mamba's C", N);
    delta_ = scratch("ssm/mamba's delta", di);
    scanned_ = scratch("ssm/mamba's scan output", di);
    const auto of = [](const sv::Buffer& b) { return sv::Binding::of(b); };

    // 1., 3., 4., 6.: C[rows, count] = A W[:, first .. first + count) (+ dt_bias, softplus).
    const ab_tensor& w_in = tensors["w_in"];
    const ab_tensor& w_x = tensors["w_x"];
    const int64_t in_w = s.in_proj_width(), xw = s.x_proj_width();
    in_x_ = matmul(false, w_in, dm, in_w, 0, di, bind("x"), of(x_in_), dummy);
    if (s.gate) in_z_ = matmul(false, w_in, dm, in_w, di, di, bind("x"), of(z_), dummy);
    x_dt_ = matmul(false, w_x, di, xw, 0, dtr, of(u_), of(dt_low_), dummy);
    x_B_ = matmul(false, w_x, di, xw, dtr, N, of(u_), of(B_), dummy);
    x_C_ = matmul(false, w_x, di, xw, dtr + N, N, of(u_), of(C_), dummy);
    dt_ = matmul(true, tensors["w_dt"], dtr, di, 0, di, of(dt_low_), of(delta_), bind("dt_bias"));
    out_ = matmul(false, tensors["w_out"], di, dm, 0, dm, of(scanned_), bind("y"), dummy);

    // 2.
    const int64_t window = s.conv_window();
    const bool decode = s.mode == Mode::decode;
    conv_ = std::make_unique<sv::Kernel>(device_, bf16_ ? ARCHBENCH_SPIRV(ssm_mamba_conv_bf16)
                                                        : ARCHBENCH_SPIRV(ssm_mamba_conv),
                                         6, sizeof(ConvPush), sv::Specialization{}, 1);
    conv_set_ = conv_->bind({of(x_in_), bind("conv_w"), bind("conv_b"),
                             decode && window > 0 ? bind("conv_state") : dummy, of(u_),
                             window > 0 ? bind("conv_out") : dummy});
    conv_push_ = {uint32_t(s.tokens()), uint32_t(di), uint32_t(s.d_conv), 0, decode ? 1u : 0u};
    conv_groups_ = sv::groups_for(di / (bf16_ ? 2 : 1), vk::kLanes);

    // 5.
    vk::ScanBindings scan{of(u_), of(delta_), of(B_), of(C_), s.gate ? of(z_) : dummy, bind("a_log"), bind("D"),
                          decode ? bind("state") : dummy, of(scanned_), bind("state_out")};
    scan_ = std::make_unique<vk::MambaScan>(device_, s, scan, dummy);
  }

  void record(void* command_buffer) override {
    const auto cmd = static_cast<VkCommandBuffer>(command_buffer);
    in_x_->record(cmd);
    if (in_z_) in_z_->record(cmd);
    sv::compute_barrier(cmd);
    ConvPush push = conv_push_;
    for (int64_t first = 0; first < rows_; first += kMaxGroups) {
      push.first_row = uint32_t(first);
      conv_->dispatch(cmd, conv_set_, push, conv_groups_, uint32_t(std::min<int64_t>(kMaxGroups, rows_ - first)));
    }
    sv::compute_barrier(cmd);
    x_dt_->record(cmd);
    x_B_->record(cmd);
    x_C_->record(cmd);
    sv::compute_barrier(cmd);
    dt_->record(cmd);
    sv::compute_barrier(cmd);
    scan_->record(cmd);
    sv::compute_barrier(cmd);
    out_->record(cmd);
  }

 private:
  // The portable grid limit per dimension (sv::require_groups): the conv's
  // rows go in dispatches of at most this many.
  static constexpr int64_t kMaxGroups = 65535;

  // A matmul over columns [first, first + count) of `weight` ([k, width]).
  std::unique_ptr<sv::Matmul> matmul(bool dt, const ab_tensor& weight, int64_t k, int64_t width, int64_t first,
                                     int64_t count, sv::Binding a, sv::Binding c, sv::Binding bias) {
    const sv::Spirv spirv = dt ? SSM_MM_SPIRV(dt, bf16_, subgroups_) : SSM_MM_SPIRV(proj, bf16_, subgroups_);
    const auto m = uint32_t(rows_), kk = uint32_t(k), n = uint32_t(count);
    if (bf16_) {
      const auto w = columns<uint16_t>(weight.data, k, width, first, count);
      return std::make_unique<sv::Matmul>(device_, spirv, kBf16Tiling, w.data(), nullptr, m, kk, n, a, c, bias);
    }
    const auto w = columns<float>(weight.data, k, width, first, count);
    return std::make_unique<sv::Matmul>(device_, spirv, kTiling, w.data(), nullptr, m, kk, n, a, c, bias);
  }
  sv::Device device_;
  sv::Buffer dummy_;  // bound where a problem has no z, state or conv window
  sv::Buffer x_in_, z_, u_, dt_low_, B_, C_, delta_, scanned_;
  bool bf16_ = false, subgroups_ = false;
  std::unique_ptr<sv::Matmul> in_x_, in_z_, x_dt_, x_B_, x_C_, dt_, out_;
  std::unique_ptr<sv::Kernel> conv_;
  VkDescriptorSet conv_set_ = VK_NULL_HANDLE;
  ConvPush conv_push_{};
  uint32_t conv_groups_ = 1;
  int64_t rows_ = 0;
  std::unique_ptr<vk::MambaScan> scan_;
};

}  // namespace

std::unique_ptr<sdk::Instance> make_mamba_layer_vulkan(const MambaShape& s, const ab_host& host,
                                                       const sdk::Tensors& tensors) {
  const char* variant = "ssm/mamba's layer";
  vk::require_storage(variant, s.dtype, s.d_inner, "d_inner");
  vk::require_storage(variant, s.dtype, s.d_model, "d_model");
  vk::require_storage(variant, s.dtype, s.d_state, "d_state");
  vk::require_storage(variant, s.dtype, s.dt_rank, "dt_rank");
  return std::make_unique<MambaLayerVulkan>(s, host, tensors);
}

}  // namespace archbench::plugins::ssm
