// archbench plugin SDK, Vulkan part — header-only helpers over the device the
// host lends (ab_host::vulkan). A Vulkan instance of a variant:
//
//   1. in its constructor (the variant's create): builds Kernels from SPIR-V
//      embedded in the plugin (archbench_add_shaders in CMake), allocates its
//      own scratch / packed-weight Buffers, uploads constants, binds tensors;
//   2. in record(cmd): dispatches its kernels with compute barriers between
//      dependent steps. The host submits that command buffer between two
//      timestamp queries, so the GPU's own clock times exactly these commands.
//
// Everything here throws on failure; the SDK turns exceptions into statuses.
#pragma once

#include <archbench/sdk.hpp>

#include <vulkan/vulkan.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace archbench::sdk::vulkan {

inline void check(VkResult result, const char* what) {
  if (result != VK_SUCCESS)
    throw std::runtime_error(std::string(what) + " failed (VkResult " + std::to_string(int(result)) + ")");
}

template <class Handle>
Handle handle_cast(uint64_t raw) {
  return reinterpret_cast<Handle>(static_cast<uintptr_t>(raw));
}

// The host's device, read from ab_host (ABI >= 2).
class Device {
 public:
  static Device from(const ab_host& host) {
    if (host.struct_size < offsetof(ab_host, vulkan) + sizeof(host.vulkan) || !host.vulkan)
      throw Unimplemented("this process has no Vulkan device");
    return Device(*host.vulkan);
  }
  VkDevice device() const { return static_cast<VkDevice>(raw_->device); }
  VkPhysicalDevice physical_device() const { return static_cast<VkPhysicalDevice>(raw_->physical_device); }
  VkPipelineCache pipeline_cache() const { return handle_cast<VkPipelineCache>(raw_->pipeline_cache); }
  uint32_t subgroup_size() const { return raw_->subgroup_size; }
  uint32_t max_shared_memory() const { return raw_->max_shared_memory; }
  uint64_t max_storage_range() const { return raw_->max_storage_range; }
  // A workgroup size that is exactly one full subgroup, for kernels that merge
  // their lanes with subgroup operations: pass it as the Kernel's
  // `whole_subgroup` so devices with several subgroup sizes (AMD, Intel) are
  // held to it; 0 where the device cannot guarantee it.
  uint32_t one_subgroup_workgroup() const {
    if (single_subgroup_size() || has(AB_VK_SUBGROUP_SIZE_CONTROL)) return raw_->subgroup_size;
    return 0;
  }
  // NVIDIA (32) and lavapipe (8) have one subgroup size; AMD and Intel several.
  bool single_subgroup_size() const { return raw_->min_subgroup_size == raw_->max_subgroup_size; }
  // Throws Unimplemented when one binding of `bytes` exceeds the device's limit.
  void require_bindable(const char* what, uint64_t bytes) const {
    if (bytes > raw_->max_storage_range)
      // Exact bytes: a binding just over the limit (guard bytes past 128 MiB)
      // would read "needs 128 MiB, allows 128 MiB" in whole MiB.
      throw Unimplemented(std::string(what) + " needs a storage binding of " + std::to_string(bytes) +
                          " bytes; this device allows " + std::to_string(raw_->max_storage_range) +
                          " (maxStorageBufferRange)");
  }
  bool has(uint32_t feature) const { return (raw_->features & feature) != 0; }

  // Where a host-bound tensor lives on the device.
  std::pair<VkBuffer, VkDeviceSize> tensor_buffer(const ab_tensor& tensor) const {
    uint64_t offset = 0;
    const uint64_t buffer = raw_->tensor_buffer(raw_->context, &tensor, &offset);
    if (!buffer) throw std::logic_error(std::string("tensor '") + tensor.desc->name + "' has no device buffer");
    return {handle_cast<VkBuffer>(buffer), offset};
  }
  void upload(VkBuffer buffer, VkDeviceSize offset, const void* data, size_t bytes) const {
    if (raw_->upload(raw_->context, uint64_t(reinterpret_cast<uintptr_t>(buffer)), offset, data,
                     bytes) != AB_OK)
      throw std::runtime_error("upload to a device buffer failed");
  }
  uint32_t memory_type(uint32_t type_bits, VkMemoryPropertyFlags wanted) const {
    VkPhysicalDeviceMemoryProperties properties;
    vkGetPhysicalDeviceMemoryProperties(physical_device(), &properties);
    for (uint32_t i = 0; i < properties.memoryTypeCount; ++i)
      if ((type_bits & (1u << i)) && (properties.memoryTypes[i].propertyFlags & wanted) == wanted)
        return i;
    throw std::runtime_error("no suitable Vulkan memory type");
  }

 private:
  explicit Device(const ab_vulkan& raw) : raw_(&raw) {}
  const ab_vulkan* raw_;
};

// A plugin-owned device-local storage buffer (scratch, packed weights, tables).
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Device& device, VkDeviceSize bytes) : device_(device.device()), bytes_(bytes) {
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = bytes ? bytes : 4;
    info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                 VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    check(vkCreateBuffer(device_, &info, nullptr, &buffer_), "vkCreateBuffer");
    VkMemoryRequirements needs;
    vkGetBufferMemoryRequirements(device_, buffer_, &needs);
    VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    allocate.allocationSize = needs.size;
    allocate.memoryTypeIndex = device.memory_type(needs.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    check(vkAllocateMemory(device_, &allocate, nullptr, &memory_), "vkAllocateMemory");
    check(vkBindBufferMemory(device_, buffer_, memory_, 0), "vkBindBufferMemory");
  }
  // A buffer holding `values`, uploaded once.
  template <class T>
  static Buffer with(const Device& device, const std::vector<T>& values) {
    Buffer buffer(device, values.size() * sizeof(T));
    if (!values.empty()) device.upload(buffer.get(), 0, values.data(), values.size() * sizeof(T));
    return buffer;
  }
  Buffer(Buffer&& other) noexcept { *this = std::move(other); }
  Buffer& operator=(Buffer&& other) noexcept {
    std::swap(device_, other.device_);
    std::swap(buffer_, other.buffer_);
    std::swap(memory_, other.memory_);
    std::swap(bytes_, other.bytes_);
    return *this;
  }
  ~Buffer() {
    if (buffer_) vkDestroyBuffer(device_, buffer_, nullptr);
    if (memory_) vkFreeMemory(device_, memory_, nullptr);
  }
  VkBuffer get() const { return buffer_; }
  VkDeviceSize bytes() const { return bytes_; }

 private:
  VkDevice device_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkDeviceSize bytes_ = 0;
};

// One storage-buffer binding: a buffer and the byte range the shader sees.
struct Binding {
  VkBuffer buffer;
  VkDeviceSize offset = 0;
  VkDeviceSize range = VK_WHOLE_SIZE;
  static Binding of(const Buffer& b) { return {b.get(), 0, VK_WHOLE_SIZE}; }
  // The whole 32-bit words the host allocates (plugin_abi.h, tensor_buffer):
  // a bf16 tensor of odd length ends mid-word.
  static Binding of(const Device& device, const ab_tensor& tensor) {
    auto [buffer, offset] = device.tensor_buffer(tensor);
    return {buffer, offset, (tensor.bytes + 3) / 4 * 4};
  }
};

// A shader's SPIR-V, as embedded by archbench_add_shader (cmake/shaders.cmake):
// ARCHBENCH_SPIRV(name) names the words and size of spirv/<name>.hpp.
struct Spirv {
  const uint32_t* words;
  size_t bytes;
};
#define ARCHBENCH_SPIRV(name) \
  (::archbench::sdk::vulkan::Spirv{::archbench_spirv::name, ::archbench_spirv::name##_bytes})

// Specialization constants, all 32-bit, numbered by constant_id from 0.
using Specialization = std::vector<uint32_t>;

// A compute pipeline over `bindings` storage buffers (set 0, bindings 0..n-1)
// with `push_bytes` of push constants. Descriptor sets come from its own pool.
class Kernel {
 public:
  // `whole_subgroup` > 0: the pipeline requires that subgroup size with full
  // subgroups (VK_EXT_subgroup_size_control), for kernels whose workgroup is
  // one subgroup; see Device::one_subgroup_workgroup().
  Kernel(const Device& device, Spirv spirv, uint32_t bindings,
         uint32_t push_bytes, const Specialization& constants = {}, uint32_t max_sets = 4,
         uint32_t whole_subgroup = 0)
      : device_(device.device()), push_bytes_(push_bytes) {
    std::vector<VkDescriptorSetLayoutBinding> slots(bindings);
    for (uint32_t i = 0; i < bindings; ++i)
      slots[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
    VkDescriptorSetLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    layout_info.bindingCount = bindings;
    layout_info.pBindings = slots.data();
    check(vkCreateDescriptorSetLayout(device_, &layout_info, nullptr, &set_layout_), "vkCreateDescriptorSetLayout");

    VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes};
    VkPipelineLayoutCreateInfo pipeline_layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    pipeline_layout_info.setLayoutCount = 1;
    pipeline_layout_info.pSetLayouts = &set_layout_;
    pipeline_layout_info.pushConstantRangeCount = push_bytes ? 1 : 0;
    pipeline_layout_info.pPushConstantRanges = &push;
    check(vkCreatePipelineLayout(device_, &pipeline_layout_info, nullptr, &pipeline_layout_), "vkCreatePipelineLayout");

    VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    module_info.codeSize = spirv.bytes;
    module_info.pCode = spirv.words;
    VkShaderModule module = VK_NULL_HANDLE;
    check(vkCreateShaderModule(device_, &module_info, nullptr, &module), "vkCreateShaderModule");
    std::vector<VkSpecializationMapEntry> entries(constants.size());
    for (uint32_t i = 0; i < constants.size(); ++i) entries[i] = {i, i * 4, 4};
    VkSpecializationInfo specialization{uint32_t(entries.size()), entries.data(), constants.size() * 4,
                                        constants.data()};
    VkComputePipelineCreateInfo pipeline_info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    pipeline_info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
    pipeline_info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    pipeline_info.stage.module = module;
    pipeline_info.stage.pName = "main";
    pipeline_info.stage.pSpecializationInfo = constants.empty() ? nullptr : &specialization;
    VkPipelineShaderStageRequiredSubgroupSizeCreateInfoEXT required{
        VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO_EXT};
    // Only where the device could pick another size.
    if (whole_subgroup && device.has(AB_VK_SUBGROUP_SIZE_CONTROL) && !device.single_subgroup_size()) {
      required.requiredSubgroupSize = whole_subgroup;
      pipeline_info.stage.pNext = &required;
      pipeline_info.stage.flags = VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT_EXT;
    }
    pipeline_info.layout = pipeline_layout_;
    const VkResult made = vkCreateComputePipelines(device_, device.pipeline_cache(), 1,
                                                   &pipeline_info, nullptr, &pipeline_);
    vkDestroyShaderModule(device_, module, nullptr);
    check(made, "vkCreateComputePipelines");

    VkDescriptorPoolSize pool_size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, bindings * max_sets};
    VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pool_info.maxSets = max_sets;
    pool_info.poolSizeCount = bindings ? 1 : 0;
    pool_info.pPoolSizes = &pool_size;
    check(vkCreateDescriptorPool(device_, &pool_info, nullptr, &pool_), "vkCreateDescriptorPool");
    bindings_ = bindings;
  }
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;
  ~Kernel() {
    vkDestroyDescriptorPool(device_, pool_, nullptr);
    vkDestroyPipeline(device_, pipeline_, nullptr);
    vkDestroyPipelineLayout(device_, pipeline_layout_, nullptr);
    vkDestroyDescriptorSetLayout(device_, set_layout_, nullptr);
  }

  // A descriptor set binding these buffers to bindings 0..n-1 (made at create
  // time, reused by every replay).
  VkDescriptorSet bind(const std::vector<Binding>& buffers) {
    if (buffers.size() != bindings_) throw std::logic_error("Kernel::bind: wrong number of buffers");
    VkDescriptorSetAllocateInfo allocate{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    allocate.descriptorPool = pool_;
    allocate.descriptorSetCount = 1;
    allocate.pSetLayouts = &set_layout_;
    VkDescriptorSet set = VK_NULL_HANDLE;
    check(vkAllocateDescriptorSets(device_, &allocate, &set), "vkAllocateDescriptorSets");
    std::vector<VkDescriptorBufferInfo> infos(buffers.size());
    std::vector<VkWriteDescriptorSet> writes(buffers.size());
    for (size_t i = 0; i < buffers.size(); ++i) {
      infos[i] = {buffers[i].buffer, buffers[i].offset, buffers[i].range};
      writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
      writes[i].dstSet = set;
      writes[i].dstBinding = uint32_t(i);
      writes[i].descriptorCount = 1;
      writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      writes[i].pBufferInfo = &infos[i];
    }
    vkUpdateDescriptorSets(device_, uint32_t(writes.size()), writes.data(), 0, nullptr);
    return set;
  }

  // Records one dispatch of groups (x, y, z) of a kernel without push constants.
  void dispatch(VkCommandBuffer cmd, VkDescriptorSet set, uint32_t x, uint32_t y = 1, uint32_t z = 1) const {
    if (push_bytes_ != 0) throw std::logic_error("Kernel::dispatch: this kernel needs push constants");
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_);
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_layout_, 0, 1, &set, 0, nullptr);
    vkCmdDispatch(cmd, x, y, z);
  }
  // Records one dispatch of groups (x, y, z) with `push` as push constants.
  template <class Push>
  void dispatch(VkCommandBuffer cmd, VkDescriptorSet set, const Push& push, uint32_t x,
                uint32_t y = 1, uint32_t z = 1) const {
    static_assert(std::is_trivially_copyable_v<Push>);
    if (sizeof(Push) != push_bytes_) throw std::logic_error("Kernel::dispatch: push-constant size mismatch");
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_);
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_layout_, 0, 1, &set, 0, nullptr);
    vkCmdPushConstants(cmd, pipeline_layout_, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(Push), &push);
    vkCmdDispatch(cmd, x, y, z);
  }

 private:
  VkDevice device_;
  uint32_t push_bytes_;
  uint32_t bindings_ = 0;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout pipeline_layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
  VkDescriptorPool pool_ = VK_NULL_HANDLE;
};

// Makes one dispatch's storage writes visible to the next dispatch's reads.
inline void compute_barrier(VkCommandBuffer cmd) {
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       0, 1, &barrier, 0, nullptr, 0, nullptr);
}

inline uint32_t groups_for(int64_t items, int64_t per_group) {
  return uint32_t((items + per_group - 1) / per_group);
}

// Every device allows 65535 workgroups per grid dimension (the spec's minimum
// maxComputeWorkGroupCount); a bigger grid is refused at create time as
// unimplemented, with the reason, instead of failing at dispatch.
inline void require_groups(const std::string& what, uint64_t x, uint64_t y = 1, uint64_t z = 1) {
  constexpr uint64_t kLimit = 65535;
  if (x > kLimit || y > kLimit || z > kLimit)
    throw Unimplemented(what + " needs a grid of " + std::to_string(x) + " x " + std::to_string(y) + " x " +
                        std::to_string(z) + " workgroups; the portable limit is 65535 per dimension");
}

}  // namespace archbench::sdk::vulkan
