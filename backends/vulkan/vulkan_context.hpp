// The Vulkan backend: the one instance and device of a process, chosen by
// --device or by score (discrete > integrated > virtual > CPU), its compute
// queue, a pipeline cache persisted across processes, staging transfers and
// timed submission with timestamp queries. Plugins borrow it through the
// ab_vulkan table (see plugin_abi.h); they record, the host submits and times.
//
// Every forked measurement child opens its own Context: Vulkan drivers and
// their threads do not survive fork, so the parent process never opens one.
#pragma once

#include "backends/vulkan/device_summary.hpp"

#include <archbench/plugin_abi.h>
#include <archbench/sdk_vulkan.hpp>

#include <vulkan/vulkan.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace archbench::vulkan {

class Context {
 public:
  explicit Context(const Options& options);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context();

  const DeviceSummary& summary() const { return summary_; }
  const ab_vulkan& table() const { return table_; }
  VkDevice device() const { return device_; }
  VkPhysicalDevice physical_device() const { return physical_; }
  VkQueue queue() const { return queue_; }
  VkCommandPool command_pool() const { return pool_; }
  VkDeviceSize storage_alignment() const { return storage_alignment_; }
  VkPipelineCache pipeline_cache() const { return pipeline_cache_; }

  // Validation messages of severity "error" since the context opened.
  size_t validation_errors() const { return validation_errors_; }
  const std::string& first_validation_error() const { return first_validation_error_; }

  // Buffers: device-local storage buffers and host-visible staging.
  struct Allocation {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkDeviceSize bytes = 0;
    void* mapped = nullptr;  // host-visible allocations only
  };
  Allocation allocate(VkDeviceSize bytes, bool host_visible);
  void release(Allocation& allocation);

  // Host <-> device copies through the staging buffer, complete on return.
  void upload(VkBuffer buffer, VkDeviceSize offset, const void* data, VkDeviceSize bytes);
  void download(VkBuffer buffer, VkDeviceSize offset, void* data, VkDeviceSize bytes);
  // Small scattered pieces (sampled elements) downloaded in one submission,
  // packed one after another in the result.
  struct Piece {
    VkBuffer buffer;
    VkDeviceSize offset, bytes;
  };
  std::vector<uint8_t> gather(const std::vector<Piece>& pieces);
  // Records with `record`, submits, waits (untimed work: fills, copies).
  void run_now(const std::function<void(VkCommandBuffer)>& record);

  // Command buffers the host records once and submits many times.
  VkCommandBuffer new_command_buffer();
  void free_command_buffer(VkCommandBuffer cmd);
  // A command buffer (free it with free_command_buffer) holding, in order:
  // `before`, the start timestamp, `measured`, the end timestamp, `after`.
  // Replay it with submit_timed, which returns the time between the stamps.
  using Recorder = std::function<void(VkCommandBuffer)>;
  VkCommandBuffer record_timed(const Recorder& measured, const Recorder& before = {},
                               const Recorder& after = {});
  // Submits `cmd`, waits, returns the GPU time between its two timestamps.
  double submit_timed(VkCommandBuffer cmd);

 private:
  void create_instance(bool validation);
  void open_device(uint32_t index);
  void submit_and_wait(VkCommandBuffer cmd);
  void write_start_timestamp(VkCommandBuffer cmd);  // queries 0 and 1 of the pool
  void write_end_timestamp(VkCommandBuffer cmd);
  void load_pipeline_cache();
  void save_pipeline_cache();
  std::string pipeline_cache_path() const;
  static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                   VkDebugUtilsMessageTypeFlagsEXT types,
                                                   const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                   void* self);

  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkQueryPool queries_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  VkPipelineCache pipeline_cache_ = VK_NULL_HANDLE;
  Allocation staging_;
  VkDeviceSize storage_alignment_ = 256;
  uint64_t timestamp_mask_ = ~0ull;
  DeviceSummary summary_;
  ab_vulkan table_{};
  size_t validation_errors_ = 0;
  std::string first_validation_error_;
  std::function<uint64_t(const ab_tensor*, uint64_t*)> tensor_lookup_;

 public:
  // The executor tells the context where bound tensors live (ab_vulkan.tensor_buffer).
  void set_tensor_lookup(std::function<uint64_t(const ab_tensor*, uint64_t*)> lookup) {
    tensor_lookup_ = std::move(lookup);
  }
};

// Throws with the call's name and VkResult when a Vulkan call fails (the SDK's).
using sdk::vulkan::check;

}  // namespace archbench::vulkan
