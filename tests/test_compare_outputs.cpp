// The output checks' tie stand-ins (harness/compare_outputs.hpp): a selection
// that picks another of tied scores leaves that row out of the numeric
// outputs with as many rows, but only that row, only on a real tie, and on at
// most 1 row in 8.
#include "harness/compare_outputs.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <map>

using namespace archbench;

namespace {

ab_tensor_desc output(const char* name, ab_dtype dtype, int64_t rows, int64_t width, ab_compare compare) {
  ab_tensor_desc d{};
  d.struct_size = sizeof d;
  std::strncpy(d.name, name, sizeof d.name - 1);
  d.role = AB_TENSOR_OUTPUT;
  d.dtype = dtype;
  d.rank = 2;
  d.dims[0] = rows;
  d.dims[1] = width;
  d.compare = compare;
  return d;
}

// 16 rows choosing 1 of 3 experts, scored; y follows the choice (row r: the expert's value).
struct Selection {
  static constexpr int64_t kRows = 16;
  ab_problem_info info{};
  std::vector<double> ref_experts, ref_scores, ref_y;
  Selection() {
    info.struct_size = sizeof info;
    info.tensors[0] = output("experts", AB_DTYPE_I32, kRows, 1, AB_COMPARE_INDEX_SET);
    std::strcpy(info.tensors[0].scores, "scores");
    info.tensors[1] = output("scores", AB_DTYPE_F32, kRows, 3, AB_COMPARE_UNCHECKED);
    info.tensors[2] = output("y", AB_DTYPE_F32, kRows, 2, AB_COMPARE_NUMERIC);
    info.tensor_count = 3;
    for (int64_t r = 0; r < kRows; ++r) {
      ref_experts.push_back(0);
      for (double s : {1.0, 0.5, 0.2}) ref_scores.push_back(s);
      ref_y.push_back(1.0 + double(r));
      ref_y.push_back(-2.0);
    }
  }
  // The run's outputs: the reference's, with `choose` (row -> expert) and y's rows changed.
  OutputCheck check(const std::map<int64_t, int>& choose, const std::vector<int64_t>& wrong_y_rows,
                    double tie_score = 1.0) {
    std::vector<double> scores = ref_scores;
    for (auto [row, expert] : choose) scores[size_t(row * 3 + expert)] = tie_score;
    TensorSet tensors(info);
    auto* experts = static_cast<int32_t*>(tensors.bound()[0].data);
    auto* y = static_cast<float*>(tensors.bound()[2].data);
    for (int64_t r = 0; r < kRows; ++r) {
      experts[r] = choose.count(r) ? choose.at(r) : 0;
      y[2 * r] = float(ref_y[size_t(2 * r)]);
      y[2 * r + 1] = float(ref_y[size_t(2 * r + 1)]);
    }
    for (int64_t r : wrong_y_rows) y[2 * r] = 100.0f;
    return check_outputs(tensors, {ref_experts, scores, ref_y}, AB_DTYPE_BF16, AB_BACKEND_CPU);
  }
};

}  // namespace

TEST_CASE("checks: a tie stand-in leaves its row out of y, and only on a real tie", "[harness]") {
  Selection s;
  CHECK(s.check({}, {}).failure.empty());
  // Row 3 picks expert 1, which ties the reference's choice (0.999 vs 1.0): its y row may differ.
  CHECK(s.check({{3, 1}}, {3}, 0.999).failure.empty());
  // ... but a row that took no stand-in may not.
  CHECK_THAT(s.check({{3, 1}}, {4}, 0.999).failure, Catch::Contains("nmse"));
  // No tie (0.5 vs 1.0): the choice itself fails.
  CHECK_THAT(s.check({{3, 1}}, {3}, 0.5).failure, Catch::Contains("not in the top 1"));
  // Ties on more than 1 row in 8 are a selection not choosing by its scores.
  CHECK_THAT(s.check({{1, 1}, {2, 1}, {3, 1}}, {1, 2, 3}, 0.999).failure, Catch::Contains("tie stand-ins on 3 of its 16"));
}
