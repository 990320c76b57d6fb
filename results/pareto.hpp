// Pareto fronts and a composite score over the leaderboard's axes: speed
// (tokens_per_s), fidelity (nmse), effective context (eff_context, from the
// headline accuracy task) and memory per token (kv_cache_bytes_per_token).
// Designs are compared only within a group of the same kind, backend and workload.
#pragma once

#include <string>
#include <vector>

#include "results/store.hpp"

namespace archbench::results {

struct Axis {
  std::string column;  // a leaderboard column
  bool maximize = true;
};

// The axes by name: "speed" (tokens_per_s, max), "fidelity" (nmse, min),
// "context" (eff_context, max), "memory" (kv_cache_bytes_per_token, min); a
// leaderboard column name is taken as is, with its direction from known_metrics().
// A comma list; an unknown name -> InputError naming `flag`.
std::vector<Axis> parse_axes(const std::string& list, const std::string& flag);

// Which points no other point beats on every axis: `dominated` false. A point p is
// dominated by q when q is at least as good on every axis and better on one. A
// missing value (NaN) is worse than any value.
std::vector<bool> pareto_front(const std::vector<std::vector<double>>& points, const std::vector<Axis>& axes);

// The board's rows on the front of their group (kind, backend, shape), in order.
QueryResult pareto_rows(const QueryResult& board, const std::vector<Axis>& axes);

// Composite score in [0, 1] per row, the weighted mean of per-axis scores within
// its group (axes with no value in the group are left out and the weights of the
// rest renormalized):
//   speed    = tokens_per_s / the group's best
//   fidelity = clamp(-log10(nmse) / 12, 0, 1)   (1e-12 -> 1, 1e-6 -> 0.5; 0 -> 1)
//   context  = eff_context / the group's best
//   memory   = the group's smallest kv_cache_bytes_per_token / this row's (0 -> 1)
// `weights` "speed=1,fidelity=1,context=1,memory=1" (the default; any subset, others
// 0). Bad names or values -> InputError naming --weights.
struct Weights {
  double speed = 1, fidelity = 1, context = 1, memory = 1;
};
Weights parse_weights(const std::string& text);

// The board with a `composite` column after `design`, re-ranked by it within each
// group (best first; equal scores share a rank, `tied` 1).
QueryResult composite_board(const QueryResult& board, const Weights& weights);

}  // namespace archbench::results
