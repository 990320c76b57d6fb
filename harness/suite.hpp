// Suite files: TOML documents in suites/ that expand to problems.
//
//   name = "quick"
//   description = "..."
//   [measure]                  # optional
//   repetitions = 5            # Google Benchmark repetitions per problem
//   min_time = 0.05            # seconds per repetition
//   warmup = 0.02              # seconds of warm-up
//   timeout = 600              # seconds before a problem counts as timed-out
//   timing = true              # false: check against the reference only (fidelity suites)
//   [[problems]]
//   variant = "ffn/*"          # glob over variant names
//   dtypes = ["f32", "bf16"]   # default ["f32"]
//   backends = ["cpu"]         # default: every backend the run uses
//   seed = 1                   # optional
//   [problems.params]          # each value a scalar or a list; lists form a grid
//   tokens = [64, 512]
//   d_model = 4096
//   quick = false              # optional: leave this entry out of `run --quick`
//   [problems.measure]         # optional: this entry's own [measure] keys (e.g. fewer
//   repetitions = 2            # repetitions and a longer timeout for 32K-token problems)
//
// Errors name file:line:col and what was expected.
#pragma once

#include "harness/executor.hpp"
#include "harness/problem.hpp"

#include <map>
#include <string>
#include <vector>

namespace archbench {

struct SuiteEntry {
  std::string variant_glob;
  std::vector<std::map<std::string, ParamValue>> points;  // the expanded grid
  std::vector<ab_dtype> dtypes;
  std::vector<std::string> backends;                      // empty: all in use
  uint64_t seed = 1;
  std::string where;                                      // "file:line:col"
  Measurement measurement;                                // the suite's, or the entry's own
  double timeout_s = 600;
  bool in_quick = true;                                   // false: skipped by `run --quick`
};

struct Suite {
  std::string name, path, description;
  Measurement measurement;
  double timeout_s = 600;
  std::vector<SuiteEntry> entries;
};

// Folders searched for <name>.toml: ARCHBENCH_SUITE_PATH (':'-separated), then
// the source tree's suites/ folder.
std::vector<std::string> suite_search_path();
// `name_or_path` is a file path or a suite name on the search path.
Suite load_suite(const std::string& name_or_path);
// Every suite on the search path: (name, path, description).
std::vector<Suite> list_suites();

}  // namespace archbench
