// Reading the stored repetition samples of results (table `samples`), for the
// statistics of the leaderboard, compare, history and regressions.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "results/statistics.hpp"
#include "results/store.hpp"

namespace archbench::results {

// Seconds per repetition of each given result id (ids with no samples are absent).
std::map<int64_t, std::vector<double>> load_samples(const Store& store, const std::vector<int64_t>& result_ids);

// The same grouped by measurement round (schema v11; older samples are round 0).
std::map<int64_t, stats::RoundSamples> load_round_samples(const Store& store, const std::vector<int64_t>& result_ids);

// The integer in a cell, or `otherwise` for NULL / another type.
int64_t cell_int(const Cell& cell, int64_t otherwise = 0);
// The number in a cell (integer or real), or NaN.
double cell_real(const Cell& cell);

}  // namespace archbench::results
