// A block on Vulkan (block_plan.hpp): each part is created on the host's device
// with its tensors bound to the block's (a lent ab_vulkan whose tensor_buffer
// answers for the part's tensors with the block tensors they are bound to), and
// the block records every part's commands and its own residual additions
// (shaders/block_add.comp) into the host's one command buffer, with a barrier
// after each step. The host times that command buffer as for any variant.
#include "harness/block_plan.hpp"
#include "harness/variant_abi.hpp"

#include <archbench/sdk_vulkan.hpp>

#include "spirv/block_add_bf16.hpp"
#include "spirv/block_add_f32.hpp"

#include <map>
#include <optional>

namespace archbench {
namespace {

namespace vk = sdk::vulkan;

struct AddPush {
  uint32_t words;
  float alpha, beta;
};

class BlockVulkan final : public sdk::Instance {
 public:
  BlockVulkan(std::shared_ptr<const BlockPlan> plan, const ab_host& host, const sdk::Tensors& tensors)
      : plan_(std::move(plan)), real_(host.vulkan), block_tensors_(tensors.raw()) {
    const vk::Device device = vk::Device::from(host);
    lent_ = *real_;
    lent_.context = this;
    lent_.tensor_buffer = &tensor_buffer;
    lent_.upload = &upload;
    host_ = host;
    host_.vulkan = &lent_;
    const uint64_t stream_bytes = uint64_t(plan_->elements) * (plan_->dtype == AB_DTYPE_F32 ? 4 : 2);
    device.require_bindable("the block's hidden stream", stream_bytes);

    words_ = uint32_t(plan_->dtype == AB_DTYPE_F32 ? plan_->elements : (plan_->elements + 1) / 2);
    uint32_t adds = 0;
    for (const BlockStep& step : plan_->steps) adds += step.part < 0;
    add_.emplace(device, plan_->dtype == AB_DTYPE_F32 ? ARCHBENCH_SPIRV(block_add_f32) : ARCHBENCH_SPIRV(block_add_bf16),
                 3, uint32_t(sizeof(AddPush)), vk::Specialization{}, std::max(adds, 1u));
    const uint32_t groups = vk::groups_for(words_, 256);
    groups_x_ = std::min<uint32_t>(groups, 65535);
    groups_y_ = vk::groups_for(groups, groups_x_);
    vk::require_groups("the block's residual addition", groups_x_, groups_y_);
    for (const BlockStep& step : plan_->steps) {
      if (step.part >= 0) continue;
      sets_.push_back(add_->bind({vk::Binding::of(device, block_tensors_[step.add.a]),
                                  vk::Binding::of(device, block_tensors_[step.add.b]),
                                  vk::Binding::of(device, block_tensors_[step.add.out])}));
    }
    try {
      for (const BlockPart& part : plan_->parts) {
        for (uint32_t j = 0; j < part.info.tensor_count; ++j) block_of_[&part.info.tensors[j]] = part.block_index[j];
        bound_.push_back(bind_part(part, block_tensors_));
        instances_.push_back(create_part(part, AB_BACKEND_VULKAN, host_, bound_.back()));
      }
    } catch (...) {
      release();
      throw;
    }
  }
  ~BlockVulkan() override { release(); }

  void record(void* command_buffer) override {
    auto cmd = static_cast<VkCommandBuffer>(command_buffer);
    size_t add_index = 0;
    for (const BlockStep& step : plan_->steps) {
      if (step.part >= 0) {
        const BlockPart& part = plan_->parts[size_t(step.part)];
        const ab_status status = part.problem.variant->record(instances_[size_t(step.part)], command_buffer);
        if (status != AB_OK) throw std::runtime_error(part.text + ": record: " + status_text(status));
      } else {
        add_->dispatch(cmd, sets_[add_index++], AddPush{words_, float(step.add.alpha), float(step.add.beta)}, groups_x_, groups_y_);
      }
      vk::compute_barrier(cmd);
    }
  }

 private:
  // The lent device's lookups: a part's tensor is the block tensor it is bound to.
  static uint64_t tensor_buffer(void* context, const ab_tensor* tensor, uint64_t* offset) {
    auto& self = *static_cast<BlockVulkan*>(context);
    auto it = self.block_of_.find(tensor->desc);
    if (it == self.block_of_.end()) return 0;
    return self.real_->tensor_buffer(self.real_->context, &self.block_tensors_[it->second], offset);
  }
  static ab_status upload(void* context, uint64_t buffer, uint64_t offset, const void* data, uint64_t bytes) {
    auto& self = *static_cast<BlockVulkan*>(context);
    return self.real_->upload(self.real_->context, buffer, offset, data, bytes);
  }
  void release() {
    for (size_t i = 0; i < instances_.size(); ++i)
      if (instances_[i]) plan_->parts[i].problem.variant->destroy(instances_[i]);
    instances_.clear();
  }

  std::shared_ptr<const BlockPlan> plan_;
  const ab_vulkan* real_;
  const ab_tensor* block_tensors_;
  ab_vulkan lent_{};
  ab_host host_{};
  std::map<const ab_tensor_desc*, uint32_t> block_of_;
  std::vector<std::vector<ab_tensor>> bound_;
  std::vector<ab_instance*> instances_;
  std::optional<vk::Kernel> add_;
  std::vector<VkDescriptorSet> sets_;
  uint32_t words_ = 0, groups_x_ = 1, groups_y_ = 1;
};

}  // namespace

std::unique_ptr<sdk::Instance> create_block_vulkan(std::shared_ptr<const BlockPlan> plan, const ab_host& host,
                                                   const sdk::Tensors& tensors) {
  return std::make_unique<BlockVulkan>(std::move(plan), host, tensors);
}

}  // namespace archbench
