// Reading stored samples (see samples.hpp).
#include "results/samples.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace archbench::results {

std::map<int64_t, std::vector<double>> load_samples(const Store& store, const std::vector<int64_t>& result_ids) {
  std::map<int64_t, std::vector<double>> out;
  // Ids are integers from the store itself, so they are spliced in batches
  // rather than bound one statement per result.
  constexpr size_t kBatch = 500;
  for (size_t from = 0; from < result_ids.size(); from += kBatch) {
    std::string list;
    for (size_t i = from; i < std::min(result_ids.size(), from + kBatch); ++i)
      list += (list.empty() ? "" : ",") + std::to_string(result_ids[i]);
    const QueryResult rows = store.query("SELECT result_id, seconds FROM samples WHERE result_id IN (" + list +
                                         ") ORDER BY result_id, repetition");
    for (const auto& row : rows.rows) out[cell_int(row[0])].push_back(cell_real(row[1]));
  }
  return out;
}

int64_t cell_int(const Cell& cell, int64_t otherwise) {
  if (const auto* v = std::get_if<int64_t>(&cell)) return *v;
  if (const auto* v = std::get_if<double>(&cell)) return int64_t(*v);
  return otherwise;
}

double cell_real(const Cell& cell) {
  if (const auto* v = std::get_if<double>(&cell)) return *v;
  if (const auto* v = std::get_if<int64_t>(&cell)) return double(*v);
  return std::nan("");
}

}  // namespace archbench::results
