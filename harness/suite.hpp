// Suite files: TOML documents in suites/ that expand to problems.
//
//   name = "quick"
//   description = "..."
//   [measure]                  # optional
//   repetitions = 5            # Google Benchmark repetitions per problem
//   rounds = 3                 # separate processes they are split among (harness/rounds.hpp)
//   min_time = 0.05            # seconds per repetition, in (0, 3600]
//   warmup = 0.02              # seconds of warm-up, in [0, 3600]
//   timeout = 600              # seconds before a problem counts as timed-out, in (0, 86400]
//   timing = true              # false: check against the reference only (fidelity suites)
//   [[problems]]
//   variant = "ffn/*"          # glob over variant names
//   dtypes = ["f32", "bf16"]   # default ["f32"]
//   backends = ["cpu"]         # default: every backend the run uses
//   seed = 1                   # optional
//   quick = false              # optional: leave this entry out of `run --quick`
//   require = ["d_model"]      # optional: params every matched variant must have
//   [problems.params]          # each value a scalar or a list; lists form a grid
//   tokens = [64, 512]
//   d_model = 4096
//   [problems.measure]         # optional: this entry's own [measure] keys (e.g. fewer
//   repetitions = 2            # repetitions and a longer timeout for 32K-token problems)
//
// Accuracy suites add a [task] table (each entry may override it key by key in
// [problems.task]); every entry then runs the task at each context length
// instead of timing (the task sets `seq` and mode = prefill). `kind` names a
// registered task (tasks/task.hpp); the keys after the contexts are that task's
// own options, read by its registry entry:
//   [task]
//   kind = "needle"                     # needle | multihop
//   contexts = [1024, 2048, 4096]       # tokens; a list
//   quick_contexts = [1024]             # what `run --quick` uses (default: contexts)
//   form = ["single", "multi-key"]      # needle: single|multi-key|multi-value|multi-query (a list forms a grid)
//   content = "spread"                  # spread | low-freq (a list forms a grid)
//   trials = 8                          # per cell
//   beta = 32                           # the needle's logit
//   count = 4                           # K of the multi forms
//   depth_step = 10                     # needle depths 0..100 % in this step
//   hops = [1, 2, 4, 8]                 # multihop
//
// A parameter applies to each matched variant whose schema has it (by name or
// key); a variant without it is planned without it (its default stands), so a new
// plugin matching a glob cannot break a suite, and `run --dry-run` lists the
// (variant, parameter) pairs left out. An entry pins parameters with `require`:
// then a matched variant that lacks one is an error naming the `require` item. To
// pin for a narrower glob, write that glob as an entry of its own (the planner runs
// a problem two entries produce once). A value the variant has but rejects (out of
// range, not a choice) is always an error.
//
// Plugin fragments: a plugin may ship `suite.toml` beside its library (copied
// there from plugins/<name>/ by archbench_add_plugin). It holds only [[problems]]
// entries, in this format, and they are appended to the `quick` suite, taking its
// [measure] unless they carry their own; its errors name the fragment's file.
//
// Errors name file:line:col and what was expected.
#pragma once

#include "harness/executor.hpp"
#include "harness/problem.hpp"
#include "tasks/task.hpp"

#include <map>
#include <string>
#include <vector>

namespace archbench {

// The most rows one run may plan (grid points x variants x dtypes x backends x
// contexts x tasks). A suite entry whose own grid is bigger is refused when the
// file loads, naming it, and a plan that would pass it is refused before it is
// built: 10^8 rows would take the planner minutes and gigabytes to refuse later.
inline constexpr size_t kMaxPlannedRows = 100000;

// The bounds of a suite's [measure] seconds: min_time and warmup up to an hour
// per repetition, timeout up to a day. NaN and infinities are refused.
inline constexpr double kMaxRepetitionSeconds = 3600;
inline constexpr double kMaxTimeoutSeconds = 86400;

// One grid point: parameter name (or key) -> value.
using ParamPoint = std::map<std::string, ParamValue>;

struct SuiteEntry {
  std::string variant_glob;
  std::vector<ParamPoint> points;                         // the expanded grid
  std::map<std::string, std::string> required;            // `require`: name -> its "file:line:col"
  std::vector<ab_dtype> dtypes;
  std::vector<std::string> backends;                      // empty: all in use
  uint64_t seed = 1;
  std::string where;                                      // "file:line:col"
  Measurement measurement;                                // the suite's, or the entry's own
  double timeout_s = 600;
  bool in_quick = true;                                   // false: skipped by `run --quick`
  // Accuracy entries: the tasks (one per form x content) and the context lengths.
  std::vector<tasks::TaskPtr> tasks;
  std::vector<int64_t> contexts, quick_contexts;
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
// Appends a plugin's suite fragment (only [[problems]] entries) to `suite`.
void append_fragment(Suite& suite, const std::string& path);

// A suite parameter left out for a variant whose schema lacks it.
struct SkippedParam {
  std::string where;  // the entry, "file:line:col"
  std::string variant, parameter;
};
// The entry's grid for one variant it matched: parameters the variant lacks are
// left out (and appended to `skipped`), and points that become equal are kept once
// (residual = [0, 1] gives a variant without `residual` one point, not two). A
// required parameter the variant lacks is an InputError.
std::vector<ParamPoint> points_for(const SuiteEntry& entry, const ab_variant& variant,
                                   std::vector<SkippedParam>& skipped);

}  // namespace archbench
