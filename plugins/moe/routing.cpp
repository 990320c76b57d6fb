// The double-precision routing every check trusts: logits as plain dot
// products, each token's experts by a full stable sort of the selection scores
// (lower index first on exact ties), groups by the sum of their two best
// scores, then capacity applied in token order. The fast paths select with a
// partial top-k in f32 instead; this file must stay the obvious version.
#include "moe.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace archbench::plugins::moe {
namespace {

// Indices 0..n-1 ordered by score, best first; exact ties by lower index.
std::vector<int32_t> ranked(const double* score, int64_t n) {
  std::vector<int32_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return score[a] > score[b]; });
  return order;
}

// DeepSeek V3's group-limited selection: a group's score is the sum of its two
// best (biased) scores; experts outside the top_groups best groups score -1
// (below any sigmoid + bias in range), so they are never chosen.
void mask_groups(const Shape& s, double* score) {
  if (s.groups <= 1) return;
  const int64_t size = s.experts / s.groups;
  std::vector<double> group_score(size_t(s.groups));
  for (int64_t g = 0; g < s.groups; ++g) {
    std::vector<double> members(score + g * size, score + (g + 1) * size);
    std::sort(members.begin(), members.end(), std::greater<>());
    group_score[size_t(g)] = members[0] + (size > 1 ? members[1] : 0.0);
  }
  const std::vector<int32_t> groups = ranked(group_score.data(), s.groups);
  for (int64_t r = s.top_groups; r < s.groups; ++r)
    for (int64_t e = groups[size_t(r)] * size; e < (groups[size_t(r)] + 1) * size; ++e) score[e] = -1.0;
}

}  // namespace

Routing route_in_double(Router router, const Shape& s, const sdk::Tensors& tensors) {
  const std::vector<double> x = tensors.as_doubles("x"), w_router = tensors.as_doubles("w_router"),
                            offset = tensors.as_doubles("logit_offset");
  const std::vector<double> bias =
      router == Router::sigmoid_topk ? tensors.as_doubles("selection_bias") : std::vector<double>(size_t(s.experts));
  Routing r;
  r.experts.resize(size_t(s.tokens * s.top_k));
  r.weights.resize(size_t(s.tokens * s.top_k));
  r.scores.resize(size_t(s.tokens * s.experts));
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < s.tokens; ++t) {
    std::vector<double> logit(size_t(s.experts));
    for (int64_t e = 0; e < s.experts; ++e) {
      double sum = 0;
      for (int64_t d = 0; d < s.d_model; ++d) sum += x[size_t(t * s.d_model + d)] * w_router[size_t(e * s.d_model + d)];
      logit[size_t(e)] = sum + offset[size_t(e)];
    }
    double* score = r.scores.data() + t * s.experts;
    std::vector<double> weight_of(size_t(s.experts));  // the weight an expert gets if chosen
    if (router == Router::softmax_topk) {
      const double top = *std::max_element(logit.begin(), logit.end());
      double total = 0;
      for (int64_t e = 0; e < s.experts; ++e) total += std::exp(logit[size_t(e)] - top);
      for (int64_t e = 0; e < s.experts; ++e) score[e] = weight_of[size_t(e)] = std::exp(logit[size_t(e)] - top) / total;
    } else {
      for (int64_t e = 0; e < s.experts; ++e) {
        weight_of[size_t(e)] = 1.0 / (1.0 + std::exp(-logit[size_t(e)]));
        score[e] = weight_of[size_t(e)] + bias[size_t(e)];  // bias: zero except sigmoid-topk
      }
      if (router == Router::sigmoid_topk) mask_groups(s, score);
    }
    const std::vector<int32_t> order = ranked(score, s.experts);
    double chosen_total = 0;
    for (int64_t j = 0; j < s.top_k; ++j) chosen_total += weight_of[size_t(order[size_t(j)])];
    for (int64_t j = 0; j < s.top_k; ++j) {
      const int32_t e = order[size_t(j)];
      double w = weight_of[size_t(e)];
      if (s.renormalize) w /= chosen_total;
      r.experts[size_t(t * s.top_k + j)] = e;
      r.weights[size_t(t * s.top_k + j)] = w * s.route_scale;
    }
  }
  // Capacity: each expert keeps its first assignments in token order.
  r.kept.assign(r.experts.size(), 1);
  r.expert_load.assign(size_t(s.experts), 0);
  const int64_t capacity = s.capacity();
  for (size_t a = 0; a < r.experts.size(); ++a) {
    int64_t& load = r.expert_load[size_t(r.experts[a])];
    if (load < capacity) ++load;
    else r.kept[a] = 0, ++r.dropped;
  }
  return r;
}

}  // namespace archbench::plugins::moe
