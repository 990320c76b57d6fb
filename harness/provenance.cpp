// Gathers the facts that make a stored result reproducible and comparable.
#include "harness/provenance.hpp"

#include "backends/cpu/cpu_backend.hpp"
#include "harness/registry.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>

#ifndef ARCHBENCH_SOURCE_DIR
#define ARCHBENCH_SOURCE_DIR "."
#endif
#ifndef ARCHBENCH_BUILD_TYPE
#define ARCHBENCH_BUILD_TYPE "unknown"
#endif

namespace archbench {
namespace {

std::string command_output(const std::string& command) {
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    std::array<char, 256> buffer;
    while (fgets(buffer.data(), int(buffer.size()), pipe)) out += buffer.data();
    pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

std::string git_revision() {
  const std::string git = "git -C '" + std::string(ARCHBENCH_SOURCE_DIR) + "' ";
  std::string sha = command_output(git + "rev-parse --verify -q HEAD 2>/dev/null");
  if (sha.empty()) return "unknown";
  if (!command_output(git + "status --porcelain --untracked-files=no 2>/dev/null").empty()) sha += "-dirty";
  return sha;
}

std::string host_name() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

results::RunInfo collect_provenance(const Registry& registry, int threads,
                                    const std::string& command_line, const std::string& suites) {
  results::RunInfo info;
  info.host = host_name();
  info.cpu_model = cpu::cpu_model();
  info.cpu_flags = cpu::cpu_simd_flags();
  info.threads = threads;
  info.onednn_version = cpu::onednn_version();
  info.onednn_isa = cpu::onednn_isa();
  info.git_sha = git_revision();
  info.build_type = ARCHBENCH_BUILD_TYPE;
  info.command_line = command_line;
  info.plugins_json = registry.plugins_json();
  info.suites = suites;
  return info;
}

}  // namespace archbench
