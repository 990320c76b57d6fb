// Statistics over stored repetition samples: the confidence interval of a median,
// the Mann-Whitney U test, Holm's correction for many tests, a bootstrap interval
// of a geometric-mean speedup, and step detection over a series of runs. Plain
// functions over vectors of seconds, so the CLI, the leaderboard and the web pages
// share them. Distributions come from Boost.Math, never from hand-made tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace archbench::results::stats {

double median(std::vector<double> samples);  // NaN when empty

// A distribution-free interval for the median from order statistics: the
// binomial(n, 1/2) quantiles pick the k-th smallest and k-th largest samples.
// `coverage` is the confidence actually reached, which is below the asked one when
// n is too small for it (n < 6 for 95%: then the interval is [min, max]).
struct Interval {
  double low = 0, high = 0;
  double coverage = 0;
};
std::optional<Interval> median_interval(std::vector<double> samples, double confidence = 0.95);

bool overlap(const Interval& a, const Interval& b);

// The smallest sample count whose median interval reaches `confidence`, and the
// smallest per-side count for which a two-sided Mann-Whitney test can reach
// p < 0.05 at all on a clear difference, as Google Benchmark's compare.py asks (9).
inline constexpr int kMinSamplesForUTest = 9;

// Two-sided Mann-Whitney U test of "a and b come from the same distribution".
// Exact distribution when both sides are small and untied, otherwise the normal
// approximation with tie and continuity corrections (as scipy's mannwhitneyu).
struct UTest {
  double u = 0;        // U of sample a
  double p_value = 1;  // two-sided
  bool exact = false;
};
std::optional<UTest> mann_whitney(const std::vector<double>& a, const std::vector<double>& b);

// Welch's two-sided t test of "a and b have the same mean" (unequal variances,
// Welch-Satterthwaite degrees of freedom). Needs two values a side. compare runs
// it on the log medians of each result's rounds: the rounds are the independent
// units (samples within one process share its state), so this test, unlike a U
// test on pooled samples, does not take one process's luck for evidence.
struct TTest {
  double t = 0, df = 0;
  double p_value = 1;  // two-sided
};
std::optional<TTest> welch_t(const std::vector<double>& a, const std::vector<double>& b);

// The rounds a side needs before compare tests round medians rather than pooled samples.
inline constexpr int kMinRoundsForTTest = 3;

// Holm's step-down adjustment of p-values (family-wise error), same order as given.
std::vector<double> holm_adjust(const std::vector<double>& p_values);

// A result's samples grouped by measurement round: one inner vector per child
// process that timed it (harness/rounds.hpp).
using RoundSamples = std::vector<std::vector<double>>;

// Every round's samples in one list, round after round.
std::vector<double> pooled(const RoundSamples& rounds);
// The log of each non-empty round's median (rounds with a median <= 0 left out):
// the units compare's and regressions' t test compare.
std::vector<double> log_medians(const RoundSamples& rounds);

// The geometric mean over problems of median(a) / median(b) (> 1: b is faster),
// medians of the pooled samples, with a percentile bootstrap interval. Each
// resample is two-level (a cluster bootstrap): it draws each side's rounds with
// replacement, then samples within each drawn round, so the spread between
// processes widens the interval as it should, where resampling pooled samples
// would treat one process's luck as independent evidence. Seeded, so the same
// data gives the same interval.
struct Speedup {
  double geomean = 0;
  Interval interval;
};
std::optional<Speedup> geomean_speedup(const std::vector<std::pair<RoundSamples, RoundSamples>>& problems,
                                       uint64_t seed = 1, int resamples = 2000, double confidence = 0.95);
// The same with each side's samples from one round.
std::optional<Speedup> geomean_speedup(const std::vector<std::pair<std::vector<double>, std::vector<double>>>& problems,
                                       uint64_t seed = 1, int resamples = 2000, double confidence = 0.95);

// asv-style step detection over one problem's results ordered by time: runs are
// grouped into segments; a run starts a new segment when it differs from the
// current segment by a test (p < alpha) and its median by more than `min_change`
// (relative). The test is Welch's t on the log medians of the rounds when the run
// and the segment each have 3 or more, else a U test of the run's samples against
// the segment's pooled samples. Returns the index of each run that starts a
// segment, with the medians before and after.
struct Step {
  size_t index = 0;       // the first run of the new segment
  double before = 0, after = 0;  // segment medians, seconds
  double p_value = 1;
};
std::vector<Step> detect_steps(const std::vector<RoundSamples>& series, double alpha = 0.05, double min_change = 0.05);
// The same with each run's samples from one round.
std::vector<Step> detect_steps(const std::vector<std::vector<double>>& series, double alpha = 0.05,
                               double min_change = 0.05);

}  // namespace archbench::results::stats
