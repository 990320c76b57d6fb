// Option parsing and plugin loading shared by every subcommand.
#include "harness/cli/common.hpp"

#include "harness/errors.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace archbench::cli {

namespace {

// An empty --db would otherwise fall through to ./archbench.db unnoticed.
void refuse_empty_path(const std::string& path) {
  if (path.empty()) throw InputError("--db: the database path is empty");
}

}  // namespace

void add_globals(po::options_description& options, Globals& globals, bool with_plugins) {
  options.add_options()("db", po::value(&globals.db)->notifier(&refuse_empty_path),
                        "results database (default: $ARCHBENCH_DB or ./archbench.db)");
  if (with_plugins)
    options.add_options()("plugin-dir", po::value(&globals.plugin_dirs)->composing(),
                          "extra plugin folder, searched after the plugins/ folder beside the "
                          "executable and before $ARCHBENCH_PLUGIN_PATH; a variant name its "
                          "plugins claim again is refused (repeatable)")(
        "threads", po::value(&globals.threads), "CPU threads (default: all cores)");
}

bool parse(const std::string& command, const std::string& usage, const Context& context,
           po::options_description& options, po::variables_map& values,
           const po::positional_options_description* positional) {
  options.add_options()("help,h", "show this help");
  try {
    po::command_line_parser parser(context.args);
    parser.options(options);
    if (positional) parser.positional(*positional);
    const po::parsed_options parsed = parser.run();
    // Boost drops a positional argument no option takes: `run ffn/swiglu:t1` would
    // run the whole default suite. Such an argument is an input error.
    for (const po::option& o : parsed.options)
      if (o.string_key.empty() && !o.original_tokens.empty()) {
        const std::string argument = printable(o.original_tokens.front());
        const bool looks_like_problem = argument.find('/') != std::string::npos && command == "run";
        throw InputError("archbench " + command + ": unexpected argument '" + argument + "'" +
                         (looks_like_problem ? " (to run a problem, write --problem '" + argument + "')"
                                             : " (see `archbench " + command + " --help`)"));
      }
    po::store(parsed, values);
    if (values.count("help")) {
      std::cout << "usage: " << usage << "\n\n" << options << "\n";
      return false;
    }
    po::notify(values);
  } catch (const po::error& e) {
    throw InputError("archbench " + command + ": " + e.what() + " (see `archbench " + command + " --help`)");
  }
  return true;
}

std::string database_path(const Globals& globals) {
  if (!globals.db.empty()) return globals.db;
  if (const char* env = std::getenv("ARCHBENCH_DB"); env && *env) return env;
  return "archbench.db";
}

std::string abandoned_note(const std::vector<int64_t>& run_ids) {
  std::string ids;
  for (const int64_t id : run_ids) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
  return run_ids.size() == 1 ? "run " + ids + " marked abandoned: the archbench process that ran it on this host is gone"
                             : "runs " + ids + " marked abandoned: the archbench processes that ran them on this host are gone";
}

void load_plugins(Registry& registry, const Globals& globals, const ab_host& host, bool hash_libraries) {
  std::vector<Refusal> refusals;
  registry.load(plugin_search_path(globals.plugin_dirs), host, refusals, hash_libraries);
  for (const Refusal& r : refusals) std::fprintf(stderr, "%s\n", r.line().c_str());
}

}  // namespace archbench::cli
