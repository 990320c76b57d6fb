// Reading stored samples (see samples.hpp).
#include "results/samples.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace archbench::results {

namespace {

// Runs `select` (which must read result_id first) over the ids in batches: ids are
// integers from the store itself, so they are spliced in rather than bound one
// statement per result.
template <class Row>
void for_each_sample_row(const Store& store, const std::vector<int64_t>& result_ids, const std::string& select,
                         const std::string& order, Row&& row) {
  constexpr size_t kBatch = 500;
  for (size_t from = 0; from < result_ids.size(); from += kBatch) {
    std::string list;
    for (size_t i = from; i < std::min(result_ids.size(), from + kBatch); ++i)
      list += (list.empty() ? "" : ",") + std::to_string(result_ids[i]);
    const QueryResult rows = store.query(select + " FROM samples WHERE result_id IN (" + list + ") ORDER BY " + order);
    for (const auto& r : rows.rows) row(r);
  }
}

}  // namespace

std::map<int64_t, std::vector<double>> load_samples(const Store& store, const std::vector<int64_t>& result_ids) {
  std::map<int64_t, std::vector<double>> out;
  for_each_sample_row(store, result_ids, "SELECT result_id, seconds", "result_id, repetition",
                      [&](const std::vector<Cell>& row) { out[cell_int(row[0])].push_back(cell_real(row[1])); });
  return out;
}

std::map<int64_t, stats::RoundSamples> load_round_samples(const Store& store, const std::vector<int64_t>& result_ids) {
  std::map<int64_t, stats::RoundSamples> out;
  for_each_sample_row(store, result_ids, "SELECT result_id, round, seconds", "result_id, round, repetition",
                      [&](const std::vector<Cell>& row) {
                        auto& rounds = out[cell_int(row[0])];
                        // Clamped: a database is input, and rounds are at most 100 (--rounds).
                        const size_t round = size_t(std::clamp<int64_t>(cell_int(row[1]), 0, 1000));
                        if (round >= rounds.size()) rounds.resize(round + 1);
                        rounds[round].push_back(cell_real(row[2]));
                      });
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
