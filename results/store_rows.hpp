// Row writers shared by Store::record and the backfill of older rows (private
// to results/), so a problem's structure is written one way only.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <vector>

#include "results/store.hpp"

namespace archbench::results {

// Replaces the problem's problem_params rows with `params` (position = index).
void write_problem_params(sqlite3* db, int64_t problem_id, const std::vector<ProblemParam>& params);

}  // namespace archbench::results
