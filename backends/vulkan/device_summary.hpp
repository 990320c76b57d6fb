// What archbench knows about each Vulkan device before opening one: identity,
// driver, limits, subgroup size and optional features, and its score for
// automatic selection (discrete > integrated > virtual > CPU). Shown by
// `archbench devices` and `archbench list backends`.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace archbench::vulkan {

struct DeviceSummary {
  uint32_t index = 0;
  std::string name, type, driver, driver_info, api_version;
  uint32_t subgroup_size = 0;
  uint32_t max_shared_memory = 0;
  uint32_t max_workgroup_invocations = 0;
  uint64_t device_local_bytes = 0;
  float timestamp_period_ns = 0;
  bool timestamps = false;
  std::vector<std::string> features;  // "16-bit storage", "subgroup arithmetic", ...
  int score = 0;                      // < 0: cannot be timed, never picked
};

// The optional capabilities plugins may pick code paths by.
struct DeviceCapabilities {
  VkPhysicalDeviceProperties properties{};
  std::string driver_name, driver_info;
  uint32_t subgroup_size = 0;
  bool storage_16bit = false, float16 = false;
  bool subgroup_arithmetic = false, subgroup_shuffle = false;
  bool cooperative_matrix = false;
  // VK_EXT_subgroup_size_control for compute with full subgroups: a pipeline
  // may require a subgroup size in [min_subgroup_size, max_subgroup_size].
  bool subgroup_size_control = false;
  uint32_t min_subgroup_size = 0, max_subgroup_size = 0;
};

struct Options {
  std::optional<uint32_t> device;  // --device; best score when empty
  // Khronos validation layer on and every error counted (the tests set
  // ARCHBENCH_VULKAN_VALIDATION=1; a problem that causes an error fails).
  bool validation = false;
  static Options from_environment();  // ARCHBENCH_VULKAN_DEVICE, ARCHBENCH_VULKAN_VALIDATION
};

// The instance's physical devices, in the loader's order (the --device indices).
std::vector<VkPhysicalDevice> physical_devices(VkInstance instance);
DeviceCapabilities query_capabilities(VkPhysicalDevice device);
DeviceSummary summarize(uint32_t index, VkPhysicalDevice device);
// Lists the devices without opening any. Throws std::runtime_error when there
// is no loader, no driver or no device.
std::vector<DeviceSummary> list_devices();
// The index automatic selection picks (throws when none can be timed).
uint32_t best_device(const std::vector<DeviceSummary>& devices);

}  // namespace archbench::vulkan
