// Runs ONE problem on one backend, start to finish: allocate and fill tensors,
// create the plugin instance, check its output against the reference, and only
// then time it with Google Benchmark. Returns the record to store. Meant to run
// inside an isolated child process (see isolation.hpp); never throws for
// problem-level failures: they become outcomes.
#pragma once

#include "harness/problem.hpp"
#include "results/store.hpp"

#include <optional>
#include <string>

namespace archbench {

struct Measurement {
  bool perf = true;            // time it (after it passes fidelity)
  int repetitions = 9;         // enough for compare's U test (Google Benchmark's compare.py asks 9)
  int rounds = 3;              // separate processes the repetitions are split among (rounds.hpp)
  double min_time_s = 0.1;     // per repetition
  double warmup_s = 0.05;
};

struct Peaks {                 // this machine's calibrated peaks, when known
  std::optional<double> compute_gflops, bandwidth_gbps;
};

results::ResultRecord execute_problem(const Problem& problem, ab_backend backend,
                                      const ab_host& host, const Measurement& measurement,
                                      const Peaks& peaks);

// Static facts of a record (problem identity and cost model), for outcomes
// decided before any execution (crashed, timed-out, skipped).
results::ResultRecord describe_record(const Problem& problem, ab_backend backend);

// The variant's describe() for this problem into `info`; false when it fails.
bool describe_problem(const Problem& problem, ab_problem_info& info);

const char* backend_name(ab_backend backend);

// Why the variant, by its own declaration, has no implementation for this
// problem's backend or dtype ("" when it declares both): recorded as unimplemented.
std::string undeclared(const Problem& problem, ab_backend backend);

}  // namespace archbench
