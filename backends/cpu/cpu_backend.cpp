// oneDNN engine/stream ownership and provenance queries for the CPU backend.
#include "backends/cpu/cpu_backend.hpp"

#include <omp.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace archbench::cpu {
namespace {

void* engine_of(void* context) { return static_cast<CpuBackend*>(context)->engine().get(); }
void* stream_of(void* context) { return static_cast<CpuBackend*>(context)->stream().get(); }
int32_t threads_of(void* context) { return static_cast<CpuBackend*>(context)->threads(); }
void log_line(void*, int32_t level, const char* message) {
  std::fprintf(stderr, "[plugin%s] %s\n", level > 0 ? " warning" : "", message);
}

std::string cpuinfo_field(const std::string& field) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

}  // namespace

CpuBackend::CpuBackend(int threads)
    : threads_(threads > 0 ? threads : hardware_threads()) {
  // Must precede the first parallel region: oneDNN's OpenMP runtime reads it.
  omp_set_num_threads(threads_);
  engine_ = dnnl::engine(dnnl::engine::kind::cpu, 0);
  stream_ = dnnl::stream(engine_);
  host_.struct_size = sizeof(ab_host);
  host_.abi_min = AB_ABI_VERSION_MIN;
  host_.abi_max = AB_ABI_VERSION_MAX;
  host_.context = this;
  host_.cpu_engine = &engine_of;
  host_.cpu_stream = &stream_of;
  host_.cpu_threads = &threads_of;
  host_.log = &log_line;
}

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  std::ostringstream out;
  out << v->major << '.' << v->minor << '.' << v->patch;
  return out.str();
}

std::string onednn_isa() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

std::string cpu_model() { return cpuinfo_field("model name"); }

std::string cpu_simd_flags() {
  std::istringstream flags(cpuinfo_field("flags"));
  std::string flag, out;
  while (flags >> flag) {
    bool simd = flag.rfind("avx", 0) == 0 || flag.rfind("amx", 0) == 0 || flag == "fma" ||
                flag.rfind("sse4", 0) == 0 || flag == "f16c";
    if (simd) out += (out.empty() ? "" : " ") + flag;
  }
  return out;
}

int hardware_threads() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? int(n) : 1;
}

}  // namespace archbench::cpu
