// Measures this machine's CPU peaks — the denominators of every "fraction of
// peak" figure: oneDNN matmul GFLOP/s per dtype and memory read bandwidth.
#pragma once

#include "backends/cpu/cpu_backend.hpp"

#include <optional>
#include <string>

namespace archbench::cpu {

struct PeakMeasurement {
  std::optional<double> value;  // empty when the machine cannot do it (e.g. no bf16 matmul)
  std::string details;          // shapes, best-of counts, or why it is missing
};

// Best GFLOP/s of oneDNN matmul over a few large compute-bound shapes.
PeakMeasurement measure_matmul_gflops(CpuBackend& backend, dnnl::memory::data_type dtype);
// Best GB/s of a vectorized, all-threads read of a buffer far larger than L3.
PeakMeasurement measure_read_bandwidth_gbps(CpuBackend& backend);

}  // namespace archbench::cpu
