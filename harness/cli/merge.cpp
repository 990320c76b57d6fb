// `archbench merge OUT.db IN.db...`: fold the databases of many machines (the
// shards of a job array, a fleet's runs) into one (see results/merge.hpp).
// Every input is checked, and read into a private copy, before OUT is opened,
// so a refused input leaves OUT untouched as well as itself.
#include "harness/cli/common.hpp"
#include "harness/errors.hpp"
#include "results/merge.hpp"

#include <cstdio>
#include <filesystem>

namespace archbench::cli {

int merge_command(const Context& context) {
  std::vector<std::string> paths;
  po::options_description options("archbench merge");
  options.add_options()("databases", po::value(&paths)->multitoken(), "OUT.db IN.db...");
  po::positional_options_description positional;
  positional.add("databases", -1);
  po::variables_map values;
  if (!parse("merge", "archbench merge OUT.db IN.db...   (OUT is created or added to; the inputs are only read)",
             context, options, values, &positional))
    return 0;
  if (paths.size() < 2)
    throw InputError("archbench merge: expected OUT.db and at least one IN.db, got " + std::to_string(paths.size()) +
                     " database" + (paths.size() == 1 ? "" : "s"));
  const std::string& out = paths[0];
  if (out.empty()) throw InputError("archbench merge: OUT.db is an empty path");
  std::vector<results::MergeInput> inputs;
  for (size_t i = 1; i < paths.size(); ++i) {
    std::error_code ec;
    if (std::filesystem::exists(out, ec) && std::filesystem::equivalent(out, paths[i], ec))
      throw InputError("archbench merge: " + paths[i] + " is OUT.db itself; name another output file");
    inputs.push_back(results::MergeInput::open(paths[i]));
  }
  results::Store store = results::Store::open_readwrite(out);
  const results::MergeReport report = results::merge_into(store, inputs);
  std::printf("merged %zu database%s into %s: %s\n", inputs.size(), inputs.size() == 1 ? "" : "s", out.c_str(),
              report.line().c_str());
  return 0;
}

}  // namespace archbench::cli
