// `archbench calibrate` (measure and store this machine's peaks) and
// `archbench devices` (what each backend would run on).
#include "backends/cpu/calibrate_cpu.hpp"
#include "harness/cli/common.hpp"
#include "harness/errors.hpp"
#include "harness/isolation.hpp"
#include "harness/provenance.hpp"
#include "results/store.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace archbench::cli {
namespace {

struct Metric {
  const char* name;
  const char* unit;
};

}  // namespace

int calibrate_command(const Context& context) {
  Globals globals;
  po::options_description options("archbench calibrate");
  add_globals(options, globals, true);
  po::variables_map values;
  if (!parse("calibrate", "archbench calibrate [--threads N] [--db PATH]", context, options, values)) return 0;
  const std::string db_path = database_path(globals);
  results::Store store = results::Store::open_readwrite(db_path);

  cpu::CpuBackend backend(globals.threads);
  std::printf("calibrating cpu (%d threads): oneDNN matmul f32, bf16, memory read bandwidth...\n", backend.threads());
  std::fflush(stdout);
  // Measured in a child like every benchmark: the parent stays free of compute threads.
  const ChildOutcome child = run_isolated(
      [&] {
        nlohmann::json out;
        auto put = [&](const char* metric, const cpu::PeakMeasurement& m) {
          out[metric] = {{"value", m.value ? nlohmann::json(*m.value) : nlohmann::json(nullptr)},
                         {"details", m.details}};
        };
        put("matmul_f32_gflops", cpu::measure_matmul_gflops(backend, dnnl::memory::data_type::f32));
        put("matmul_bf16_gflops", cpu::measure_matmul_gflops(backend, dnnl::memory::data_type::bf16));
        put("memory_bandwidth_gbps", cpu::measure_read_bandwidth_gbps(backend));
        return out.dump();
      },
      900);
  if (child.kind != ChildOutcome::Kind::finished)
    throw std::runtime_error("calibration child failed: " + child.reason);

  const auto measured = nlohmann::json::parse(child.output);
  for (const Metric& metric : {Metric{"matmul_f32_gflops", "GFLOP/s"}, Metric{"matmul_bf16_gflops", "GFLOP/s"},
                               Metric{"memory_bandwidth_gbps", "GB/s"}}) {
    const auto& entry = measured.at(metric.name);
    const std::string details = entry.at("details");
    if (entry.at("value").is_null()) {
      std::printf("  cpu %-22s unavailable: %s\n", metric.name, details.c_str());
      continue;
    }
    const double value = entry.at("value");
    store.record_calibration(0, {"cpu", metric.name, metric.unit, value, details});
    std::printf("  cpu %-22s %8.1f %s  (%s)\n", metric.name, value, metric.unit, details.c_str());
  }
  std::printf("stored in %s; perf results now show fractions of these peaks\n", db_path.c_str());
  return 0;
}

int devices_command(const Context& context) {
  Globals globals;
  po::options_description options("archbench devices");
  add_globals(options, globals, true);
  po::variables_map values;
  if (!parse("devices", "archbench devices", context, options, values)) return 0;
  cpu::CpuBackend backend(globals.threads);
  std::printf("cpu 0: %s\n  oneDNN %s, ISA %s, SIMD %s, %d threads (of %d)\n", cpu::cpu_model().c_str(),
              cpu::onednn_version().c_str(), cpu::onednn_isa().c_str(), cpu::cpu_simd_flags().c_str(),
              backend.threads(), cpu::hardware_threads());
  std::printf("vulkan: unavailable (the Vulkan backend is not built in this version)\n");
  return 0;
}

}  // namespace archbench::cli
