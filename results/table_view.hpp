// Shaping a leaderboard for the terminal: tables fit 120 columns by default.
// csv and json keep every column at full precision; the table and md views merge
// the interval into one cell, mark tied ranks ("2="), drop columns that carry
// nothing (all empty, or speed_vs_cpu all 1), then drop the least useful columns
// and shorten the design strings until the widest line fits, and say what they hid.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "results/store.hpp"

namespace archbench::results {

inline constexpr size_t kDefaultTableWidth = 120;

struct TableView {
  QueryResult table;
  std::vector<std::string> hidden;  // columns left out to fit, in the order dropped
  bool shortened = false;           // some design strings were cut to fit
  bool reference_fallback = false;  // some design is marked "!" (oneDNN reference implementation)
  // What every row shares, left out of the table: "backend vulkan", "shape tokens b1.dm0".
  std::vector<std::string> common;
  // "(hidden to fit 120 columns: run_id, gflops; --columns or --format csv shows them)", or "".
  // Wrapped to `width` columns; "" when nothing was left out.
  std::string note(size_t width = kDefaultTableWidth) const;

 private:
  std::string unwrapped_note(size_t width) const;
};

// The leaderboard (results::leaderboard) as a table of at most `width` characters.
TableView fit_leaderboard(const QueryResult& board, size_t width = kDefaultTableWidth);

// What a reader of `board` (the whole leaderboard) should know before trusting it:
// results with cv above `high_cv`, bandwidth above the calibrated peak (the data
// was cache-resident), and results shown from --quick runs.
std::vector<std::string> board_warnings(const QueryResult& board, double high_cv = 0.1);

// Whether an implementation list (results.impl, "matmul:ref:any,...") names oneDNN's
// reference fallback for some primitive.
bool has_reference_fallback(const std::string& implementations);

// Only `columns` (a comma list, in that order). An unknown name -> InputError
// naming --columns and listing the available ones.
QueryResult select_columns(const QueryResult& result, const std::string& columns);

// The widest line of the table rendering.
size_t table_width(const QueryResult& result);

}  // namespace archbench::results
