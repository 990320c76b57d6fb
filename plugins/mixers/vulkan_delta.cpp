// mixer/gated-deltanet on Vulkan: not built yet; its rows are recorded as
// unimplemented with this reason rather than left missing.
#include "vulkan_common.hpp"

namespace archbench::plugins::mixers::vk {

std::unique_ptr<sdk::Instance> make_delta_instance(const Shape&, const ab_host&, const sdk::Tensors&) {
  throw sdk::Unimplemented("mixer/gated-deltanet has no Vulkan shaders yet");
}

}  // namespace archbench::plugins::mixers::vk
