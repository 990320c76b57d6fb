// Mock: Vulkan variants of y = x (recorded as a buffer copy, no shader needed),
// each misbehaving in one way the Vulkan runner must catch:
//   mock/vk-copy     correct
//   mock/vk-lazy     records nothing: outputs stay poisoned
//   mock/vk-overrun  also zeroes 64 bytes past the end of y: guard bytes change
//   mock/vk-invalid  records an invalid command (unaligned fill offset): the
//                    validation layer reports it and the problem fails
//   mock/vk-stale    answers from a copy of x taken at create time: right for
//                    the inputs it was created on, writes every element, but
//                    does no work for new inputs (timing's second input set)
#include <archbench/sdk_vulkan.hpp>

#include "mock_variant.hpp"

#include <optional>
#include <vector>

namespace {

namespace sdk = archbench::sdk;
namespace sv = archbench::sdk::vulkan;

enum class Fault { none, lazy, overrun, invalid, stale };

class VulkanCopy : public mock::CopyVariant {
 public:
  VulkanCopy(const char* name, Fault fault) : CopyVariant(name), fault_(fault) {
    backends({AB_BACKEND_CPU, AB_BACKEND_VULKAN});
  }
  struct Recorded : sdk::Instance {
    sv::Binding x, y;
    Fault fault;
    std::optional<sv::Buffer> stash;  // vk-stale: x as it was at create
    void execute() override {}
    void record(void* command_buffer) override {
      auto cmd = static_cast<VkCommandBuffer>(command_buffer);
      if (fault == Fault::lazy) return;
      if (fault == Fault::stale) {
        const VkBufferCopy region{0, y.offset, y.range};
        vkCmdCopyBuffer(cmd, stash->get(), y.buffer, 1, &region);
        return;
      }
      const VkBufferCopy region{x.offset, y.offset, y.range};
      vkCmdCopyBuffer(cmd, x.buffer, y.buffer, 1, &region);
      if (fault == Fault::overrun) vkCmdFillBuffer(cmd, y.buffer, y.offset + y.range, 64, 0);
      if (fault == Fault::invalid) vkCmdFillBuffer(cmd, y.buffer, y.offset + 2, 4, 0);
    }
  };
  std::unique_ptr<sdk::Instance> create(const sdk::Problem& problem, ab_backend backend, const ab_host& host,
                                        const sdk::Tensors& tensors) const override {
    if (backend == AB_BACKEND_CPU) return CopyVariant::create(problem, backend, host, tensors);
    const sv::Device device = sv::Device::from(host);
    auto instance = std::make_unique<Recorded>();
    instance->x = sv::Binding::of(device, tensors["x"]);
    instance->y = sv::Binding::of(device, tensors["y"]);
    instance->fault = fault_;
    if (fault_ == Fault::stale) {
      const ab_tensor& x = tensors["x"];
      const auto* bytes = static_cast<const uint8_t*>(x.data);
      instance->stash = sv::Buffer::with(device, std::vector<uint8_t>(bytes, bytes + x.bytes));
    }
    return instance;
  }

 private:
  Fault fault_;
};

struct Copy : VulkanCopy { Copy() : VulkanCopy("mock/vk-copy", Fault::none) {} };
struct Lazy : VulkanCopy { Lazy() : VulkanCopy("mock/vk-lazy", Fault::lazy) {} };
struct Overrun : VulkanCopy { Overrun() : VulkanCopy("mock/vk-overrun", Fault::overrun) {} };
struct Invalid : VulkanCopy { Invalid() : VulkanCopy("mock/vk-invalid", Fault::invalid) {} };
struct Stale : VulkanCopy { Stale() : VulkanCopy("mock/vk-stale", Fault::stale) {} };

}  // namespace

ARCHBENCH_PLUGIN("vulkan_misbehaving", "0.1.0", Copy, Lazy, Overrun, Invalid, Stale)
