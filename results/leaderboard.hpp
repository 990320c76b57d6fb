// Ready-made queries over the store: the variant leaderboard, the list of runs,
// and a run-vs-run comparison. Each returns a QueryResult for results/format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/store.hpp"

namespace archbench::results {

struct LeaderboardOptions {
  std::string kind, backend;  // empty = all
  std::string shape;          // GLOB over the workload, e.g. "prefill.b1.s4096*"; empty = all
  std::string metric = "tokens_per_s";
  std::optional<int64_t> run_id;  // only this run's results; default: latest per problem
  // Many machines (a merged database): GLOBs over the run's host and its device
  // (the CPU model for cpu rows, the Vulkan device for vulkan rows); empty = all.
  std::string host, device;
  // Rank machines side by side: the latest result per (problem, backend, host,
  // device) instead of per (problem, backend), with `host` and `device` columns;
  // speed_vs_cpu then compares with the CPU of the same host.
  bool by_machine = false;
  // The task kind whose headline rows show beside speed, as the columns
  // "<kind>_acc", "eff_context", "<kind>_task"; "" = none. The harness names it
  // from its task registry (results/ knows no task).
  std::string headline_task;
  // Which result of a problem counts: a careful run's over a --quick run's, even
  // when the quick run is newer (the `quick` column says which is shown); false:
  // the newest whatever it was. Ignored with run_id.
  bool prefer_careful = true;
};

// For each (problem, backend): the latest result (highest run id, or from run_id
// only; a careful run's before a --quick run's, see prefer_careful), ranked only if it passed — a failed re-check drops the problem out
// rather than leaving an older number standing. Designs are ranked within a
// group of the same kind, backend and workload (the canonical tokens that are
// not design parameters; the whole shape for variants without any) by the
// metric, best first; the `design` column names the variant and its choices.
// Rows with no value for the metric are listed last with an empty rank. With
// opts.headline_task, each row also shows the best headline row of that task
// for its design, backend and dtype: the highest headline rank, then the grid
// with more contexts (its accuracy, effective context and label).
// Noise is shown: `cv`, and `ci95_low_ms` / `ci95_high_ms`, the 95% order-statistic
// interval of the median from the stored samples (results/statistics.hpp). Ranks
// declare ties: a row whose metric interval (the median interval mapped onto the
// metric) overlaps the row ranked above it shares that row's rank, and `tied` is 1
// on every row of such a group.
// Unknown metric -> InputError listing known_metrics().
QueryResult leaderboard(const Store& store, const LeaderboardOptions& opts);

// Ready-made comparison of two runs: results/compare.hpp.

// One row per run: id, started, finished, status, host, git_sha, threads, suites,
// and counts of results: results, passed, failed (incl. crashed/timed-out), skipped
// (incl. unimplemented).
// `host` (a GLOB over runs.host, empty = all) keeps one machine's history. A
// `shard` column ("I/N") is shown when some listed run ran a shard.
QueryResult list_runs(const Store& store, const std::string& host = "");

// The metrics leaderboard() ranks by, higher-is-better ones first.
std::vector<std::string> known_metrics();

}  // namespace archbench::results
