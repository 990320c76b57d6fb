// `archbench compare RUN_A RUN_B`: per (problem, backend) in both runs, the medians
// with their spread; a test per problem: Welch's t on the log medians of the
// rounds (separate processes, harness/rounds.hpp) when both results have three or
// more, since samples within one process share its state and so overstate the
// evidence, else a Mann-Whitney U test of A's samples against B's (as Google
// Benchmark's compare.py); Holm's correction across every tested problem; and the
// geometric-mean speedup of B over A with a seeded two-level bootstrap interval.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/statistics.hpp"
#include "results/store.hpp"

namespace archbench::results {

struct Comparison {
  // problem, backend, outcome_a, outcome_b, median_ms_a, median_ms_b, cv_a, cv_b,
  // n_a, n_b, speedup (median_a / median_b: > 1 means B is faster), p_value,
  // p_holm, verdict ("faster" | "slower" | "not significant" | "underpowered" |
  // "within X%" when significant but smaller than min_change, as asv's factor |
  // "" when not both passed), nmse_a, nmse_b, rounds_a, rounds_b (rounds with
  // samples), test ("t on rounds" | "U on samples" | "" when untested).
  QueryResult rows;
  int tested = 0, faster = 0, slower = 0, not_significant = 0, underpowered = 0;
  std::optional<stats::Speedup> geomean;  // over problems both runs passed with samples
  double alpha = 0.05, min_change = 0.05;
  int within = 0;  // significant, but a change smaller than min_change
  // "run 3 started on a busy machine (load average 3.1 on 2 threads, 2 other runnable processes)"
  // for each run recorded as started under load (schema v10), or that was --quick.
  std::vector<std::string> run_notes;
  // Human-readable summary: the correction used, the geo-mean with its interval,
  // the overall verdict, and a warning when samples are too few for the test.
  std::vector<std::string> summary() const;
};

// Unknown run -> InputError.
// A problem is faster or slower when its Holm-corrected p < alpha and its medians
// differ by more than min_change (relative): a run-to-run drift of a few percent on
// a shared machine is significant to the test yet says nothing about the code.
Comparison compare_runs(const Store& store, int64_t a, int64_t b, double alpha = 0.05, double min_change = 0.05);

}  // namespace archbench::results
