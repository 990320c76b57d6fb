// Per-machine calibration file (see machine_calibration.hpp).
#include "harness/machine_calibration.hpp"

#include "backends/cpu/cpu_backend.hpp"
#include "harness/provenance.hpp"
#include "results/store.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace archbench {
namespace {

namespace fs = std::filesystem;

std::string cache_folder() {
  if (const char* dir = std::getenv("ARCHBENCH_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/archbench";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/archbench";
  return "";
}

// A file name part: letters, digits, '-', '.'; everything else '_'.
std::string file_safe(const std::string& text) {
  std::string out;
  for (const char c : text) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return out.empty() ? "unknown" : out;
}

// The metrics `calibrate` measures; the store's table may hold the same names.
constexpr const char* kKnown[][2] = {
    {"cpu", "matmul_f32_gflops"},     {"cpu", "matmul_bf16_gflops"},     {"cpu", "memory_bandwidth_gbps"},
    {"vulkan", "dispatch_overhead_us"}, {"vulkan", "submit_roundtrip_us"}, {"vulkan", "compute_f32_gflops"},
    {"vulkan", "memory_bandwidth_gbps"}};

}  // namespace

std::string machine_calibration_path() {
  const std::string folder = cache_folder();
  if (folder.empty()) return "";
  return folder + "/calibration-" + file_safe(host_name()) + "-" + file_safe(cpu::cpu_model()) + ".json";
}

Calibrations load_machine_calibration() {
  const std::string path = machine_calibration_path();
  if (path.empty()) return {};
  std::ifstream in(path);
  if (!in) return {};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_calibrations(text);
}

std::string save_machine_calibration(const Calibrations& measured) {
  const std::string path = machine_calibration_path();
  if (path.empty()) throw std::runtime_error("no cache folder for the calibration: set ARCHBENCH_CACHE_DIR or HOME");
  Calibrations all = load_machine_calibration();
  for (const auto& [name, value] : measured) all[name] = value;
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const std::string temporary = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << calibrations_json(all) << "\n";
    if (!out) throw std::runtime_error(path + ": cannot write the machine calibration");
  }
  fs::rename(temporary, path, ec);
  if (ec) throw std::runtime_error(path + ": cannot write the machine calibration: " + ec.message());
  return path;
}

Calibrations calibration_for_run(const results::Store& store) {
  Calibrations found = load_machine_calibration();
  if (!found.empty()) return found;
  for (const auto& [backend, metric] : kKnown)
    if (const auto value = store.latest_calibration(backend, metric))
      found[std::string(backend) + "/" + metric] = *value;
  return found;
}

std::string calibrations_json(const Calibrations& calibrations) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : calibrations) out[name] = value;
  return out.dump();
}

Calibrations parse_calibrations(const std::string& json) {
  Calibrations out;
  const nlohmann::json parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_object()) return out;
  for (const auto& [name, value] : parsed.items())
    if (value.is_number()) out[name] = value.get<double>();
  return out;
}

}  // namespace archbench
