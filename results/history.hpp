// A problem's results across runs (`archbench history`) and regressions found by
// step detection over those series (`archbench regressions`, asv-style).
#pragma once

#include <string>

#include "results/store.hpp"

namespace archbench::results {

struct HistoryOptions {
  std::string problem;  // a GLOB over canonical strings ("ffn/swiglu:t128.*", or one exact string)
  std::string host;     // GLOB over runs.host; empty = all
  std::string backend;  // empty = all
};

// Every result of the matching problems, oldest run first: problem, backend,
// run_id, started, git_sha, host, quick, outcome, median_ms, ci95_low_ms,
// ci95_high_ms, cv, n (samples).
QueryResult history(const Store& store, const HistoryOptions& options);

struct RegressionOptions {
  std::string host, backend, kind;  // GLOB over host; exact backend and kind; empty = all
  double alpha = 0.01;              // per step test: a low false-alarm rate over many series
  double min_change = 0.05;         // relative change of the median a step must exceed
  bool include_quick = false;       // --quick runs time too briefly to be compared with careful ones
};

// For each (problem, backend, host, device): its passed results ordered by run
// start, split into segments by stats::detect_steps. Each step up (a slowdown)
// that the latest result still shows is listed with the first run that shows it:
// problem, backend, host, first_run, started, git_sha, before_ms, after_ms, ratio
// (after / before), p_value, latest_ms, runs (in the series).
QueryResult regressions(const Store& store, const RegressionOptions& options);

}  // namespace archbench::results
