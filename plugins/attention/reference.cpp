// Double-precision reference of the attention family, written to be checked
// by reading: projections, QK-norm, RoPE, then for every query row the exact
// two-pass softmax over its visible keys (no online rescaling, no tiling of
// the softmax), then the output projection. Only the products are blocked
// (sdk::reference::gemm_accumulate) and the rows split across threads, so a
// 32K-token prefill is checked in minutes.
#include <archbench/reference.hpp>

#include "attention.hpp"
#include "positions.hpp"
#include "reference_rows.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace archbench::plugins::attention {
namespace {

namespace ref = sdk::reference;

using reference_rows::project;
using reference_rows::rms_normalize;

}  // namespace

void reference_attention(const Shape& s, const sdk::Tensors& tensors, const sdk::Outputs& outputs) {
  const int64_t B = s.batch, T = s.tokens(), H = s.heads, KVH = s.kv_heads, HD = s.head_dim,
                VHD = s.v_head_dim, G = s.group(), first = s.first_position();
  const int64_t q_width = H * HD, k_width = KVH * HD, v_width = KVH * VHD, rows = B * T;

  // 1. This step's q, k, v rows [batch * tokens, width].
  std::vector<double> q, k, v;
  if (s.layer()) {
    const std::vector<double> x = tensors.as_doubles("x");
    q = project(x, tensors, "w_q", s.bias ? "b_q" : nullptr, rows, s.d_model, q_width);
    k = project(x, tensors, "w_k", s.bias ? "b_k" : nullptr, rows, s.d_model, k_width);
    v = project(x, tensors, "w_v", s.bias ? "b_v" : nullptr, rows, s.d_model, v_width);
  } else {
    q = tensors.as_doubles("q");
    k = tensors.as_doubles("k");
    v = tensors.as_doubles("v");
  }

  // 2. QK-norm, then RoPE at each token's position, then the score scale on q.
  std::vector<double> q_gamma, k_gamma;
  if (s.qk_norm != QkNorm::none) {
    q_gamma = tensors.as_doubles("q_norm");
    k_gamma = tensors.as_doubles("k_norm");
  }
  const RopeTable<double> rope(first, T, s.rotary_dims(), s.rope_theta);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t position = first + r % T;
    double* qr = q.data() + r * q_width;
    double* kr = k.data() + r * k_width;
    if (s.qk_norm == QkNorm::projection) {
      rms_normalize(qr, q_width, q_gamma);
      rms_normalize(kr, k_width, k_gamma);
    }
    for (int64_t h = 0; h < H; ++h) {
      if (s.qk_norm == QkNorm::head) rms_normalize(qr + h * HD, HD, q_gamma);
      rope.apply(qr + h * HD, position);
      for (int64_t d = 0; d < HD; ++d) qr[h * HD + d] *= s.score_scale();
    }
    for (int64_t g = 0; g < KVH; ++g) {
      if (s.qk_norm == QkNorm::head) rms_normalize(kr + g * HD, HD, k_gamma);
      rope.apply(kr + g * HD, position);
    }
  }

  // 3. Every visible position's key (transposed: [head_dim][positions]) and
  //    value per (sequence, K/V head): cached history first, then this step.
  const int64_t oldest = s.first_visible(first), span = s.context() - oldest, slots = s.slots();
  const std::vector<double> k_cache = s.mode == Mode::decode ? tensors.as_doubles("k_cache") : std::vector<double>();
  const std::vector<double> v_cache = s.mode == Mode::decode ? tensors.as_doubles("v_cache") : std::vector<double>();
  std::vector<double> keys_t(size_t(B * KVH * HD * span)), values(size_t(B * KVH * span * VHD));
#pragma omp parallel for collapse(2)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t g = 0; g < KVH; ++g) {
      double* kt = keys_t.data() + (b * KVH + g) * HD * span;
      double* vs = values.data() + (b * KVH + g) * span * VHD;
      for (int64_t p = oldest; p < s.context(); ++p) {
        const double *key, *value;
        if (p >= first) {
          key = k.data() + (b * T + (p - first)) * k_width + g * HD;
          value = v.data() + (b * T + (p - first)) * v_width + g * VHD;
        } else {  // decode history: position p lives in ring slot p % slots
          key = k_cache.data() + ((b * KVH + g) * slots + p % slots) * HD;
          value = v_cache.data() + ((b * KVH + g) * slots + p % slots) * VHD;
        }
        for (int64_t d = 0; d < HD; ++d) kt[d * span + (p - oldest)] = key[d];
        std::copy(value, value + VHD, vs + (p - oldest) * VHD);
      }
    }

  // 4. Scores, exact softmax and weighted values, one block of query tokens of
  //    one K/V head at a time (rows ordered token, head-in-group).
  std::vector<double> sinks;
  if (s.sinks) sinks = tensors.as_doubles("sinks");
  const std::vector<double> slopes = s.position == Position::alibi ? alibi_slopes(H) : std::vector<double>();
  const int64_t block_tokens = std::max<int64_t>(1, 64 / G);
  const int64_t blocks = (T + block_tokens - 1) / block_tokens;
  std::vector<double> attended(size_t(rows * H * VHD));
#pragma omp parallel for collapse(3) schedule(dynamic)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t g = 0; g < KVH; ++g)
      for (int64_t blk = 0; blk < blocks; ++blk) {
        const int64_t t0 = blk * block_tokens, t1 = std::min(T, t0 + block_tokens);
        const int64_t lo = s.first_visible(first + t0), hi = first + t1;  // key positions [lo, hi)
        const int64_t n = hi - lo, m = (t1 - t0) * G;
        std::vector<double> q_rows(size_t(m * HD)), scores(size_t(m * n), 0.0), out(size_t(m * VHD), 0.0);
        for (int64_t t = t0; t < t1; ++t)
          for (int64_t j = 0; j < G; ++j)
            std::copy_n(q.data() + (b * T + t) * q_width + (g * G + j) * HD, HD,
                        q_rows.data() + ((t - t0) * G + j) * HD);
        const double* kt = keys_t.data() + (b * KVH + g) * HD * span + (lo - oldest);
        ref::gemm_accumulate(q_rows.data(), HD, kt, span, scores.data(), n, m, n, HD);
        for (int64_t r = 0; r < m; ++r) {
          const int64_t i = first + t0 + r / G, h = g * G + r % G;
          const int64_t visible_lo = s.first_visible(i);
          double* row = scores.data() + r * n;
          double max = s.sinks ? sinks[size_t(h)] : -std::numeric_limits<double>::infinity();
          for (int64_t c = 0; c < n; ++c) {
            const int64_t j_pos = lo + c;
            if (j_pos < visible_lo || j_pos > i) continue;
            double score = row[c];
            if (s.softcap > 0) score = s.softcap * std::tanh(score / s.softcap);
            if (!slopes.empty()) score -= slopes[size_t(h)] * double(i - j_pos);
            row[c] = score;
            max = std::max(max, score);
          }
          double total = s.sinks ? std::exp(sinks[size_t(h)] - max) : 0.0;
          for (int64_t c = 0; c < n; ++c) {
            const int64_t j_pos = lo + c;
            row[c] = (j_pos < visible_lo || j_pos > i) ? 0.0 : std::exp(row[c] - max);
            total += row[c];
          }
          for (int64_t c = 0; c < n; ++c) row[c] /= total;
        }
        const double* vs = values.data() + (b * KVH + g) * span * VHD + (lo - oldest) * VHD;
        ref::gemm_accumulate(scores.data(), n, vs, VHD, out.data(), VHD, m, VHD, n);
        for (int64_t r = 0; r < m; ++r) {
          const int64_t t = t0 + r / G, h = g * G + r % G;
          std::copy_n(out.data() + r * VHD, VHD, attended.data() + ((b * T + t) * H + h) * VHD);
        }
      }

  // 5. Gated attention: every output channel times sigmoid of its gate logit.
  if (s.gate) {
    const std::vector<double> logits = s.layer() ? project(tensors.as_doubles("x"), tensors, "w_g", nullptr, rows,
                                                           s.d_model, H * VHD)
                                                 : tensors.as_doubles("gate");
    for (size_t e = 0; e < attended.size(); ++e) attended[e] /= 1.0 + std::exp(-logits[e]);
  }

  // 6. Output: the attention rows themselves, or their output projection.
  if (s.layer()) {
    const std::vector<double> y =
        project(attended, tensors, "w_o", s.bias ? "b_o" : nullptr, rows, H * VHD, s.d_model);
    std::copy(y.begin(), y.end(), outputs["y"]);
  } else {
    std::copy(attended.begin(), attended.end(), outputs["out"]);
  }
}

}  // namespace archbench::plugins::attention
