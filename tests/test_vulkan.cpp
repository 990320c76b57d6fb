// The Vulkan backend on whatever device the machine has (lavapipe in CI), with
// the Khronos validation layer on: the runner's checks (unwritten outputs,
// out-of-bounds writes, validation errors), every in-tree variant against its
// reference over its options, and the quick suite on both backends.
#include "harness/executor.hpp"
#include "harness/problem.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <set>

using namespace archbench;

namespace {

struct ValidationOn {
  ValidationOn() { setenv("ARCHBENCH_VULKAN_VALIDATION", "1", 1); }
};
const ValidationOn validation_on;

const Registry& vulkan_mocks() {
  static Registry registry = test_support::load_from({std::string(ARCHBENCH_MOCK_DIR) + "/vulkan_misbehaving"});
  return registry;
}

Measurement briefly(bool perf) {
  Measurement m;
  m.perf = perf;
  m.repetitions = 2;
  m.min_time_s = 0.001;
  m.warmup_s = 0;
  return m;
}

results::ResultRecord on_vulkan(const std::string& text, const Registry& registry, bool perf = false) {
  return execute_problem(parse_problem(text, registry), AB_BACKEND_VULKAN, test_support::cpu().host(),
                         briefly(perf), {});
}

}  // namespace

TEST_CASE("vulkan: a correct recorded copy passes and is timed on the GPU clock", "[vulkan]") {
  const auto r = on_vulkan("mock/vk-copy:n4096", vulkan_mocks(), true);
  INFO(r.reason);
  CHECK(r.outcome == "passed");
  CHECK(*r.nmse == 0);
  CHECK(r.samples.size() == 2);
  CHECK(*r.median_s > 0);
}

TEST_CASE("vulkan: an instance that records nothing leaves poisoned outputs and fails", "[vulkan]") {
  const auto r = on_vulkan("mock/vk-lazy:n4096", vulkan_mocks());
  CHECK(r.outcome == "failed");
  CHECK_THAT(r.reason, Catch::Contains("NaN"));
}

TEST_CASE("vulkan: writing past a tensor's end changes its device guard bytes and fails", "[vulkan]") {
  const auto r = on_vulkan("mock/vk-overrun:n4096", vulkan_mocks());
  CHECK(r.outcome == "failed");
  CHECK_THAT(r.reason, Catch::Contains("wrote outside tensor 'y'"));
}

TEST_CASE("vulkan: a validation error fails the problem that caused it", "[vulkan]") {
  const auto r = on_vulkan("mock/vk-invalid:n4096", vulkan_mocks());
  CHECK(r.outcome == "failed");
  CHECK_THAT(r.reason, Catch::Contains("Vulkan validation error"));
}

TEST_CASE("vulkan: norms match the reference for every option, dtype and odd shapes", "[vulkan]") {
  for (const char* variant : {"norm/rmsnorm", "norm/layernorm"})
    for (const char* dtype : {"f32", "bf16"})
      for (const char* shape : {"t1.dm2", "t3.dm34", "t5.dm1000", "t2.dm4098"})
        for (const char* residual : {"res0", "res1"}) {
          const std::string text = std::string(variant) + ":" + shape + "." + residual + "." + dtype;
          const auto r = on_vulkan(text, test_support::in_tree());
          INFO(text << " -> " << r.outcome << " " << r.reason);
          CHECK(r.outcome == "passed");
        }
  // bf16 reads pairs: an odd width is recorded as unimplemented, with the reason.
  const auto odd = on_vulkan("norm/rmsnorm:t2.dm33.bf16", test_support::in_tree());
  CHECK(odd.outcome == "unimplemented");
  CHECK_THAT(odd.reason, Catch::Contains("d_model must be even"));
}

TEST_CASE("vulkan: devices and list backends describe the device", "[vulkan]") {
  const auto devices = test_support::run_cli("devices");
  CHECK(devices.exit_code == 0);
  CHECK_THAT(devices.output, Catch::Contains("vulkan 0: "));
  CHECK_THAT(devices.output, Catch::Contains("subgroup "));
  const auto backends = test_support::run_cli("list backends");
  CHECK_THAT(backends.output, Catch::Contains("vulkan  available"));
}
