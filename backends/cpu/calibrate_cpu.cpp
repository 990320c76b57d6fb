// CPU calibration: peak matmul throughput and memory read bandwidth.
#include "backends/cpu/calibrate_cpu.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <sstream>
#include <vector>

namespace archbench::cpu {
namespace {

using clock_type = std::chrono::steady_clock;
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// GFLOP/s of the best of `trials` runs of one matmul shape, or empty if oneDNN
// has no implementation for this dtype on this CPU.
std::optional<double> best_matmul(CpuBackend& backend, dt dtype, int64_t m, int64_t k, int64_t n,
                                  int trials) {
  dnnl::memory::desc a({m, k}, dtype, tag::ab), c({m, n}, dtype, tag::ab);
  dnnl::memory::desc b_any({k, n}, dtype, tag::any);
  dnnl::matmul::primitive_desc pd;
  try {
    pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b_any, c), backend.engine());
  } catch (const dnnl::error&) {
    return std::nullopt;
  }
  dnnl::memory ma(a, backend.engine()), mb(pd.weights_desc(), backend.engine()),
      mc(c, backend.engine());
  // Finite data: denormals or NaN could change the speed of some paths.
  std::memset(ma.get_data_handle(), 0x3c, a.get_size());
  std::memset(mb.get_data_handle(), 0x3c, pd.weights_desc().get_size());
  dnnl::matmul prim(pd);
  double best = 0;
  for (int t = 0; t < trials + 1; ++t) {  // the first run warms caches and page tables
    auto start = clock_type::now();
    prim.execute(backend.stream(), {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}});
    backend.stream().wait();
    double elapsed = seconds_since(start);
    if (t > 0) best = std::max(best, 2.0 * m * k * n / elapsed / 1e9);
  }
  return best;
}

}  // namespace

PeakMeasurement measure_matmul_gflops(CpuBackend& backend, dt dtype) {
  struct Shape { int64_t m, k, n; };
  // Square and LLM-like (tokens x d_model x d_ff) shapes; the peak is their best.
  const Shape shapes[] = {{2048, 2048, 2048}, {512, 4096, 11008}, {4096, 4096, 1024}};
  PeakMeasurement out;
  std::ostringstream details;
  details << "oneDNN matmul best of 5 over";
  for (const Shape& s : shapes) {
    auto gflops = best_matmul(backend, dtype, s.m, s.k, s.n, 5);
    if (!gflops) {
      out.details = "oneDNN " + onednn_version() + " has no matmul for this dtype on ISA " +
                    onednn_isa();
      return out;
    }
    details << ' ' << s.m << 'x' << s.k << 'x' << s.n << '=' << int(*gflops);
    out.value = std::max(out.value.value_or(0.0), *gflops);
  }
  details << " GFLOP/s, " << backend.threads() << " threads";
  out.details = details.str();
  return out;
}

PeakMeasurement measure_read_bandwidth_gbps(CpuBackend& backend) {
  // 1 GiB: far beyond any L3 this harness is likely to meet (the VM reports 32-480 MiB).
  const int64_t count = (int64_t(1) << 30) / int64_t(sizeof(float));
  std::unique_ptr<float[]> buffer(new float[size_t(count)]);
  // First touch from every thread, as the reads will be.
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) buffer[size_t(i)] = 1.0f;
  double best = 0;
  volatile float sink = 0;
  for (int trial = 0; trial < 6; ++trial) {
    auto start = clock_type::now();
    float total = 0;
#pragma omp parallel reduction(+ : total)
    {
      // 32 independent partial sums: enough in flight that loads, not the add
      // latency chain, set the pace.
      float partial[32] = {};
#pragma omp for schedule(static)
      for (int64_t block = 0; block < count / 32; ++block) {
        const float* p = buffer.get() + block * 32;
#pragma omp simd
        for (int lane = 0; lane < 32; ++lane) partial[lane] += p[lane];
      }
      for (float value : partial) total += value;
    }
    double elapsed = seconds_since(start);
    sink = sink + total;
    if (trial > 0) best = std::max(best, double(count) * sizeof(float) / elapsed / 1e9);
  }
  PeakMeasurement out;
  out.value = best;
  std::ostringstream details;
  details << "parallel sum over 1 GiB, best of 5, " << backend.threads() << " threads";
  out.details = details.str();
  return out;
}

}  // namespace archbench::cpu
