// A ranking across op kinds by a variant-reported figure (result_figures):
// e.g. MoE layers beside dense FFNs at equal active parameters. The figure's
// name comes from the user; results/ knows none of the plugins' names.
#pragma once

#include "results/store.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace archbench::results {

struct FigureBoardOptions {
  std::string figure;         // a result_figures name, e.g. "active_params"
  std::string kind, backend;  // empty = all
  std::optional<int64_t> run_id;
};

// The latest passed result of each (problem, backend) that reports the figure,
// grouped by backend, dtype and tokens per execute (kinds mixed), ranked by
// tokens_per_s x figure ("<figure>_tokens_per_s": e.g. active parameters
// applied per second; at equal figure values it ranks like tokens/s). Columns:
// backend, dtype, tokens, rank, kind, design, shape, the figure, tokens_per_s,
// the rate, median_ms, run_id. A name outside [a-z0-9_] -> InputError.
QueryResult figure_leaderboard(const Store& store, const FigureBoardOptions& options);

}  // namespace archbench::results
