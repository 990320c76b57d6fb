// Statistics over repetition samples (see statistics.hpp).
#include "results/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

namespace archbench::results::stats {
namespace {

double sorted_median(const std::vector<double>& sorted) {
  const size_t n = sorted.size();
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

// Exact null distribution of U for sizes m, n without ties: the number of
// arrangements giving each U, by the recurrence c(m, n, u) = c(m-1, n, u-n) + c(m, n-1, u).
std::vector<double> exact_u_counts(size_t m, size_t n) {
  // counts[j][u] for the current m, every n' <= n.
  std::vector<std::vector<double>> counts(n + 1, std::vector<double>(m * n + 1, 0));
  for (size_t j = 0; j <= n; ++j) counts[j][0] = 1;  // m = 0
  for (size_t i = 1; i <= m; ++i) {
    std::vector<std::vector<double>> next(n + 1, std::vector<double>(m * n + 1, 0));
    next[0][0] = 1;  // n' = 0
    for (size_t j = 1; j <= n; ++j)
      for (size_t u = 0; u <= i * j; ++u)
        next[j][u] = (u >= j ? counts[j][u - j] : 0) + next[j - 1][u];
    counts = std::move(next);
  }
  return counts[n];
}

}  // namespace

double median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return sorted_median(samples);
}

std::optional<Interval> median_interval(std::vector<double> samples, double confidence) {
  if (samples.empty()) return std::nullopt;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  const boost::math::binomial half(double(n), 0.5);
  // [x_(k), x_(n-k+1)] (1-based) covers the median with 1 - 2 P(B <= k-1); the
  // narrowest k that still reaches the confidence, else the widest there is.
  size_t k = 1;
  double coverage = 1 - 2 * boost::math::cdf(half, 0.0);
  for (size_t next = 2; next <= (n + 1) / 2; ++next) {
    const double c = 1 - 2 * boost::math::cdf(half, double(next - 1));
    if (c < confidence) break;
    k = next;
    coverage = c;
  }
  return Interval{samples[k - 1], samples[n - k], coverage};
}

bool overlap(const Interval& a, const Interval& b) { return a.low <= b.high && b.low <= a.high; }

std::optional<UTest> mann_whitney(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t m = a.size(), n = b.size();
  if (m == 0 || n == 0) return std::nullopt;
  // Ranks of the pooled samples, ties sharing their mean rank.
  std::vector<std::pair<double, int>> pooled;
  for (double x : a) pooled.emplace_back(x, 0);
  for (double x : b) pooled.emplace_back(x, 1);
  std::sort(pooled.begin(), pooled.end());
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (size_t i = 0; i < pooled.size();) {
    size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const double t = double(j - i), mean_rank = 0.5 * double(i + 1 + j);
    if (t > 1) ties = true;
    tie_term += t * t * t - t;
    for (size_t k = i; k < j; ++k)
      if (pooled[k].second == 0) rank_sum_a += mean_rank;
    i = j;
  }
  UTest out;
  out.u = rank_sum_a - double(m) * double(m + 1) / 2;
  if (!ties && m <= 25 && n <= 25) {
    const std::vector<double> counts = exact_u_counts(m, n);
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    const auto u = size_t(std::llround(out.u));
    double below = 0, above = 0;
    for (size_t k = 0; k < counts.size(); ++k) {
      if (k <= u) below += counts[k];
      if (k >= u) above += counts[k];
    }
    out.p_value = std::min(1.0, 2 * std::min(below, above) / total);
    out.exact = true;
    return out;
  }
  const double total = double(m + n), mean = double(m) * double(n) / 2;
  const double variance = double(m) * double(n) / 12 * ((total + 1) - tie_term / (total * (total - 1)));
  if (variance <= 0) return out;  // every sample equal: no evidence of a difference
  const double z = std::max(0.0, std::abs(out.u - mean) - 0.5) / std::sqrt(variance);
  out.p_value = std::min(1.0, 2 * boost::math::cdf(boost::math::complement(boost::math::normal(), z)));
  return out;
}

std::optional<TTest> welch_t(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() < 2 || b.size() < 2) return std::nullopt;
  auto mean_and_variance = [](const std::vector<double>& x) {
    const double mean = std::accumulate(x.begin(), x.end(), 0.0) / double(x.size());
    double squares = 0;
    for (double v : x) squares += (v - mean) * (v - mean);
    return std::pair<double, double>{mean, squares / double(x.size() - 1)};
  };
  const auto [mean_a, var_a] = mean_and_variance(a);
  const auto [mean_b, var_b] = mean_and_variance(b);
  const double ea = var_a / double(a.size()), eb = var_b / double(b.size());
  TTest out;
  if (ea + eb <= 0) {  // no spread on either side: equal means are no evidence, unequal ones are certain
    out.p_value = mean_a == mean_b ? 1.0 : 0.0;
    return out;
  }
  out.t = (mean_a - mean_b) / std::sqrt(ea + eb);
  out.df = (ea + eb) * (ea + eb) /
           (ea * ea / double(a.size() - 1) + eb * eb / double(b.size() - 1));
  const boost::math::students_t distribution(out.df);
  out.p_value = std::min(1.0, 2 * boost::math::cdf(boost::math::complement(distribution, std::abs(out.t))));
  return out;
}

std::vector<double> holm_adjust(const std::vector<double>& p_values) {
  const size_t count = p_values.size();
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p_values[x] < p_values[y]; });
  std::vector<double> adjusted(count);
  double running = 0;
  for (size_t i = 0; i < count; ++i) {
    running = std::max(running, std::min(1.0, double(count - i) * p_values[order[i]]));
    adjusted[order[i]] = running;
  }
  return adjusted;
}

std::vector<double> pooled(const RoundSamples& rounds) {
  std::vector<double> all;
  for (const auto& round : rounds) all.insert(all.end(), round.begin(), round.end());
  return all;
}

std::vector<double> log_medians(const RoundSamples& rounds) {
  std::vector<double> logs;
  for (const auto& round : rounds) {
    if (round.empty()) continue;
    const double m = median(round);
    if (m > 0) logs.push_back(std::log(m));
  }
  return logs;
}

std::optional<Speedup> geomean_speedup(const std::vector<std::pair<RoundSamples, RoundSamples>>& problems,
                                       uint64_t seed, int resamples, double confidence) {
  struct Usable {
    RoundSamples a, b;
  };
  std::vector<Usable> usable;
  for (const auto& [a, b] : problems) {
    Usable u;
    for (const auto& round : a)
      if (!round.empty()) u.a.push_back(round);
    for (const auto& round : b)
      if (!round.empty()) u.b.push_back(round);
    if (u.a.empty() || u.b.empty() || median(pooled(u.a)) <= 0 || median(pooled(u.b)) <= 0) continue;
    usable.push_back(std::move(u));
  }
  if (usable.empty()) return std::nullopt;
  double sum = 0;
  for (const Usable& u : usable) sum += std::log(median(pooled(u.a)) / median(pooled(u.b)));
  Speedup out;
  out.geomean = std::exp(sum / double(usable.size()));

  std::mt19937_64 random(seed);
  auto pick = [&](size_t count) { return std::uniform_int_distribution<size_t>(0, count - 1)(random); };
  std::vector<double> drawn;
  // Rounds with replacement, then samples with replacement within each drawn round.
  auto resampled_median = [&](const RoundSamples& rounds) {
    drawn.clear();
    for (size_t r = 0; r < rounds.size(); ++r) {
      const std::vector<double>& round = rounds[pick(rounds.size())];
      for (size_t k = 0; k < round.size(); ++k) drawn.push_back(round[pick(round.size())]);
    }
    return median(drawn);
  };
  std::vector<double> estimates;
  estimates.reserve(size_t(resamples));
  for (int r = 0; r < resamples; ++r) {
    double s = 0;
    for (const Usable& u : usable) {
      const double a = resampled_median(u.a);
      s += std::log(a / resampled_median(u.b));
    }
    estimates.push_back(std::exp(s / double(usable.size())));
  }
  std::sort(estimates.begin(), estimates.end());
  const double tail = (1 - confidence) / 2;
  auto at = [&](double q) { return estimates[std::min(estimates.size() - 1, size_t(q * double(estimates.size())))]; };
  out.interval = Interval{at(tail), at(1 - tail), confidence};
  return out;
}

std::optional<Speedup> geomean_speedup(const std::vector<std::pair<std::vector<double>, std::vector<double>>>& problems,
                                       uint64_t seed, int resamples, double confidence) {
  std::vector<std::pair<RoundSamples, RoundSamples>> one_round;
  one_round.reserve(problems.size());
  for (const auto& [a, b] : problems) one_round.emplace_back(RoundSamples{a}, RoundSamples{b});
  return geomean_speedup(one_round, seed, resamples, confidence);
}

std::vector<Step> detect_steps(const std::vector<RoundSamples>& series, double alpha, double min_change) {
  std::vector<Step> steps;
  std::vector<double> segment, segment_logs;  // pooled samples, log medians of rounds
  for (size_t i = 0; i < series.size(); ++i) {
    const std::vector<double> run = pooled(series[i]), logs = log_medians(series[i]);
    if (run.empty()) continue;
    if (!segment.empty()) {
      const double before = median(segment), after = median(run);
      std::optional<double> p;
      if (std::min(logs.size(), segment_logs.size()) >= size_t(kMinRoundsForTTest)) {
        if (const auto test = welch_t(segment_logs, logs)) p = test->p_value;
      } else if (const auto test = mann_whitney(segment, run)) {
        p = test->p_value;
      }
      if (p && *p < alpha && before > 0 && std::abs(after / before - 1) > min_change) {
        steps.push_back(Step{i, before, after, *p});
        segment.clear();
        segment_logs.clear();
      }
    }
    segment.insert(segment.end(), run.begin(), run.end());
    segment_logs.insert(segment_logs.end(), logs.begin(), logs.end());
  }
  return steps;
}

std::vector<Step> detect_steps(const std::vector<std::vector<double>>& series, double alpha, double min_change) {
  std::vector<RoundSamples> one_round;
  one_round.reserve(series.size());
  for (const auto& run : series) one_round.push_back(RoundSamples{run});
  return detect_steps(one_round, alpha, min_change);
}

}  // namespace archbench::results::stats
