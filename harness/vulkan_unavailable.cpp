// Built when the Vulkan backend is not (no libvulkan-dev or glslc at configure
// time): every Vulkan problem is recorded as unimplemented, with the reason.
#include "harness/instance_runner.hpp"

namespace archbench {

CreatedRunner create_vulkan_runner(const ab_variant&, const ab_problem&, const ab_host&, TensorSet&) {
  return {nullptr, "unimplemented",
          "this archbench was built without the Vulkan backend (" ARCHBENCH_NO_VULKAN_REASON ")"};
}

}  // namespace archbench
