// Device discovery and scoring: what `archbench devices` shows and what the
// Context opens when no --device is given.
#include "backends/vulkan/device_summary.hpp"

#include <cstdlib>
#include <algorithm>
#include <stdexcept>
#include <string>

namespace archbench::vulkan {
namespace {

const char* type_name(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
  }
}

// A real GPU beats an integrated one, which beats a software rasterizer.
int type_score(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 1;
    default: return 0;
  }
}

std::string version_text(uint32_t v) {
  return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) +
         "." + std::to_string(VK_API_VERSION_PATCH(v));
}

bool has_extension(VkPhysicalDevice device, const char* name) {
  uint32_t count = 0;
  vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> extensions(count);
  vkEnumerateDeviceExtensionProperties(device, nullptr, &count, extensions.data());
  for (const auto& e : extensions)
    if (std::string(e.extensionName) == name) return true;
  return false;
}

}  // namespace

std::vector<VkPhysicalDevice> physical_devices(VkInstance instance) {
  uint32_t count = 0;
  vkEnumeratePhysicalDevices(instance, &count, nullptr);
  std::vector<VkPhysicalDevice> handles(count);
  vkEnumeratePhysicalDevices(instance, &count, handles.data());
  handles.resize(count);
  return handles;
}

DeviceCapabilities query_capabilities(VkPhysicalDevice device) {
  DeviceCapabilities caps;
  const bool size_control_extension = has_extension(device, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
  VkPhysicalDeviceSubgroupSizeControlFeaturesEXT size_control{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT};
  VkPhysicalDeviceVulkan12Features features12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  if (size_control_extension) features12.pNext = &size_control;
  VkPhysicalDeviceVulkan11Features features11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  features11.pNext = &features12;
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.pNext = &features11;
  vkGetPhysicalDeviceFeatures2(device, &features);
  VkPhysicalDeviceSubgroupSizeControlPropertiesEXT size_range{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES_EXT};
  VkPhysicalDeviceSubgroupProperties subgroup{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  if (size_control_extension) subgroup.pNext = &size_range;
  VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  driver.pNext = &subgroup;
  VkPhysicalDeviceProperties2 properties{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  properties.pNext = &driver;
  vkGetPhysicalDeviceProperties2(device, &properties);

  caps.properties = properties.properties;
  caps.driver_name = driver.driverName;
  caps.driver_info = driver.driverInfo;
  caps.subgroup_size = subgroup.subgroupSize;
  caps.storage_16bit = features11.storageBuffer16BitAccess;
  caps.float16 = features12.shaderFloat16;
  const bool compute_subgroups = subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT;
  caps.subgroup_arithmetic =
      compute_subgroups && (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
  caps.subgroup_shuffle =
      compute_subgroups && (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT);
  caps.cooperative_matrix = has_extension(device, "VK_KHR_cooperative_matrix");
  caps.subgroup_size_control = size_control_extension && size_control.subgroupSizeControl &&
                               size_control.computeFullSubgroups &&
                               (size_range.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT);
  caps.min_subgroup_size = caps.subgroup_size_control ? size_range.minSubgroupSize : caps.subgroup_size;
  caps.max_subgroup_size = caps.subgroup_size_control ? size_range.maxSubgroupSize : caps.subgroup_size;
  return caps;
}

DeviceSummary summarize(uint32_t index, VkPhysicalDevice device) {
  const DeviceCapabilities caps = query_capabilities(device);
  const VkPhysicalDeviceProperties& p = caps.properties;
  DeviceSummary s;
  s.index = index;
  s.name = p.deviceName;
  s.type = type_name(p.deviceType);
  s.driver = caps.driver_name;
  s.driver_info = caps.driver_info;
  s.api_version = version_text(p.apiVersion);
  s.subgroup_size = caps.subgroup_size;
  s.max_shared_memory = p.limits.maxComputeSharedMemorySize;
  s.max_workgroup_invocations = p.limits.maxComputeWorkGroupInvocations;
  s.timestamp_period_ns = p.limits.timestampPeriod;
  VkPhysicalDeviceMemoryProperties memory;
  vkGetPhysicalDeviceMemoryProperties(device, &memory);
  for (uint32_t i = 0; i < memory.memoryHeapCount; ++i)
    if (memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      s.device_local_bytes = std::max<uint64_t>(s.device_local_bytes, memory.memoryHeaps[i].size);
  uint32_t families = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &families, nullptr);
  std::vector<VkQueueFamilyProperties> family(families);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &families, family.data());
  for (const auto& f : family)
    if ((f.queueFlags & VK_QUEUE_COMPUTE_BIT) && f.timestampValidBits > 0) s.timestamps = true;
  if (caps.storage_16bit) s.features.push_back("16-bit storage");
  if (caps.float16) s.features.push_back("float16");
  if (caps.subgroup_arithmetic) s.features.push_back("subgroup arithmetic");
  if (caps.subgroup_shuffle) s.features.push_back("subgroup shuffle");
  if (caps.cooperative_matrix) s.features.push_back("cooperative matrix");
  if (caps.subgroup_size_control)
    s.features.push_back("subgroup size control " + std::to_string(caps.min_subgroup_size) + ".." +
                         std::to_string(caps.max_subgroup_size));
  // Type first; among equals, the bigger memory (a rough stand-in for the bigger part).
  s.score = type_score(p.deviceType) * 1000 + int(std::min<uint64_t>(s.device_local_bytes >> 30, 999));
  if (!s.timestamps) s.score = -1;  // cannot be timed: never picked by score
  return s;
}

std::vector<DeviceSummary> list_devices() {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "archbench";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  VkInstance instance = VK_NULL_HANDLE;
  const VkResult made = vkCreateInstance(&info, nullptr, &instance);
  if (made != VK_SUCCESS)
    throw std::runtime_error("no Vulkan driver could be loaded (vkCreateInstance: " +
                             std::to_string(int(made)) + "); install mesa-vulkan-drivers for lavapipe");
  const std::vector<VkPhysicalDevice> handles = physical_devices(instance);
  std::vector<DeviceSummary> devices;
  for (uint32_t i = 0; i < handles.size(); ++i) devices.push_back(summarize(i, handles[i]));
  vkDestroyInstance(instance, nullptr);
  if (devices.empty()) throw std::runtime_error("the Vulkan loader found no device");
  return devices;
}

uint32_t best_device(const std::vector<DeviceSummary>& devices) {
  uint32_t best = 0;
  for (const auto& d : devices)
    if (d.score > devices[best].score) best = d.index;
  if (devices.empty() || devices[best].score < 0)
    throw std::runtime_error("no Vulkan device has a compute queue with timestamps");
  return best;
}

Options Options::from_environment() {
  Options options;
  if (const char* v = std::getenv("ARCHBENCH_VULKAN_VALIDATION")) options.validation = std::string(v) == "1";
  if (const char* d = std::getenv("ARCHBENCH_VULKAN_DEVICE"); d && *d) options.device = uint32_t(std::atoi(d));
  return options;
}

}  // namespace archbench::vulkan
