// The oneDNN CPU backend: one engine and one in-order stream per process, the
// thread count, and the ab_host table through which plugins borrow them.
#pragma once

#include <archbench/plugin_abi.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <string>

namespace archbench::cpu {

class CpuBackend {
 public:
  // threads <= 0 means "all cores". Sets OpenMP's (and so oneDNN's) thread count.
  explicit CpuBackend(int threads);
  CpuBackend(const CpuBackend&) = delete;
  CpuBackend& operator=(const CpuBackend&) = delete;

  const ab_host& host() const { return host_; }
  dnnl::engine& engine() { return engine_; }
  dnnl::stream& stream() { return stream_; }
  int threads() const { return threads_; }

 private:
  dnnl::engine engine_;
  dnnl::stream stream_;
  int threads_;
  ab_host host_{};
};

// Facts for provenance: "2.6.3", "avx2", the CPU model and its SIMD flags.
std::string onednn_version();
std::string onednn_isa();
std::string cpu_model();
std::string cpu_simd_flags();
int hardware_threads();

}  // namespace archbench::cpu
