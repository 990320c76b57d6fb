// norm/dyt on Vulkan: one dispatch of shaders/dyt.comp, one invocation per element.
#include "dyt.hpp"

#include <archbench/sdk_vulkan.hpp>

#include "spirv/dyt.hpp"

namespace sdk = archbench::sdk;
namespace sv = archbench::sdk::vulkan;

namespace {

struct Push {  // matches shaders/dyt.comp
  uint32_t elements, width, residual;
  float alpha;
};

struct DytVulkan : sdk::Instance {
  DytVulkan(const sdk::Problem& p, const ab_host& host, const sdk::Tensors& t)
      : device(sv::Device::from(host)), unused(device, 16), kernel(device, ARCHBENCH_SPIRV(dyt), 6, sizeof(Push)) {
    const bool residual = p.flag("residual");
    const int64_t elements = p.integer("tokens") * p.integer("d_model");
    if (elements >= (int64_t(1) << 32)) throw sdk::Unimplemented("norm/dyt on Vulkan: at most 2^32 elements");
    push = {uint32_t(elements), uint32_t(p.integer("d_model")), residual ? 1u : 0u, float(p.real("alpha"))};
    auto bound = [&](const char* name, bool present) {
      return present ? sv::Binding::of(device, t[name]) : sv::Binding::of(unused);
    };
    set = kernel.bind({bound("x", true), bound("residual", residual), bound("gamma", true), bound("beta", true),
                       bound("y", true), bound("residual_out", residual)});
  }
  void record(void* command_buffer) override {
    const uint32_t groups = (push.elements + 255) / 256;  // at most 2^24, spread over x and y
    const uint32_t x = std::min<uint32_t>(groups, 65535), y = (groups + x - 1) / x;
    kernel.dispatch(static_cast<VkCommandBuffer>(command_buffer), set, push, x, y);
  }
  sv::Device device;
  sv::Buffer unused;  // bound where the problem has no residual tensors
  sv::Kernel kernel;
  VkDescriptorSet set = VK_NULL_HANDLE;
  Push push{};
};

}  // namespace

std::unique_ptr<sdk::Instance> Dyt::create_vulkan(const sdk::Problem& p, const ab_host& host,
                                                  const sdk::Tensors& t) const {
  return std::make_unique<DytVulkan>(p, host, t);
}
