// Summaries of the accuracy tasks' cells: one per task row group (design,
// backend, dtype, task string, workload without its sequence length), with the
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
  std::string design, backend, dtype, task, workload;  // workload with "s*" for the context
  std::map<int64_t, double> context_accuracy;          // row averages
  std::map<double, double> coordinate_accuracy;        // depth or hops: averaged over contexts
  std::map<std::pair<int64_t, double>, double> cells;  // (context, coordinate) -> accuracy, for plots
  double accuracy = 0, chance = 0;
  int64_t effective_context = 0;                       // 0: not even the shortest context
  int64_t trials_per_cell = 0;
  double kv_cache_bytes_per_token = 0;                 // at the largest context
  int64_t run_id = 0;
};

struct TaskFilter {
  std::string kind;              // "needle" | "multihop"
  std::string backend, variant;  // empty = all; variant is a GLOB over design and variant
  std::string task, dtype;       // GLOB over the task string; dtype exact
  std::optional<int64_t> run_id; // default: the latest row of each (problem, backend, task)
};

// Every matching group, ordered by accuracy (best first) then design.
std::vector<TaskSummary> summarize_tasks(const Store& store, const TaskFilter& filter);

// `archbench leaderboard --task needle|multihop`: one row per group.
QueryResult task_leaderboard(const Store& store, const TaskFilter& filter);

// "4K" for 4096 tokens; plain digits when not a multiple of 1024.
std::string context_label(int64_t context);

// A needle task's form and content, its label on plots and the leaderboard:
// "single.low-freq" for "needle.single.low-freq.beta32.t4.ds10".
std::string needle_form_content(const std::string& task);

// The workload with its sequence-length token ("s4096") replaced by "s*".
std::string workload_without_context(const std::string& workload);

}  // namespace archbench::results
