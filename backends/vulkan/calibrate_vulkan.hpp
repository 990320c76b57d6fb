// Measures the Vulkan device's own figures with small calibration shaders
// (backends/vulkan/shaders): the per-dispatch overhead (an empty dispatch's
// GPU time, and the host's submit-to-completion round trip), peak f32 FMA
// throughput and copy bandwidth. All on the GPU clock (timestamp queries).
#pragma once

#include "backends/vulkan/vulkan_context.hpp"

#include <optional>
#include <string>

namespace archbench::vulkan {

struct Calibration {
  std::optional<double> value;
  std::string details;
};

Calibration measure_dispatch_overhead_us(Context& context);   // GPU time per empty dispatch
Calibration measure_submit_roundtrip_us(Context& context);    // host: submit + wait of one empty dispatch
Calibration measure_fma_gflops(Context& context);
Calibration measure_copy_bandwidth_gbps(Context& context);

}  // namespace archbench::vulkan
