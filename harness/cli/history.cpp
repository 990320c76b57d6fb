// `archbench history PROBLEM` (a problem's results across runs and git shas on
// this host) and `archbench regressions` (slowdowns found by step detection over
// runs ordered by time). Both read-only.
#include "harness/cli/common.hpp"
#include "harness/errors.hpp"
#include "harness/provenance.hpp"
#include "results/format.hpp"
#include "results/history.hpp"

#include <iostream>

namespace archbench::cli {

int history_command(const Context& context) {
  Globals globals;
  std::string format = "table";
  results::HistoryOptions options;
  bool all_hosts = false;
  po::options_description described("archbench history");
  described.add_options()
      ("problem", po::value(&options.problem)->required(), "a canonical problem string, or a glob over them ('ffn/swiglu:*')")
      ("backend", po::value(&options.backend), "only this backend (cpu, vulkan)")
      ("host", po::value(&options.host), "only runs on hosts matching this glob (default: this host)")
      ("all-hosts", po::bool_switch(&all_hosts), "every host of a merged database")
      ("format", po::value(&format), "table | csv | json | md");
  add_globals(described, globals, false);
  po::positional_options_description positional;
  positional.add("problem", 1);
  po::variables_map values;
  if (!parse("history", "archbench history PROBLEM [--backend B] [--host GLOB | --all-hosts] [--format F] [--db PATH]",
             context, described, values, &positional))
    return 0;
  const results::Format f = results::parse_format(format);
  if (all_hosts && values.count("host")) throw InputError("archbench history: --host and --all-hosts do not go together");
  if (!values.count("host") && !all_hosts) options.host = host_name();
  const results::Store store = results::Store::open_readonly(database_path(globals));
  const results::QueryResult found = results::history(store, options);
  if (found.rows.empty())
    std::cerr << "note: no result of '" << options.problem << "'"
              << (options.host.empty() ? "" : " on host '" + options.host + "'") << " (see `archbench runs`)\n";
  std::cout << results::format(found, f);
  return 0;
}

int regressions_command(const Context& context) {
  Globals globals;
  std::string format = "table";
  results::RegressionOptions options;
  po::options_description described("archbench regressions");
  described.add_options()
      ("kind", po::value(&options.kind), "only this op kind")
      ("backend", po::value(&options.backend), "only this backend (cpu, vulkan)")
      ("host", po::value(&options.host), "only runs on hosts matching this glob (default: all)")
      ("alpha", po::value(&options.alpha), "significance of each step's Mann-Whitney U test (default 0.01)")
      ("min-change", po::value(&options.min_change), "smallest relative change of the median that counts (default 0.05)")
      ("include-quick", po::bool_switch(&options.include_quick), "also use --quick runs (left out by default: they time too briefly)")
      ("format", po::value(&format), "table | csv | json | md");
  add_globals(described, globals, false);
  po::variables_map values;
  if (!parse("regressions", "archbench regressions [--kind K] [--backend B] [--host GLOB] [--alpha A] [--min-change R] [--include-quick] [--format F] [--db PATH]",
             context, described, values))
    return 0;
  const results::Format f = results::parse_format(format);
  if (!(options.alpha > 0 && options.alpha < 1)) throw InputError("--alpha: expected a number in (0, 1), got " + std::to_string(options.alpha));
  if (!(options.min_change >= 0)) throw InputError("--min-change: expected a relative change >= 0, got " + std::to_string(options.min_change));
  const results::Store store = results::Store::open_readonly(database_path(globals));
  const results::QueryResult found = results::regressions(store, options);
  std::cout << results::format(found, f);
  if (f == results::Format::table || f == results::Format::md)
    std::cout << (found.rows.empty() ? "no regression: " : "") << "step detection per problem over runs by start time;"
              << " a step is a test p < " << options.alpha
              << " (Welch's t on the rounds' log medians where run and segment have 3 or more, else Mann-Whitney U"
              << " on the samples) and a median change > "
              << options.min_change * 100 << "%, listed when the latest run still shows it\n";
  return 0;
}

}  // namespace archbench::cli
