// The Vulkan Context: instance (+ validation), device, queue, pools, the
// persisted pipeline cache, staging transfers and timestamp-timed submission.
#include "backends/vulkan/vulkan_context.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <unistd.h>

namespace archbench::vulkan {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";
constexpr VkDeviceSize kStagingBytes = VkDeviceSize(64) << 20;

bool layer_available(const char* name) {
  uint32_t count = 0;
  vkEnumerateInstanceLayerProperties(&count, nullptr);
  std::vector<VkLayerProperties> layers(count);
  vkEnumerateInstanceLayerProperties(&count, layers.data());
  for (const auto& l : layers)
    if (std::strcmp(l.layerName, name) == 0) return true;
  return false;
}

}  // namespace

Context::Context(const Options& options) {
  create_instance(options.validation);
  const std::vector<VkPhysicalDevice> handles = physical_devices(instance_);
  const uint32_t count = uint32_t(handles.size());
  std::vector<DeviceSummary> devices;
  for (uint32_t i = 0; i < count; ++i) devices.push_back(summarize(i, handles[i]));
  if (devices.empty()) throw std::runtime_error("the Vulkan loader found no device");
  uint32_t index = options.device ? *options.device : best_device(devices);
  if (index >= count)
    throw std::runtime_error("--device " + std::to_string(index) + ": there are only " +
                             std::to_string(count) + " Vulkan devices");
  if (!devices[index].timestamps)
    throw std::runtime_error("Vulkan device " + std::to_string(index) + " (" + devices[index].name +
                             ") has no compute queue with timestamps; it cannot be timed");
  summary_ = devices[index];
  physical_ = handles[index];
  open_device(index);
}

void Context::create_instance(bool validation) {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "archbench";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  const char* extension = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
  if (validation) {
    if (!layer_available(kValidationLayer))
      throw std::runtime_error(std::string("validation was requested but ") + kValidationLayer +
                               " is not installed (Debian: vulkan-validationlayers)");
    info.enabledLayerCount = 1;
    info.ppEnabledLayerNames = &kValidationLayer;
    info.enabledExtensionCount = 1;
    info.ppEnabledExtensionNames = &extension;
  }
  check(vkCreateInstance(&info, nullptr, &instance_), "vkCreateInstance");
  if (!validation) return;
  VkDebugUtilsMessengerCreateInfoEXT messenger{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  messenger.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT |
                              VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT;
  messenger.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                          VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                          VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messenger.pfnUserCallback = &Context::on_message;
  messenger.pUserData = this;
  auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
      vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
  if (!create) throw std::runtime_error("VK_EXT_debug_utils is missing although validation is on");
  check(create(instance_, &messenger, nullptr, &messenger_), "vkCreateDebugUtilsMessengerEXT");
}

VKAPI_ATTR VkBool32 VKAPI_CALL Context::on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                   VkDebugUtilsMessageTypeFlagsEXT,
                                                   const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                   void* user) {
  auto* self = static_cast<Context*>(user);
  const char* message = data && data->pMessage ? data->pMessage : "(no message)";
  if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
    if (self->validation_errors_++ == 0) self->first_validation_error_ = message;
    std::fprintf(stderr, "vulkan validation error: %s\n", message);
  } else {
    std::fprintf(stderr, "vulkan validation warning: %s\n", message);
  }
  return VK_FALSE;
}

void Context::open_device(uint32_t) {
  const DeviceCapabilities caps = query_capabilities(physical_);
  uint32_t families = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical_, &families, nullptr);
  std::vector<VkQueueFamilyProperties> family(families);
  vkGetPhysicalDeviceQueueFamilyProperties(physical_, &families, family.data());
  // Prefer a compute-only family (an async compute engine on GPUs), then any
  // family with compute; it must count timestamps.
  int chosen = -1;
  for (uint32_t i = 0; i < families; ++i) {
    const bool usable = (family[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && family[i].timestampValidBits > 0;
    if (!usable) continue;
    const bool compute_only = !(family[i].queueFlags & VK_QUEUE_GRAPHICS_BIT);
    if (chosen < 0 || (compute_only && (family[size_t(chosen)].queueFlags & VK_QUEUE_GRAPHICS_BIT)))
      chosen = int(i);
  }
  if (chosen < 0) throw std::runtime_error("no compute queue with timestamps");
  queue_family_ = uint32_t(chosen);
  const uint32_t valid_bits = family[size_t(chosen)].timestampValidBits;
  timestamp_mask_ = valid_bits >= 64 ? ~0ull : ((1ull << valid_bits) - 1);

  // Enable exactly the optional features the device has, so plugins may use them.
  VkPhysicalDeviceSubgroupSizeControlFeaturesEXT size_control{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT};
  size_control.subgroupSizeControl = size_control.computeFullSubgroups = VK_TRUE;
  VkPhysicalDeviceVulkan12Features features12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  features12.shaderFloat16 = caps.float16;
  std::vector<const char*> extensions;
  if (caps.subgroup_size_control) {
    features12.pNext = &size_control;
    extensions.push_back(VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
  }
  VkPhysicalDeviceVulkan11Features features11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  features11.storageBuffer16BitAccess = caps.storage_16bit;
  features11.pNext = &features12;
  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue_info.queueFamilyIndex = queue_family_;
  queue_info.queueCount = 1;
  queue_info.pQueuePriorities = &priority;
  VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  info.pNext = &features11;
  info.enabledExtensionCount = uint32_t(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queue_info;
  check(vkCreateDevice(physical_, &info, nullptr, &device_), "vkCreateDevice");
  vkGetDeviceQueue(device_, queue_family_, 0, &queue_);
  storage_alignment_ = std::max<VkDeviceSize>(caps.properties.limits.minStorageBufferOffsetAlignment, 16);

  VkCommandPoolCreateInfo pool{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool.queueFamilyIndex = queue_family_;
  check(vkCreateCommandPool(device_, &pool, nullptr, &pool_), "vkCreateCommandPool");
  VkQueryPoolCreateInfo queries{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
  queries.queryType = VK_QUERY_TYPE_TIMESTAMP;
  queries.queryCount = 2;
  check(vkCreateQueryPool(device_, &queries, nullptr, &queries_), "vkCreateQueryPool");
  VkFenceCreateInfo fence{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  check(vkCreateFence(device_, &fence, nullptr, &fence_), "vkCreateFence");
  load_pipeline_cache();
  staging_ = allocate(kStagingBytes, true);

  table_.struct_size = sizeof table_;
  table_.api_version = caps.properties.apiVersion;
  table_.instance = instance_;
  table_.physical_device = physical_;
  table_.device = device_;
  table_.queue_family = queue_family_;
  table_.subgroup_size = caps.subgroup_size;
  table_.features = (caps.storage_16bit ? AB_VK_STORAGE_16BIT : 0) | (caps.float16 ? AB_VK_FLOAT16 : 0) |
                    (caps.subgroup_arithmetic ? AB_VK_SUBGROUP_ARITHMETIC : 0) |
                    (caps.subgroup_shuffle ? AB_VK_SUBGROUP_SHUFFLE : 0) |
                    (caps.subgroup_size_control ? AB_VK_SUBGROUP_SIZE_CONTROL : 0);
  table_.min_subgroup_size = caps.min_subgroup_size;
  table_.max_subgroup_size = caps.max_subgroup_size;
  table_.max_shared_memory = caps.properties.limits.maxComputeSharedMemorySize;
  table_.max_storage_range = caps.properties.limits.maxStorageBufferRange;
  table_.pipeline_cache = uint64_t(reinterpret_cast<uintptr_t>(pipeline_cache_));
  table_.get_instance_proc_addr = reinterpret_cast<void*>(&vkGetInstanceProcAddr);
  table_.context = this;
  table_.tensor_buffer = [](void* self, const ab_tensor* tensor, uint64_t* offset) -> uint64_t {
    auto* context = static_cast<Context*>(self);
    return context->tensor_lookup_ ? context->tensor_lookup_(tensor, offset) : 0;
  };
  table_.upload = [](void* self, uint64_t buffer, uint64_t offset, const void* data,
                     uint64_t bytes) -> ab_status {
    try {
      static_cast<Context*>(self)->upload(reinterpret_cast<VkBuffer>(uintptr_t(buffer)), offset, data, bytes);
      return AB_OK;
    } catch (...) {
      return AB_ERR_BACKEND;
    }
  };
}

Context::~Context() {
  if (device_) {
    vkDeviceWaitIdle(device_);
    save_pipeline_cache();
    release(staging_);
    vkDestroyPipelineCache(device_, pipeline_cache_, nullptr);
    vkDestroyFence(device_, fence_, nullptr);
    vkDestroyQueryPool(device_, queries_, nullptr);
    vkDestroyCommandPool(device_, pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
  }
  if (messenger_) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy) destroy(instance_, messenger_, nullptr);
  }
  if (instance_) vkDestroyInstance(instance_, nullptr);
}

// ---- pipeline cache: compiled pipelines survive the process ------------------

std::string Context::pipeline_cache_path() const {
  std::filesystem::path dir;
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) dir = cache;
  else if (const char* home = std::getenv("HOME"); home && *home) dir = std::filesystem::path(home) / ".cache";
  else return {};
  const VkPhysicalDeviceProperties& p = query_capabilities(physical_).properties;
  char name[96];
  std::snprintf(name, sizeof name, "vulkan-pipelines-%04x-%04x-%08x.bin", p.vendorID, p.deviceID,
                p.driverVersion);
  return (dir / "archbench" / name).string();
}

void Context::load_pipeline_cache() {
  std::vector<char> data;
  if (const std::string path = pipeline_cache_path(); !path.empty()) {
    std::ifstream in(path, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  VkPipelineCacheCreateInfo info{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  info.initialDataSize = data.size();  // the driver checks the header and ignores a stale cache
  info.pInitialData = data.empty() ? nullptr : data.data();
  if (vkCreatePipelineCache(device_, &info, nullptr, &pipeline_cache_) != VK_SUCCESS) {
    info.initialDataSize = 0;
    info.pInitialData = nullptr;
    check(vkCreatePipelineCache(device_, &info, nullptr, &pipeline_cache_), "vkCreatePipelineCache");
  }
}

void Context::save_pipeline_cache() {
  const std::string path = pipeline_cache_path();
  size_t size = 0;
  if (path.empty() || vkGetPipelineCacheData(device_, pipeline_cache_, &size, nullptr) != VK_SUCCESS) return;
  std::vector<char> data(size);
  if (vkGetPipelineCacheData(device_, pipeline_cache_, &size, data.data()) != VK_SUCCESS) return;
  // Write-then-rename: concurrent runs never read a half-written cache.
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string temporary = path + "." + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::binary);
    out.write(data.data(), std::streamsize(size));
    if (!out) return;
  }
  std::filesystem::rename(temporary, path, ec);
}

// ---- buffers and transfers ----------------------------------------------------

Context::Allocation Context::allocate(VkDeviceSize bytes, bool host_visible) {
  Allocation a;
  a.bytes = bytes;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = std::max<VkDeviceSize>(bytes, 4);
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  check(vkCreateBuffer(device_, &info, nullptr, &a.buffer), "vkCreateBuffer");
  VkMemoryRequirements needs;
  vkGetBufferMemoryRequirements(device_, a.buffer, &needs);
  VkPhysicalDeviceMemoryProperties memory;
  vkGetPhysicalDeviceMemoryProperties(physical_, &memory);
  const VkMemoryPropertyFlags wanted = host_visible
      ? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
      : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  uint32_t type = UINT32_MAX;
  for (uint32_t i = 0; i < memory.memoryTypeCount && type == UINT32_MAX; ++i)
    if ((needs.memoryTypeBits & (1u << i)) && (memory.memoryTypes[i].propertyFlags & wanted) == wanted)
      type = i;
  if (type == UINT32_MAX) throw std::runtime_error("no Vulkan memory type for a storage buffer");
  VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  allocate.allocationSize = needs.size;
  allocate.memoryTypeIndex = type;
  check(vkAllocateMemory(device_, &allocate, nullptr, &a.memory), "vkAllocateMemory");
  check(vkBindBufferMemory(device_, a.buffer, a.memory, 0), "vkBindBufferMemory");
  if (host_visible) check(vkMapMemory(device_, a.memory, 0, VK_WHOLE_SIZE, 0, &a.mapped), "vkMapMemory");
  return a;
}

void Context::release(Allocation& a) {
  if (a.buffer) vkDestroyBuffer(device_, a.buffer, nullptr);
  if (a.memory) vkFreeMemory(device_, a.memory, nullptr);
  a = Allocation{};
}

void Context::run_now(const std::function<void(VkCommandBuffer)>& record) {
  VkCommandBuffer cmd = new_command_buffer();
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  check(vkBeginCommandBuffer(cmd, &begin), "vkBeginCommandBuffer");
  record(cmd);
  check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
  submit_and_wait(cmd);
  free_command_buffer(cmd);
}

void Context::upload(VkBuffer buffer, VkDeviceSize offset, const void* data, VkDeviceSize bytes) {
  const auto* source = static_cast<const uint8_t*>(data);
  for (VkDeviceSize done = 0; done < bytes; done += kStagingBytes) {
    const VkDeviceSize chunk = std::min(kStagingBytes, bytes - done);
    std::memcpy(staging_.mapped, source + done, size_t(chunk));
    run_now([&](VkCommandBuffer cmd) {
      const VkBufferCopy region{0, offset + done, chunk};
      vkCmdCopyBuffer(cmd, staging_.buffer, buffer, 1, &region);
    });
  }
}

void Context::download(VkBuffer buffer, VkDeviceSize offset, void* data, VkDeviceSize bytes) {
  auto* target = static_cast<uint8_t*>(data);
  for (VkDeviceSize done = 0; done < bytes; done += kStagingBytes) {
    const VkDeviceSize chunk = std::min(kStagingBytes, bytes - done);
    run_now([&](VkCommandBuffer cmd) {
      const VkBufferCopy region{offset + done, 0, chunk};
      vkCmdCopyBuffer(cmd, buffer, staging_.buffer, 1, &region);
    });
    std::memcpy(target + done, staging_.mapped, size_t(chunk));
  }
}

std::vector<uint8_t> Context::gather(const std::vector<Piece>& pieces) {
  std::vector<VkBufferCopy> regions;
  VkDeviceSize packed = 0;
  for (const Piece& piece : pieces) {
    regions.push_back({piece.offset, packed, piece.bytes});
    packed += piece.bytes;
  }
  if (packed > kStagingBytes) throw std::runtime_error("gather: more than the staging buffer holds");
  run_now([&](VkCommandBuffer cmd) {
    for (size_t i = 0; i < pieces.size(); ++i)
      if (regions[i].size) vkCmdCopyBuffer(cmd, pieces[i].buffer, staging_.buffer, 1, &regions[i]);
  });
  const auto* mapped = static_cast<const uint8_t*>(staging_.mapped);
  return std::vector<uint8_t>(mapped, mapped + packed);
}

// ---- command buffers and timing ---------------------------------------------------

VkCommandBuffer Context::new_command_buffer() {
  VkCommandBufferAllocateInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  info.commandPool = pool_;
  info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  info.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  check(vkAllocateCommandBuffers(device_, &info, &cmd), "vkAllocateCommandBuffers");
  return cmd;
}

void Context::free_command_buffer(VkCommandBuffer cmd) { vkFreeCommandBuffers(device_, pool_, 1, &cmd); }

VkCommandBuffer Context::record_timed(const Recorder& measured, const Recorder& before, const Recorder& after) {
  VkCommandBuffer cmd = new_command_buffer();
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  check(vkBeginCommandBuffer(cmd, &begin), "vkBeginCommandBuffer");
  if (before) before(cmd);
  write_start_timestamp(cmd);
  measured(cmd);
  write_end_timestamp(cmd);
  if (after) after(cmd);
  check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
  return cmd;
}

void Context::write_start_timestamp(VkCommandBuffer cmd) {
  vkCmdResetQueryPool(cmd, queries_, 0, 2);
  // Everything recorded before (fills, copies) finishes before the clock starts.
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 1,
                       &barrier, 0, nullptr, 0, nullptr);
  vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queries_, 0);
}

void Context::write_end_timestamp(VkCommandBuffer cmd) {
  // Bottom of pipe: after every measured command has completed.
  vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_, 1);
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1,
                       &barrier, 0, nullptr, 0, nullptr);
}

void Context::submit_and_wait(VkCommandBuffer cmd) {
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  check(vkResetFences(device_, 1, &fence_), "vkResetFences");
  check(vkQueueSubmit(queue_, 1, &submit, fence_), "vkQueueSubmit");
  check(vkWaitForFences(device_, 1, &fence_, VK_TRUE, UINT64_MAX), "vkWaitForFences");
}

double Context::submit_timed(VkCommandBuffer cmd) {
  submit_and_wait(cmd);
  uint64_t ticks[2] = {0, 0};
  check(vkGetQueryPoolResults(device_, queries_, 0, 2, sizeof ticks, ticks, sizeof(uint64_t),
                              VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
        "vkGetQueryPoolResults");
  const uint64_t elapsed = (ticks[1] - ticks[0]) & timestamp_mask_;
  return double(elapsed) * double(summary_.timestamp_period_ns) * 1e-9;
}

}  // namespace archbench::vulkan
