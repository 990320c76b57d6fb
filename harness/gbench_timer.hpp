// Google Benchmark as the measurement engine: one registered benchmark per
// problem, warm-up, repetitions, manual time (the harness's own clock around
// execute(), later GPU timestamps), and a reporter that collects the per-
// repetition samples and GBench's mean / median / stddev aggregates.
#pragma once

#include "harness/executor.hpp"

#include <archbench/plugin_abi.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace archbench {

struct TimingResult {
  double median_s = 0, mean_s = 0, stddev_s = 0, min_s = 0;
  int64_t iterations = 0;       // per repetition
  std::vector<double> samples;  // seconds per iteration, one per repetition
  std::string error;            // set when an iteration failed
};

// Seconds one call takes on the host clock; throws if the plugin reports failure.
template <class Call>
double timed_call(Call&& call) {
  const auto start = std::chrono::steady_clock::now();
  const ab_status status = call();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (status != AB_OK) throw std::runtime_error("execute() returned status " + std::to_string(int(status)));
  return seconds;
}

// `one_iteration` runs the problem once and returns the seconds to count.
TimingResult time_with_gbench(const std::string& name, const Measurement& measurement,
                              const std::function<double()>& one_iteration);

}  // namespace archbench
