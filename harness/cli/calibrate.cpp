// `archbench calibrate` (measure and store this machine's peaks) and
// `archbench devices` (what each backend would run on).
#include "backends/cpu/calibrate_cpu.hpp"
#include "harness/cli/common.hpp"
#include "harness/cli/vulkan_devices.hpp"
#include "harness/errors.hpp"
#include "harness/isolation.hpp"
#include "harness/machine_calibration.hpp"
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

namespace {

// Prints and stores one backend's measured metrics (JSON from the child).
void store_metrics(results::Store& store, const std::string& backend, const nlohmann::json& measured,
                   std::initializer_list<Metric> metrics, Calibrations& machine) {
  for (const Metric& metric : metrics) {
    const auto& entry = measured.at(metric.name);
    const std::string details = entry.at("details");
    if (entry.at("value").is_null()) {
      std::printf("  %s %-22s unavailable: %s\n", backend.c_str(), metric.name, details.c_str());
      continue;
    }
    const double value = entry.at("value");
    store.record_calibration(0, {backend, metric.name, metric.unit, value, details});
    machine[backend + "/" + metric.name] = value;
    std::printf("  %s %-22s %10.2f %s  (%s)\n", backend.c_str(), metric.name, value, metric.unit, details.c_str());
  }
}

template <class Measurement>
void put(nlohmann::json& out, const char* metric, const Measurement& m) {
  out[metric] = {{"value", m.value ? nlohmann::json(*m.value) : nlohmann::json(nullptr)}, {"details", m.details}};
}

}  // namespace

int calibrate_command(const Context& context) {
  Globals globals;
  std::string backend_name = "all";
  po::options_description options("archbench calibrate");
  options.add_options()("backend", po::value(&backend_name), "cpu | vulkan | all (default: all available)");
  add_globals(options, globals, true);
  po::variables_map values;
  if (!parse("calibrate", "archbench calibrate [--backend B] [--threads N] [--db PATH]", context, options, values))
    return 0;
  if (backend_name != "cpu" && backend_name != "vulkan" && backend_name != "all")
    throw InputError("--backend: '" + backend_name + "' is not one of cpu, vulkan, all");
  VulkanProbe vulkan;
  if (backend_name != "cpu") {
    vulkan = probe_vulkan();
    if (!vulkan.available && backend_name == "vulkan")
      throw InputError("--backend vulkan: the Vulkan backend is unavailable: " + vulkan.reason);
  }
  const std::string db_path = database_path(globals);
  results::Store store = results::Store::open_readwrite(db_path);

  cpu::CpuBackend backend(globals.threads);
  Calibrations machine;  // also kept per machine, for runs into any database
  if (backend_name != "vulkan") {
    std::printf("calibrating cpu (%d threads): oneDNN matmul f32, bf16, memory read bandwidth...\n", backend.threads());
    std::fflush(stdout);
    // Measured in a child like every benchmark: the parent stays free of compute threads.
    const ChildOutcome child = run_isolated(
        [&] {
          nlohmann::json out;
          put(out, "matmul_f32_gflops", cpu::measure_matmul_gflops(backend, dnnl::memory::data_type::f32));
          put(out, "matmul_bf16_gflops", cpu::measure_matmul_gflops(backend, dnnl::memory::data_type::bf16));
          put(out, "memory_bandwidth_gbps", cpu::measure_read_bandwidth_gbps(backend));
          return out.dump();
        },
        900);
    if (child.kind != ChildOutcome::Kind::finished)
      throw std::runtime_error("calibration child failed: " + child.reason);
    store_metrics(store, "cpu", nlohmann::json::parse(child.output),
                  {Metric{"matmul_f32_gflops", "GFLOP/s"}, Metric{"matmul_bf16_gflops", "GFLOP/s"},
                   Metric{"memory_bandwidth_gbps", "GB/s"}}, machine);
  }
  if (vulkan.available) {
    std::printf("calibrating vulkan (%s): dispatch overhead, f32 FMA peak, copy bandwidth...\n",
                vulkan.names[size_t(vulkan.chosen)].c_str());
    std::fflush(stdout);
    const ChildOutcome child = run_isolated([] { return vulkan_calibration_json(); }, 900);
    if (child.kind != ChildOutcome::Kind::finished)
      throw std::runtime_error("vulkan calibration child failed: " + child.reason);
    store_metrics(store, "vulkan", nlohmann::json::parse(child.output),
                  {Metric{"dispatch_overhead_us", "us"}, Metric{"submit_roundtrip_us", "us"},
                   Metric{"compute_f32_gflops", "GFLOP/s"}, Metric{"memory_bandwidth_gbps", "GB/s"}}, machine);
  } else if (backend_name == "all") {
    std::printf("vulkan not calibrated: %s\n", vulkan.reason.c_str());
  }
  const std::string machine_file = save_machine_calibration(machine);
  std::printf("stored in %s and for this machine in %s; runs into any database now show fractions of these peaks\n",
              db_path.c_str(), machine_file.c_str());
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
  const VulkanProbe vulkan = probe_vulkan();
  if (!vulkan.available && vulkan.devices.empty()) {
    std::printf("vulkan: unavailable: %s\n", vulkan.reason.c_str());
    return 0;
  }
  for (size_t i = 0; i < vulkan.devices.size(); ++i)
    std::printf("%s%s\n", vulkan.devices[i].c_str(), int(i) == vulkan.chosen ? "\n  (picked by default; --device N picks another)" : "");
  return 0;
  return 0;
}

}  // namespace archbench::cli
