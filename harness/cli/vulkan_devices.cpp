// Probes the Vulkan devices in a child process and describes each one.
#include "harness/cli/vulkan_devices.hpp"

#include "backends/vulkan/device_summary.hpp"
#include "harness/isolation.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace archbench::cli {
namespace {

std::string describe(const vulkan::DeviceSummary& d) {
  char text[640];
  std::string features;
  for (const auto& f : d.features) features += (features.empty() ? "" : ", ") + f;
  std::snprintf(text, sizeof text,
                "vulkan %u: %s (%s)\n  driver %s (%s), Vulkan %s\n"
                "  subgroup %u, shared memory %u KiB, workgroup <= %u invocations, %.1f GiB device-local\n"
                "  timestamps %s (%.3g ns/tick); features: %s",
                d.index, d.name.c_str(), d.type.c_str(), d.driver.c_str(), d.driver_info.c_str(),
                d.api_version.c_str(), d.subgroup_size, d.max_shared_memory / 1024, d.max_workgroup_invocations,
                double(d.device_local_bytes) / double(1ull << 30), d.timestamps ? "yes" : "NO (cannot be timed)",
                d.timestamp_period_ns, features.empty() ? "none" : features.c_str());
  return text;
}

}  // namespace

VulkanProbe probe_vulkan() {
  VulkanProbe probe;
  const ChildOutcome child = run_isolated(
      [] {
        nlohmann::json out;
        try {
          const auto devices = vulkan::list_devices();
          out["chosen"] = -1;
          try {
            out["chosen"] = vulkan::best_device(devices);
          } catch (const std::exception&) {
          }
          for (const auto& d : devices) out["devices"].push_back({{"text", describe(d)}, {"name", d.name + " [" + d.driver_info + "]"}});
        } catch (const std::exception& e) {
          out["error"] = e.what();
        }
        return out.dump();
      },
      60);
  if (child.kind != ChildOutcome::Kind::finished) {
    probe.reason = "the Vulkan driver crashed or hung while listing devices (" + child.reason + ")";
    return probe;
  }
  const auto out = nlohmann::json::parse(child.output);
  if (out.contains("error")) {
    probe.reason = out["error"].get<std::string>();
    return probe;
  }
  for (const auto& d : out["devices"]) {
    probe.devices.push_back(d["text"]);
    probe.names.push_back(d["name"]);
  }
  probe.chosen = out["chosen"];
  probe.available = probe.chosen >= 0;
  if (!probe.available) probe.reason = "no Vulkan device has a compute queue with timestamps";
  return probe;
}

}  // namespace archbench::cli

#include "backends/vulkan/calibrate_vulkan.hpp"

namespace archbench::cli {

std::string vulkan_calibration_json() {
  vulkan::Context context(vulkan::Options::from_environment());
  nlohmann::json out;
  auto put = [&](const char* metric, const vulkan::Calibration& m) {
    out[metric] = {{"value", m.value ? nlohmann::json(*m.value) : nlohmann::json(nullptr)}, {"details", m.details}};
  };
  put("dispatch_overhead_us", vulkan::measure_dispatch_overhead_us(context));
  put("submit_roundtrip_us", vulkan::measure_submit_roundtrip_us(context));
  put("compute_f32_gflops", vulkan::measure_fma_gflops(context));
  put("memory_bandwidth_gbps", vulkan::measure_copy_bandwidth_gbps(context));
  return out.dump();
}

}  // namespace archbench::cli
