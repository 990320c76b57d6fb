// Shared plumbing of the subcommands: global options, option parsing with
// one-line errors, the database path, and plugin loading with refusal lines.
#pragma once

#include "harness/registry.hpp"

#include <boost/program_options.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace archbench::cli {

namespace po = boost::program_options;

struct Context {
  std::string command_line;                 // as typed, for provenance
  std::vector<std::string> args;            // after the subcommand name
};

struct Globals {
  std::string db;
  std::vector<std::string> plugin_dirs;
  int threads = 0;
};

// Adds --db (and, when `with_plugins`, --plugin-dir and --threads).
void add_globals(po::options_description& options, Globals& globals, bool with_plugins);

// Parses `args`; returns false after printing help when --help was given.
// Bad options throw InputError("<command>: <what>").
bool parse(const std::string& command, const std::string& usage, const Context& context,
           po::options_description& options, po::variables_map& values,
           const po::positional_options_description* positional = nullptr);

std::string database_path(const Globals& globals);  // --db, ARCHBENCH_DB, ./archbench.db

// "run 3 marked abandoned: ..." for the runs Store::abandoned_runs found.
std::string abandoned_note(const std::vector<int64_t>& run_ids);

// Loads plugins; prints one line per refused plugin to stderr. `hash_libraries`:
// see Registry::load (only commands that record results need the hashes).
void load_plugins(Registry& registry, const Globals& globals, const ab_host& host, bool hash_libraries);

// The backends a run uses, and what to say about Vulkan once the run starts.
struct Backends {
  std::vector<ab_backend> list;
  std::string vulkan_device;  // "vulkan device 0: llvmpipe (...) [Mesa ...]" when Vulkan runs
  std::string note;           // why "all" left Vulkan out
};

// --backend NAME (cpu | vulkan | all) and --device: "all" is every backend this
// machine can run; naming an unavailable one is an input error.
Backends resolve_backends(const std::string& name, std::optional<int> device);

using Handler = int (*)(const Context&);
int list_command(const Context&);
int run_command(const Context&);
int leaderboard_command(const Context&);
int query_command(const Context&);
int runs_command(const Context&);
int compare_command(const Context&);
int history_command(const Context&);
int regressions_command(const Context&);
int calibrate_command(const Context&);
int devices_command(const Context&);
int plot_command(const Context&);
int merge_command(const Context&);
int serve_command(const Context&);
int report_command(const Context&);
int model_command(const Context&);

}  // namespace archbench::cli
