// Vulkan calibration: empty dispatches, an FMA-bound shader and a copy, timed
// with the same timestamp queries that time the benchmarks.
#include "backends/vulkan/calibrate_vulkan.hpp"

#include <archbench/sdk_vulkan.hpp>

#include "spirv/calibrate_copy.hpp"
#include "spirv/calibrate_empty.hpp"
#include "spirv/calibrate_fma.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

namespace archbench::vulkan {
namespace {

namespace sv = sdk::vulkan;

sv::Device device_of(Context& context, ab_host& host) {
  host = ab_host{};
  host.struct_size = sizeof host;
  host.abi_min = AB_ABI_VERSION_MIN;
  host.abi_max = AB_ABI_VERSION_MAX;
  host.vulkan = &context.table();
  return sv::Device::from(host);
}

// Records `record` once between the timestamps; returns the best GPU time of
// `trials` replays (after one warm-up replay).
double best_time(Context& context, const Context::Recorder& record, int trials) {
  VkCommandBuffer cmd = context.record_timed(record);
  double best = 1e30;
  for (int t = 0; t <= trials; ++t) {
    const double s = context.submit_timed(cmd);
    if (t > 0) best = std::min(best, s);
  }
  context.free_command_buffer(cmd);
  return best;
}

std::string text(const char* format, double a, double b = 0) {
  char out[200];
  std::snprintf(out, sizeof out, format, a, b);
  return out;
}

}  // namespace

Calibration measure_dispatch_overhead_us(Context& context) {
  ab_host host;
  const sv::Device device = device_of(context, host);
  sv::Kernel empty(device, ARCHBENCH_SPIRV(calibrate_empty), 0, 0);
  const VkDescriptorSet set = empty.bind({});
  constexpr int kDispatches = 256;
  // Dependent dispatches (a barrier between each), as a plugin's steps are.
  const double seconds = best_time(context, [&](VkCommandBuffer cmd) {
    for (int i = 0; i < kDispatches; ++i) {
      empty.dispatch(cmd, set, 1);
      sv::compute_barrier(cmd);
    }
  }, 5);
  return {seconds / kDispatches * 1e6,
          text("GPU time per empty 64-invocation dispatch + barrier, best of 5 x %.0f in one command buffer",
               kDispatches)};
}

Calibration measure_submit_roundtrip_us(Context& context) {
  ab_host host;
  const sv::Device device = device_of(context, host);
  sv::Kernel empty(device, ARCHBENCH_SPIRV(calibrate_empty), 0, 0);
  const VkDescriptorSet set = empty.bind({});
  VkCommandBuffer cmd = context.record_timed([&](VkCommandBuffer c) { empty.dispatch(c, set, 1); });
  double best = 1e30;
  for (int t = 0; t < 50; ++t) {
    const auto start = std::chrono::steady_clock::now();
    context.submit_timed(cmd);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  context.free_command_buffer(cmd);
  return {best * 1e6, "host clock: submit one empty dispatch, wait for its fence, read its timestamps; best of 50"};
}

Calibration measure_fma_gflops(Context& context) {
  ab_host host;
  const sv::Device device = device_of(context, host);
  struct Push {
    uint32_t iterations;
    float seed;
  };
  sv::Kernel fma(device, ARCHBENCH_SPIRV(calibrate_fma), 1, sizeof(Push));
  // Enough invocations to fill a large GPU; iterations scaled so lavapipe stays ~0.1 s.
  const uint32_t groups = 1024, invocations = groups * 256;
  sv::Buffer out(device, uint64_t(invocations) * 16);
  const VkDescriptorSet set = fma.bind({sv::Binding::of(out)});
  double gflops = 0;
  uint32_t iterations = 16;
  for (;;) {
    const Push push{iterations, 1.0f};
    const double seconds = best_time(context, [&](VkCommandBuffer cmd) { fma.dispatch(cmd, set, push, groups); }, 3);
    gflops = double(invocations) * iterations * 8 * 4 * 2 / seconds / 1e9;
    if (seconds > 0.05 || iterations >= (1u << 20)) break;
    iterations *= 4;
  }
  return {gflops, text("vec4 FMA chains, %.0f invocations x %.0f iterations, best of 3", invocations, iterations)};
}

Calibration measure_copy_bandwidth_gbps(Context& context) {
  ab_host host;
  const sv::Device device = device_of(context, host);
  struct Push {
    uint32_t count;
  };
  sv::Kernel copy(device, ARCHBENCH_SPIRV(calibrate_copy), 2, sizeof(Push));
  const uint64_t bytes = uint64_t(256) << 20;  // far larger than any cache
  sv::Buffer source(device, bytes), target(device, bytes);
  context.run_now([&](VkCommandBuffer cmd) { vkCmdFillBuffer(cmd, source.get(), 0, VK_WHOLE_SIZE, 0x3c003c00u); });
  const VkDescriptorSet set = copy.bind({sv::Binding::of(source), sv::Binding::of(target)});
  const Push push{uint32_t(bytes / 16)};
  const double seconds = best_time(context, [&](VkCommandBuffer cmd) { copy.dispatch(cmd, set, push, 4096); }, 3);
  return {2.0 * double(bytes) / seconds / 1e9, text("vec4 copy of %.0f MiB (read + write counted), best of 3",
                                                    double(bytes >> 20))};
}

}  // namespace archbench::vulkan
