// The probe of a build without the Vulkan backend.
#include "harness/cli/vulkan_devices.hpp"

namespace archbench::cli {

VulkanProbe probe_vulkan() {
  VulkanProbe probe;
  probe.reason = "this archbench was built without the Vulkan backend (" ARCHBENCH_NO_VULKAN_REASON ")";
  return probe;
}

}  // namespace archbench::cli

namespace archbench::cli {
std::string vulkan_calibration_json() { return "{}"; }
}  // namespace archbench::cli
