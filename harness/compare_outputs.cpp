// Output checking by comparison policy (see compare_outputs.hpp).
#include "harness/compare_outputs.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

namespace archbench {
namespace {

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

// Every element equal to the reference.
std::string check_exact(const std::vector<double>& out, const std::vector<double>& ref) {
  for (size_t i = 0; i < out.size(); ++i)
    if (!(out[i] == ref[i]))
      return "element " + std::to_string(i) + " is " + number(out[i]) + ", expected " + number(ref[i]);
  return {};
}

// The values a selection ranks: the scores tensor's data for inputs, its
// reference for outputs (the host trusts only the reference's scores).
std::vector<double> scores_of(const TensorSet& tensors, const std::vector<std::vector<double>>& reference,
                              const char* name) {
  size_t output = 0;
  for (uint32_t i = 0; i < tensors.count(); ++i) {
    const ab_tensor_desc& d = tensors.info().tensors[i];
    const bool is_output = d.role == AB_TENSOR_OUTPUT;
    if (std::strncmp(d.name, name, sizeof d.name) == 0)
      return is_output ? reference[output] : tensors.output_as_doubles(i);
    if (is_output) ++output;
  }
  return {};
}

// Each row a set of distinct valid indices equal to the reference's, or (with
// scores) each index scoring within the tie tolerance of the reference's worst.
// A row may choose fewer than k (a query with fewer candidates than k): -1
// pads it, as many times as in the reference's row. Scores of -inf mark
// choices that are not allowed (masked candidates); they take no part in the
// tolerance, which scales with the largest finite score of the row.
std::string check_index_set(const ab_tensor_desc& d, const std::vector<double>& out, const std::vector<double>& ref,
                            const std::vector<double>* scores, double tie, std::set<int64_t>& stand_in_rows) {
  const int64_t k = d.dims[d.rank - 1], rows = int64_t(out.size()) / k;
  const int64_t n = scores ? int64_t(scores->size()) / rows : 0;
  for (int64_t r = 0; r < rows; ++r) {
    const std::string where = "row " + std::to_string(r) + ": ";
    std::set<int64_t> chosen, expected;
    int64_t padding = 0, expected_padding = 0;
    for (int64_t j = 0; j < k; ++j) {
      const double value = out[size_t(r * k + j)];
      if (std::llround(ref[size_t(r * k + j)]) == -1) ++expected_padding;
      else expected.insert(int64_t(std::llround(ref[size_t(r * k + j)])));
      if (value == -1) {
        ++padding;
        continue;
      }
      if (value != std::floor(value) || value < 0 || (scores && value >= double(n)))
        return where + "index " + number(value) + " is not a valid choice";
      if (scores && std::isinf(scores->at(size_t(r * n + int64_t(value)))))
        return where + "index " + number(value) + " is not a valid choice (masked)";
      if (!chosen.insert(int64_t(value)).second) return where + "index " + number(value) + " is chosen twice";
    }
    if (padding != expected_padding)
      return where + std::to_string(k - padding) + " indices chosen where the reference chose " +
             std::to_string(k - expected_padding) + ": " + std::to_string(padding) + " padding (-1) entries are not a valid choice";
    if (!scores) {
      if (chosen != expected) return where + "the selection differs from the reference's";
      continue;
    }
    const double* row = scores->data() + r * n;
    double worst = INFINITY, largest = 0;
    for (int64_t e : expected) worst = std::min(worst, row[e]);
    for (int64_t e = 0; e < n; ++e)
      if (std::isfinite(row[e])) largest = std::max(largest, std::fabs(row[e]));
    const double slack = tie * largest;
    for (int64_t c : chosen)
      if (row[c] < worst - slack)
        return where + "index " + std::to_string(c) + " (score " + number(row[c]) +
               ") is not in the top " + std::to_string(k) + " (the reference's k-th best scores " + number(worst) +
               ", tie tolerance " + number(slack) + ")";
    if (chosen != expected) stand_in_rows.insert(r);
  }
  return {};
}

int64_t row_count(const ab_tensor_desc& d) {
  int64_t rows = 1;
  for (uint32_t i = 0; i + 1 < d.rank; ++i) rows *= d.dims[i];
  return rows;
}

// `values` without the rows in `rows` (each `width` long).
std::vector<double> without_rows(const std::vector<double>& values, const std::set<int64_t>& rows, int64_t width) {
  std::vector<double> kept;
  kept.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    if (!rows.count(int64_t(i) / width)) kept.push_back(values[i]);
  return kept;
}

}  // namespace

double tie_tolerance(ab_dtype dtype, ab_backend backend) { return std::sqrt(nmse_tolerance(dtype, backend)); }

OutputCheck check_outputs(const TensorSet& tensors, const std::vector<std::vector<double>>& reference,
                          ab_dtype dtype, ab_backend backend) {
  OutputCheck check;
  // Exact and index-set outputs first: the rows where a selection took a tie
  // stand-in (by row count, e.g. a block's tokens whose experts flipped on a
  // near-tie) are then left out of the numeric outputs with as many rows,
  // whose values legitimately differ there.
  std::map<int64_t, std::set<int64_t>> stand_ins;  // row count -> rows
  size_t output = 0;
  for (uint32_t i = 0; i < tensors.count(); ++i) {
    const ab_tensor_desc& d = tensors.info().tensors[i];
    if (d.role != AB_TENSOR_OUTPUT) continue;
    const std::vector<double>& ref = reference[output++];
    if (d.compare != AB_COMPARE_EXACT && d.compare != AB_COMPARE_INDEX_SET) continue;
    const std::vector<double> out = tensors.output_as_doubles(i);
    std::string why;
    if (d.compare == AB_COMPARE_EXACT) {
      why = check_exact(out, ref);
    } else {
      const std::vector<double> scores = d.scores[0] ? scores_of(tensors, reference, d.scores) : std::vector<double>{};
      why = check_index_set(d, out, ref, d.scores[0] ? &scores : nullptr, tie_tolerance(dtype, backend),
                            stand_ins[row_count(d)]);
    }
    if (!why.empty() && check.failure.empty()) check.failure = std::string("output '") + d.name + "' " + why;
  }
  FidelityMeter meter;
  output = 0;
  for (uint32_t i = 0; i < tensors.count(); ++i) {
    const ab_tensor_desc& d = tensors.info().tensors[i];
    if (d.role != AB_TENSOR_OUTPUT) continue;
    const std::vector<double>& ref = reference[output++];
    if (d.compare != AB_COMPARE_NUMERIC) continue;
    const std::vector<double> out = tensors.output_as_doubles(i);
    auto skipped = stand_ins.find(row_count(d));
    if (skipped == stand_ins.end() || skipped->second.empty()) {
      meter.add(out, ref.data());
      continue;
    }
    // Ties are rare in real scores: a selection standing in on many rows would
    // leave too little of the output compared.
    const int64_t rows = row_count(d);
    if (skipped->second.size() > size_t(std::max<int64_t>(1, rows / 8)) && check.failure.empty())
      check.failure = std::string("output '") + d.name + "': a selection took tie stand-ins on " +
                      std::to_string(skipped->second.size()) + " of its " + std::to_string(rows) +
                      " rows; at most 1 in 8 may be left out of the comparison";
    const int64_t width = d.rank ? d.dims[d.rank - 1] : 1;
    const std::vector<double> kept_ref = without_rows(ref, skipped->second, width);
    meter.add(without_rows(out, skipped->second, width), kept_ref.data());
  }
  check.numeric = meter.result();
  if (check.failure.empty()) check.failure = judge(check.numeric, dtype, backend);
  return check;
}

}  // namespace archbench
