// Vulkan implementation of the norm variants: one dispatch of shaders/norm.comp
// (one workgroup per row), the variant picked among SPIR-V builds of the same
// source with different defines (see CMakeLists.txt).
#include <archbench/sdk_vulkan.hpp>

#include "norm.hpp"
#include "spirv/norm_layer.hpp"
#include "spirv/norm_layer_bf16.hpp"
#include "spirv/norm_layer_residual.hpp"
#include "spirv/norm_layer_residual_bf16.hpp"
#include "spirv/norm_rms.hpp"
#include "spirv/norm_rms_bf16.hpp"
#include "spirv/norm_rms_residual.hpp"
#include "spirv/norm_rms_residual_bf16.hpp"

namespace archbench::plugins::norm {
namespace {

namespace sv = sdk::vulkan;

struct Push {  // matches shaders/norm.comp
  uint32_t rows;
  uint32_t d_model;
  float eps;
};

sv::Spirv pick(NormType type, bool residual, bool bf16) {
  const int index = (type == NormType::layer ? 4 : 0) + (residual ? 2 : 0) + (bf16 ? 1 : 0);
  const sv::Spirv table[8] = {
      ARCHBENCH_SPIRV(norm_rms),           ARCHBENCH_SPIRV(norm_rms_bf16),
      ARCHBENCH_SPIRV(norm_rms_residual),  ARCHBENCH_SPIRV(norm_rms_residual_bf16),
      ARCHBENCH_SPIRV(norm_layer),         ARCHBENCH_SPIRV(norm_layer_bf16),
      ARCHBENCH_SPIRV(norm_layer_residual), ARCHBENCH_SPIRV(norm_layer_residual_bf16),
  };
  return table[index];
}

class NormVulkan : public sdk::Instance {
 public:
  NormVulkan(const NormVariant& variant, const sdk::Problem& problem, const ab_host& host,
             const sdk::Tensors& tensors)
      : device_(sv::Device::from(host)), unused_(device_, 16) {
    const bool residual = problem.flag("residual"), bf16 = problem.dtype() == AB_DTYPE_BF16;
    const int64_t d_model = problem.integer("d_model");
    if (problem.dtype() == AB_DTYPE_F16) throw sdk::Unimplemented("norm on Vulkan: f16 storage is not implemented");
    if (bf16 && d_model % 2)
      throw sdk::Unimplemented("norm on Vulkan: bf16 rows are read as pairs, so d_model must be even");
    rows_ = uint32_t(problem.integer("tokens"));
    push_ = {rows_, uint32_t(d_model), float(problem.real("eps"))};
    const sv::Spirv spirv = pick(variant.type(), residual, bf16);
    kernel_ = std::make_unique<sv::Kernel>(device_, spirv, 6, sizeof(Push));
    // Bindings the variant does not use point at a small plugin-owned buffer.
    auto bound = [&](const char* name, bool present) {
      return present ? sv::Binding::of(device_, tensors[name]) : sv::Binding::of(unused_);
    };
    set_ = kernel_->bind({bound("x", true), bound("residual", residual), bound("gamma", true),
                          bound("beta", variant.type() == NormType::layer), bound("y", true),
                          bound("residual_out", residual)});
  }

  void record(void* command_buffer) override {
    // Workgroup counts are capped at 65535 per dimension: spread rows over y.
    const uint32_t x = std::min<uint32_t>(rows_, 65535), y = (rows_ + x - 1) / x;
    kernel_->dispatch(static_cast<VkCommandBuffer>(command_buffer), set_, push_, x, y);
  }

 private:
  sv::Device device_;
  sv::Buffer unused_;
  std::unique_ptr<sv::Kernel> kernel_;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
  Push push_{};
  uint32_t rows_ = 0;
};

}  // namespace

std::unique_ptr<sdk::Instance> NormVariant::create_vulkan(const sdk::Problem& problem, const ab_host& host,
                                                   const sdk::Tensors& tensors) const {
  return std::make_unique<NormVulkan>(*this, problem, host, tensors);
}

}  // namespace archbench::plugins::norm
