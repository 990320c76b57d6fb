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
#include "spirv/block_depth0_bf16.hpp"
#include "spirv/block_depth0_f32.hpp"
#include "spirv/block_depth1_bf16.hpp"
#include "spirv/block_depth1_f32.hpp"
#include "spirv/block_depth2_bf16.hpp"
#include "spirv/block_depth2_f32.hpp"
#include "spirv/block_depth3_bf16.hpp"
#include "spirv/block_depth3_f32.hpp"

#include <map>
#include <optional>

namespace archbench {
namespace {

namespace vk = sdk::vulkan;

struct AddPush {
  uint32_t words;
  float alpha, beta;
};

struct DepthPush {
  uint32_t batch, tokens, kept, d_model;
};

// The mixture of depths' four passes (shaders/block_depth.comp) over the block's tensors.
class DepthKernels {
 public:
  DepthKernels(const vk::Device& device, const BlockPlan& plan, const ab_tensor* tensors) : depth_(*plan.depth) {
    const bool bf16 = plan.dtype == AB_DTYPE_BF16;
    if (bf16 && depth_.d_model % 2)
      throw sdk::Unimplemented("a mixture of depths in bf16 on Vulkan moves whole rows of bf16 pairs: d_model must "
                               "be even (it is " + std::to_string(depth_.d_model) + ")");
    const vk::Spirv spirv[2][4] = {
        {ARCHBENCH_SPIRV(block_depth0_f32), ARCHBENCH_SPIRV(block_depth1_f32), ARCHBENCH_SPIRV(block_depth2_f32),
         ARCHBENCH_SPIRV(block_depth3_f32)},
        {ARCHBENCH_SPIRV(block_depth0_bf16), ARCHBENCH_SPIRV(block_depth1_bf16), ARCHBENCH_SPIRV(block_depth2_bf16),
         ARCHBENCH_SPIRV(block_depth3_bf16)}};
    const uint32_t order[8] = {0, depth_.router, depth_.scores, depth_.chosen, depth_.kept_rows,
                               depth_.inner_x, depth_.inner_y, depth_.output};
    std::vector<vk::Binding> bindings;
    for (uint32_t index : order) bindings.push_back(vk::Binding::of(device, tensors[index]));
    for (int pass = 0; pass < 4; ++pass) {
      passes_[pass].emplace(device, spirv[bf16][pass], 8, uint32_t(sizeof(DepthPush)), vk::Specialization{}, 1);
      sets_[pass] = passes_[pass]->bind(bindings);
    }
    const uint32_t groups = vk::groups_for(depth_.batch * depth_.tokens, 64);
    groups_x_ = std::min<uint32_t>(groups, 65535);
    groups_y_ = vk::groups_for(groups, groups_x_);
    vk::require_groups("the mixture of depths", groups_x_, groups_y_);
  }
  // route: passes 0-2 (scores, select, gather); scatter: pass 3.
  void record(VkCommandBuffer cmd, bool route) {
    const DepthPush push{uint32_t(depth_.batch), uint32_t(depth_.tokens), uint32_t(depth_.kept),
                         uint32_t(depth_.d_model)};
    for (int pass = route ? 0 : 3; pass < (route ? 3 : 4); ++pass) {
      if (pass != (route ? 0 : 3)) vk::compute_barrier(cmd);
      passes_[pass]->dispatch(cmd, sets_[pass], push, groups_x_, groups_y_);
    }
  }

 private:
  BlockDepth depth_;
  std::optional<vk::Kernel> passes_[4];
  VkDescriptorSet sets_[4] = {};
  uint32_t groups_x_ = 1, groups_y_ = 1;
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
    for (const BlockStep& step : plan_->steps) adds += step.kind == BlockStep::Kind::add;
    add_.emplace(device, plan_->dtype == AB_DTYPE_F32 ? ARCHBENCH_SPIRV(block_add_f32) : ARCHBENCH_SPIRV(block_add_bf16),
                 3, uint32_t(sizeof(AddPush)), vk::Specialization{}, std::max(adds, 1u));
    const uint32_t groups = vk::groups_for(words_, 256);
    groups_x_ = std::min<uint32_t>(groups, 65535);
    groups_y_ = vk::groups_for(groups, groups_x_);
    vk::require_groups("the block's residual addition", groups_x_, groups_y_);
    if (plan_->depth) depth_.emplace(device, *plan_, block_tensors_);
    for (const BlockStep& step : plan_->steps) {
      if (step.kind != BlockStep::Kind::add) continue;
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
      switch (step.kind) {
        case BlockStep::Kind::part: {
          const BlockPart& part = plan_->parts[size_t(step.part)];
          const ab_status status = part.problem.variant->record(instances_[size_t(step.part)], command_buffer);
          if (status != AB_OK) throw std::runtime_error(part.text + ": record: " + status_text(status));
          break;
        }
        case BlockStep::Kind::add:
          add_->dispatch(cmd, sets_[add_index++], AddPush{words_, float(step.add.alpha), float(step.add.beta)},
                         groups_x_, groups_y_);
          break;
        case BlockStep::Kind::route: depth_->record(cmd, true); break;
        case BlockStep::Kind::scatter: depth_->record(cmd, false); break;
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
  std::optional<DepthKernels> depth_;
  std::vector<VkDescriptorSet> sets_;
  uint32_t words_ = 0, groups_x_ = 1, groups_y_ = 1;
};

}  // namespace

std::unique_ptr<sdk::Instance> create_block_vulkan(std::shared_ptr<const BlockPlan> plan, const ab_host& host,
                                                   const sdk::Tensors& tensors) {
  return std::make_unique<BlockVulkan>(std::move(plan), host, tensors);
}

}  // namespace archbench
