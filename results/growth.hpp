// The growth pivot behind `archbench leaderboard --by PARAM`: how a metric
// (by default nmse) changes as one parameter grows, e.g. error against context
// length. One row per series, one column per value of the parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/store.hpp"

namespace archbench::results {

struct GrowthOptions {
  std::string param;          // a parameter's full name (problem_params.name): "seq", "tokens"
  std::string kind, backend;  // empty = all
  std::string shape;          // GLOB over the (unblanked) workload; empty = all
  std::string metric = "nmse";
  std::optional<int64_t> run_id;  // only this run's results; default: latest per problem
};

// For each (problem, backend): the latest result (highest run id, or from
// run_id only, the rule of leaderboard()), kept if it passed or failed: a
// failed check still has the error that made it fail, which is the point.
// Problems without `param` are left out.
//
// Rows: kind, backend, dtype, design, workload, then one column per value of
// the parameter, then failed_at. The workload (and the design, for a design
// parameter) is rebuilt from the problem's stored parameters (problem_params)
// with the parameter's token printed as '*', so the problems that differ only
// in it share a row. Columns are sorted numerically (strings after numbers)
// and headed "<canonical key>=<value>" ("s=512"; the parameter's name where
// its value is printed bare, "mode=decode"). A cell is the metric of that
// problem, empty where none was stored; failed_at lists the headers of the
// cells whose latest check failed. A problem written before schema v5 and not
// yet described by the harness (backfill.hpp) has no stored parameters: its
// value is read from params_json and its workload is kept whole (a row per value).
//
// A name no stored problem has -> InputError naming --by and the known names;
// an unknown metric -> InputError listing growth_metrics().
QueryResult growth(const Store& store, const GrowthOptions& opts);

// leaderboard's known_metrics() and the two other error columns (max_abs, max_rel).
std::vector<std::string> growth_metrics();

}  // namespace archbench::results
