// Shared helpers for the tests: temporary folders, the in-tree and mock plugin
// registries, and running the built archbench binary.
#pragma once

#include "backends/cpu/cpu_backend.hpp"
#include "harness/registry.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

namespace test_support {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char pattern[] = "/tmp/archbench-test-XXXXXX";
    path = mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline archbench::cpu::CpuBackend& cpu() {
  static archbench::cpu::CpuBackend backend(0);
  return backend;
}

// A registry holding only the given plugin folders (no environment, no defaults).
inline archbench::Registry load_from(const std::vector<std::string>& dirs,
                                     std::vector<archbench::Refusal>* refusals = nullptr) {
  archbench::Registry registry;
  std::vector<archbench::Refusal> local;
  registry.load(dirs, cpu().host(), refusals ? *refusals : local);
  return registry;
}

inline const archbench::Registry& in_tree() {
  static archbench::Registry registry = load_from({ARCHBENCH_PLUGIN_DIR});
  return registry;
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs the built archbench with `arguments` (already shell-quoted), after
// `environment` ("NAME=value " assignments, or "").
inline CommandResult run_cli_with(const std::string& environment, const std::string& arguments) {
  const std::string command = environment + "'" + ARCHBENCH_BINARY + "' " + arguments + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline CommandResult run_cli(const std::string& arguments) { return run_cli_with("", arguments); }

// Every attention variant x mode x option x dtype at 45 tokens (no tile or
// block size divides it, so every tail path runs): the grid both backends'
// attention tests check against the reference.
inline std::vector<std::string> attention_option_grid() {
  const char* options[] = {"",           ".alibi",          ".nope",    ".rf0p5.theta5e5",
                           ".window.w7", ".chunk.w16",      ".sink1",   ".cap5",
                           ".qkn-head",  ".qkn-proj",       ".dm48",    ".dm40.bias1.qkn-head",
                           ".vhd24",     ".b3.window.w300", ".sink1.cap5.alibi.window.w9",
                           ".gate1",     ".dm48.gate1.bias1"};
  std::vector<std::string> grid;
  for (const char* variant : {"attention/mha:h3", "attention/gqa:h8.kvh2", "attention/mqa:h4"})
    for (const char* mode : {"prefill", "decode"})
      for (const char* option : options)
        for (const char* dtype : {"f32", "bf16"}) {
          std::string text = variant;
          text.insert(text.find(':') + 1, std::string(mode) + ".s45.");
          grid.push_back(text + ".hd16" + option + "." + dtype);
        }
  return grid;
}

inline std::string quoted(const std::string& text) { return "'" + text + "'"; }

}  // namespace test_support
