// Pooling a problem's measurement rounds into one result (see rounds.hpp).
#include "harness/rounds.hpp"

#include "results/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace archbench {

Measurement round_measurement(const Measurement& whole) {
  Measurement one = whole;
  const int rounds = rounds_of(whole);
  one.rounds = 1;
  one.repetitions = std::max(1, (whole.repetitions + rounds - 1) / rounds);
  return one;
}

int rounds_of(const Measurement& measurement) { return measurement.perf ? std::max(1, measurement.rounds) : 1; }

results::ResultRecord pool_rounds(const std::vector<results::ResultRecord>& rounds, const Peaks& peaks) {
  for (size_t k = 0; k < rounds.size(); ++k)
    if (rounds[k].outcome != "passed") {
      results::ResultRecord failed = rounds[k];
      if (k > 0) failed.reason = "round " + std::to_string(k + 1) + ": " + failed.reason;
      return failed;
    }
  results::ResultRecord pooled = rounds.front();
  if (rounds.size() == 1) return pooled;
  pooled.samples.clear();
  pooled.sample_rounds.clear();
  pooled.iterations = 0;
  for (size_t k = 0; k < rounds.size(); ++k) {
    const results::ResultRecord& r = rounds[k];
    pooled.samples.insert(pooled.samples.end(), r.samples.begin(), r.samples.end());
    pooled.sample_rounds.insert(pooled.sample_rounds.end(), r.samples.size(), int64_t(k));
    pooled.iterations = std::max(pooled.iterations, r.iterations);  // per repetition: the most any round ran
    pooled.peak_memory_bytes = std::max(pooled.peak_memory_bytes, r.peak_memory_bytes);
    // The worst round's fidelity speaks for the result.
    auto worst = [](std::optional<double>& into, const std::optional<double>& other) {
      if (other && (!into || *other > *into)) into = other;
    };
    worst(pooled.nmse, r.nmse);
    worst(pooled.max_abs, r.max_abs);
    worst(pooled.max_rel, r.max_rel);
  }
  const std::vector<double>& s = pooled.samples;
  pooled.repetitions = int64_t(s.size());
  if (s.empty()) return pooled;  // rounds that were not timed (fidelity only)
  const size_t n = s.size();
  const double median = results::stats::median(s);
  const double mean = std::accumulate(s.begin(), s.end(), 0.0) / double(n);
  double squares = 0;
  for (double x : s) squares += (x - mean) * (x - mean);
  const double stddev = n > 1 ? std::sqrt(squares / double(n - 1)) : 0;  // as Google Benchmark's
  pooled.median_s = median;
  pooled.mean_s = mean;
  pooled.stddev_s = stddev;
  pooled.cv = mean > 0 ? stddev / mean : 0;
  pooled.min_s = *std::min_element(s.begin(), s.end());
  if (median > 0) {
    pooled.gflops = pooled.flops / median / 1e9;
    pooled.gbps = pooled.bytes / median / 1e9;
    pooled.tokens_per_s = pooled.tokens / median;
    if (peaks.compute_gflops) pooled.frac_peak_compute = *pooled.gflops / *peaks.compute_gflops;
    if (peaks.bandwidth_gbps) pooled.frac_peak_bandwidth = *pooled.gbps / *peaks.bandwidth_gbps;
  }
  return pooled;
}

}  // namespace archbench
