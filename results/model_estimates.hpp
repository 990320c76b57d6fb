// Whole-model estimates in the store (schema v12; written by Store::record_model_estimate,
// composed by harness/model_estimate.hpp): the ranking `leaderboard --models` prints
// and the side-by-side view of `archbench model`. Presets are names here, nothing more.
#pragma once

#include "results/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace archbench::results {

struct ModelBoardOptions {
  std::string backend, dtype;     // empty = all
  std::string preset;             // GLOB over the preset name; empty = all
  std::optional<int64_t> run_id;  // only this run's estimates; default: the latest per preset and workload
  std::optional<int64_t> context; // only estimates at this decode context
  std::string metric = "decode";  // decode | prefill | memory: what ranks them
};

inline const std::vector<std::string>& model_metrics() {
  static const std::vector<std::string> metrics = {"decode", "prefill", "memory"};
  return metrics;
}

// The latest estimate per (preset, backend, dtype, batch, prefill tokens, context),
// ranked within each (backend, dtype, batch, prefill tokens, context) by the metric:
// decode or prefill tokens/s (highest first; estimates without it last, unranked),
// or memory at the context (weights + cache, smallest first). Sizes in GB (1e9
// bytes), parameters in billions; `stack_check` is the estimate's layer decode
// time over the same layers measured end to end (--check-stack), where run.
// Unknown metric -> InputError.
QueryResult model_board(const Store& store, const ModelBoardOptions& options);

// The parts of estimate `estimate_id`: layer type, layers, part, mode, the problem
// measured, reduction, scale, seconds per layer, note.
QueryResult model_estimate_parts(const Store& store, int64_t estimate_id);

}  // namespace archbench::results
