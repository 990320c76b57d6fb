// Catch2's main, in its own file so the test files compile independently.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <cstdlib>

namespace {
// Every test, and every archbench it starts, keeps its per-machine calibration
// (harness/machine_calibration.hpp) in the build tree, never in the user's cache.
const bool kPrivateCache = [] { return setenv("ARCHBENCH_CACHE_DIR", ARCHBENCH_TEST_CACHE_DIR, 1) == 0; }();
// Every Vulkan problem a test runs, in this process or an archbench it starts,
// runs under the Khronos validation layer; a validation error fails it.
const bool kVulkanValidation = [] { return setenv("ARCHBENCH_VULKAN_VALIDATION", "1", 1) == 0; }();
}  // namespace
