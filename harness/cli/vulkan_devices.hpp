// What the CLI knows about the Vulkan backend before running anything: is it
// built, is there a driver and a device, which device would run. Probed in a
// short-lived child process, because a Vulkan driver (and its threads) must
// not be loaded in the parent that forks the measurement children.
#pragma once

#include <string>
#include <vector>

namespace archbench::cli {

struct VulkanProbe {
  bool available = false;
  std::string reason;                 // why not, when unavailable
  std::vector<std::string> devices;   // one description per device (multi-line)
  std::vector<std::string> names;     // "llvmpipe (LLVM 15.0.6, 256 bits)", per device
  int chosen = -1;                    // the device automatic selection picks
};

VulkanProbe probe_vulkan();

// Runs the Vulkan calibration (in the calling process: call it in a child) and
// returns {metric: {value, details}} as JSON text.
std::string vulkan_calibration_json();

}  // namespace archbench::cli
