// Mixture of depths for blocks (block_plan.hpp, BlockDepth): the router's
// choice of each sequence's top tokens and the scatter back, on the CPU and in
// double for the reference. Ties in score go to the earlier token, on both.
#include "harness/block_plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace archbench {
namespace {

float load(const void* data, ab_dtype dtype, int64_t i) {
  return dtype == AB_DTYPE_F32 ? static_cast<const float*>(data)[i]
                               : sdk::bf16_to_f32(static_cast<const uint16_t*>(data)[i]);
}

void store(void* data, ab_dtype dtype, int64_t i, float value) {
  if (dtype == AB_DTYPE_F32) static_cast<float*>(data)[i] = value;
  else static_cast<uint16_t*>(data)[i] = sdk::f32_to_bf16(value);
}

// The `kept` best of one sequence's scores, in ascending position.
template <class Score>
std::vector<int64_t> top_positions(const Score* scores, int64_t tokens, int64_t kept) {
  std::vector<int64_t> order(static_cast<size_t>(tokens));
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + kept, order.end(), [&](int64_t a, int64_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  });
  order.resize(size_t(kept));
  std::sort(order.begin(), order.end());
  return order;
}

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

}  // namespace

void route_tokens(const BlockPlan& plan, const std::vector<void*>& data) {
  const BlockDepth& d = *plan.depth;
  const ab_dtype dtype = plan.dtype;
  const void* x = data[0];
  const void* w = data[d.router];
  float* scores = static_cast<float*>(data[d.scores]);
  int32_t* chosen = static_cast<int32_t*>(data[d.chosen]);
  int32_t* kept_rows = static_cast<int32_t*>(data[d.kept_rows]);
  const int64_t rows = d.batch * d.tokens;
#pragma omp parallel for schedule(static) if (rows * d.d_model > (1 << 16))
  for (int64_t r = 0; r < rows; ++r) {
    float sum = 0;
    for (int64_t c = 0; c < d.d_model; ++c) sum += load(x, dtype, r * d.d_model + c) * load(w, dtype, c);
    scores[r] = sum;
  }
  const size_t row_bytes = size_t(d.d_model) * sdk::dtype_size(dtype);
  for (int64_t b = 0; b < d.batch; ++b) {
    const std::vector<int64_t> kept = top_positions(scores + b * d.tokens, d.tokens, d.kept);
    std::fill(kept_rows + b * d.tokens, kept_rows + (b + 1) * d.tokens, 0);
    for (int64_t j = 0; j < d.kept; ++j) {
      const int64_t row = b * d.tokens + kept[size_t(j)], slot = b * d.kept + j;
      chosen[slot] = int32_t(kept[size_t(j)]);
      kept_rows[row] = 1;
      std::memcpy(static_cast<char*>(data[d.inner_x]) + size_t(slot) * row_bytes,
                  static_cast<const char*>(x) + size_t(row) * row_bytes, row_bytes);
    }
  }
}

void scatter_tokens(const BlockPlan& plan, const std::vector<void*>& data) {
  const BlockDepth& d = *plan.depth;
  const ab_dtype dtype = plan.dtype;
  const float* scores = static_cast<const float*>(data[d.scores]);
  const int32_t* chosen = static_cast<const int32_t*>(data[d.chosen]);
  const int64_t rows = d.batch * d.tokens;
  std::vector<int64_t> slots(size_t(rows), -1);
  for (int64_t j = 0; j < d.batch * d.kept; ++j) slots[size_t((j / d.kept) * d.tokens + chosen[j])] = j;
#pragma omp parallel for schedule(static) if (rows * d.d_model > (1 << 16))
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t slot = slots[size_t(r)];
    const float gate = slot < 0 ? 0.0f : float(sigmoid(scores[r]));
    for (int64_t c = 0; c < d.d_model; ++c) {
      const float x = load(data[0], dtype, r * d.d_model + c);
      const float out = slot < 0 ? x
                                 : x + gate * (load(data[d.inner_y], dtype, slot * d.d_model + c) -
                                               load(data[d.inner_x], dtype, slot * d.d_model + c));
      store(data[d.output], dtype, r * d.d_model + c, out);
    }
  }
}

DepthReference route_reference(const BlockPlan& plan, const std::vector<double>& x, const std::vector<double>& router) {
  const BlockDepth& d = *plan.depth;
  DepthReference out;
  out.scores.assign(size_t(d.batch * d.tokens), 0.0);
  for (int64_t r = 0; r < d.batch * d.tokens; ++r)
    for (int64_t c = 0; c < d.d_model; ++c) out.scores[size_t(r)] += x[size_t(r * d.d_model + c)] * router[size_t(c)];
  out.kept_rows.assign(size_t(d.batch * d.tokens), 0.0);
  out.slot.assign(size_t(d.batch * d.tokens), -1);
  for (int64_t b = 0; b < d.batch; ++b) {
    const std::vector<int64_t> kept = top_positions(out.scores.data() + b * d.tokens, d.tokens, d.kept);
    for (int64_t j = 0; j < d.kept; ++j) {
      const int64_t row = b * d.tokens + kept[size_t(j)];
      out.chosen.push_back(double(kept[size_t(j)]));
      out.kept_rows[size_t(row)] = 1.0;
      out.slot[size_t(row)] = b * d.kept + j;
      out.inner_x.insert(out.inner_x.end(), x.begin() + row * d.d_model, x.begin() + (row + 1) * d.d_model);
    }
  }
  return out;
}

std::vector<double> scatter_reference(const BlockPlan& plan, const std::vector<double>& x, const DepthReference& route,
                                      const std::vector<double>& inner_y) {
  const BlockDepth& d = *plan.depth;
  std::vector<double> y = x;
  for (int64_t r = 0; r < d.batch * d.tokens; ++r) {
    const int64_t slot = route.slot[size_t(r)];
    if (slot < 0) continue;
    const double gate = sigmoid(route.scores[size_t(r)]);
    for (int64_t c = 0; c < d.d_model; ++c)
      y[size_t(r * d.d_model + c)] +=
          gate * (inner_y[size_t(slot * d.d_model + c)] - route.inner_x[size_t(slot * d.d_model + c)]);
  }
  return y;
}

}  // namespace archbench
