// archbench — entry point: picks the subcommand and turns errors into exit
// codes (0 all passed, 1 some problem failed/crashed, 2 usage or input error).
#include "harness/cli/common.hpp"
#include "harness/errors.hpp"
#include "harness/plugin_calls.hpp"

#include <cstdio>
#include <cstring>
#include <string>

namespace {

struct Subcommand {
  const char* name;
  const char* summary;
  archbench::cli::Handler handler;
};

const Subcommand subcommands[] = {
    {"list", "list plugins | variants | suites | tasks | presets | backends", archbench::cli::list_command},
    {"run", "run suites or problems, store results, print the leaderboard", archbench::cli::run_command},
    {"leaderboard", "rank designs of a kind by a metric per backend and workload", archbench::cli::leaderboard_command},
    {"model", "estimate whole models (presets) from their layers measured at a workload", archbench::cli::model_command},
    {"plot", "draw an accuracy task's picture (a heatmap or lines, as the task asks) as SVG", archbench::cli::plot_command},
    {"query", "run a read-only SQL query on the results database", archbench::cli::query_command},
    {"runs", "list stored runs", archbench::cli::runs_command},
    {"compare", "compare two runs problem by problem", archbench::cli::compare_command},
    {"history", "every result of a problem across runs and git shas (this host by default)", archbench::cli::history_command},
    {"regressions", "slowdowns between runs, by step detection with a significance test", archbench::cli::regressions_command},
    {"merge", "copy the runs of other databases (other machines, shards) into one", archbench::cli::merge_command},
    {"calibrate", "measure peak GFLOP/s and bandwidth per backend (and Vulkan dispatch overhead)", archbench::cli::calibrate_command},
    {"devices", "show the compute devices of each backend", archbench::cli::devices_command},
    {"serve", "serve the web leaderboard (read-only) over HTTP on the loopback", archbench::cli::serve_command},
    {"report", "write the web leaderboard's pages as static HTML into a folder", archbench::cli::report_command},
};

void print_usage() {
  std::printf("usage: archbench <command> [options]   (archbench <command> --help for details)\n\ncommands:\n");
  for (const auto& s : subcommands) std::printf("  %-12s %s\n", s.name, s.summary);
  std::printf("\nExit codes: 0 all passed, 1 some problem failed or crashed, 2 usage or input error,\n"
              "128 + the signal after Ctrl-C (130), SIGTERM (143) or SIGHUP (129).\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  archbench::cli::Context context;
  for (int i = 0; i < argc; ++i) context.command_line += (i ? " " : "") + std::string(argv[i]);
  for (int i = 2; i < argc; ++i) context.args.push_back(argv[i]);
  // From here on, plugin code this process needs (validate, describe, adapters)
  // runs in children: a plugin that crashes costs its problem, not the command.
  archbench::PluginCallGate gate;
  for (const auto& s : subcommands) {
    if (std::strcmp(argv[1], s.name) != 0) continue;
    try {
      return s.handler(context);
    } catch (const archbench::InputError& e) {
      // One line, whatever the input held (a newline in a problem string, a plugin's message).
      const std::string message = archbench::printable(e.what());  // some already start with "archbench <command>:"
      std::fprintf(stderr, "%s%s\n", message.rfind("archbench", 0) == 0 ? "" : "archbench: ", message.c_str());
      return 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "archbench: internal error: %s\n", archbench::printable(e.what()).c_str());
      return 1;
    }
  }
  std::fprintf(stderr, "archbench: unknown command '%s' (expected one of list, run, leaderboard, model, plot, query, runs, compare, history, regressions, merge, calibrate, devices, serve, report)\n",
               archbench::printable(argv[1]).c_str());
  return 2;
}
