// Summaries of the accuracy tasks' cells: one per task row group (design,
// backend, dtype, task string, workload without its context length), with the
// accuracy averaged over the grid and the effective context: the largest
// context length whose row average, and that of every shorter context, is at
// least 90% (RULER reports an effective length the same way).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "results/store.hpp"

namespace archbench::results {

inline constexpr double kEffectiveThreshold = 0.9;

struct TaskSummary {
  std::string design, backend, dtype, task, workload;  // workload with its context parameter as '*'
  std::string label;                                   // the task's short label ("" for pre-v5 rows not yet described)
  int headline = 0;                                    // the rows' headline rank (see ResultRecord)
  std::map<int64_t, double> context_accuracy;          // row averages
  std::map<double, double> coordinate_accuracy;        // on the task's axis: averaged over contexts
  std::map<std::pair<int64_t, double>, double> cells;  // (context, coordinate) -> accuracy, for plots
  double accuracy = 0, chance = 0;
  int64_t effective_context = 0;                       // 0: not even the shortest context
  int64_t trials_per_cell = 0;
  double kv_cache_bytes_per_token = 0;                 // at the largest context
  // What one sequence holds between tokens at the row's context (v13's
  // results.sequence_bytes: a KV cache, or a fixed state); NULL where unknown.
  std::optional<double> sequence_bytes;
  int64_t run_id = 0;
};

struct TaskFilter {
  std::string kind;              // a task kind as stored (results.task_kind); an identifier
  std::string backend, variant;  // empty = all; variant is a GLOB over design and variant
  std::string task, dtype;       // GLOB over the task string; dtype exact
  std::optional<int64_t> run_id; // default: the latest row of each (problem, backend, task)
  bool headline_only = false;    // only rows that may show beside speed (headline > 0)
};

// Every matching group, ordered by accuracy (best first) then design. A kind
// that is not an identifier -> InputError; one with no rows -> no groups.
std::vector<TaskSummary> summarize_tasks(const Store& store, const TaskFilter& filter);

// `archbench leaderboard --task KIND`: one row per group; the accuracy column
// is "<kind>_acc".
QueryResult task_leaderboard(const Store& store, const TaskFilter& filter);

// "4K" for 4096 tokens; plain digits when not a multiple of 1024.
std::string context_label(int64_t context);

}  // namespace archbench::results
