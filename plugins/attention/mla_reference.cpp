// Double-precision reference of multi-head latent attention, written to be
// checked by reading and deliberately on the decompressing path whatever
// `absorb` says: projections and latent norms, RoPE on the query's rope part
// and the shared key, then per head its keys and values up-projected from
// every visible position's latent, the exact two-pass softmax per query row
// (no online rescaling, no tiling of the softmax) and the output projection.
// Only the products are blocked (sdk::reference::gemm_accumulate) and the
// heads split across threads. For DSA the indexer's scores come first, in
// full over the visible positions, and each query row's top_k by an exact
// sort (ties to the earlier position) masks its softmax.
#include <archbench/reference.hpp>

#include "mla.hpp"
#include "positions.hpp"
#include "reference_rows.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace archbench::plugins::attention {
namespace {

namespace ref = sdk::reference;

using reference_rows::rms_normalize;

std::vector<double> project(const std::vector<double>& in, const sdk::Tensors& tensors, const char* weight,
                            int64_t rows, int64_t d_in, int64_t width) {
  return reference_rows::project(in, tensors, weight, nullptr, rows, d_in, width);
}

// LayerNorm of the index key (eps 1e-6, as the indexer's).
void layer_normalize(double* x, int64_t n, const std::vector<double>& gamma, const std::vector<double>& beta) {
  double mean = 0, var = 0;
  for (int64_t d = 0; d < n; ++d) mean += x[d];
  mean /= double(n);
  for (int64_t d = 0; d < n; ++d) var += (x[d] - mean) * (x[d] - mean);
  const double inverse = 1.0 / std::sqrt(var / double(n) + 1e-6);
  for (int64_t d = 0; d < n; ++d) x[d] = (x[d] - mean) * inverse * gamma[size_t(d)] + beta[size_t(d)];
}

// The lightning indexer: per query row its scores over the visible positions
// and its selection. Returns per row the chosen flags over [oldest, context).
std::vector<char> select_positions(const MlaShape& s, const sdk::Tensors& tensors, const std::vector<double>& x,
                                   const std::vector<double>& q_latent, const sdk::Outputs& outputs) {
  const Shape p = s.positions();
  const int64_t B = s.batch, T = p.tokens(), IH = s.index_heads, ID = s.index_dim, first = p.first_position();
  const int64_t rows = B * T, oldest = p.first_visible(first), span = p.context() - oldest, slots = p.slots();
  std::vector<double> iq, iw, ik;
  if (s.layer()) {
    const bool from_latent = s.q_lora_rank > 0;
    iq = project(from_latent ? q_latent : x, tensors, "w_iq", rows, from_latent ? s.q_lora_rank : s.d_model, IH * ID);
    iw = project(x, tensors, "w_iw", rows, s.d_model, IH);
    for (double& w : iw) w /= std::sqrt(double(IH * ID));
    ik = project(x, tensors, "w_ik", rows, s.d_model, ID);
    const std::vector<double> gamma = tensors.as_doubles("ik_gamma"), beta = tensors.as_doubles("ik_beta");
    for (int64_t r = 0; r < rows; ++r) layer_normalize(ik.data() + r * ID, ID, gamma, beta);
  } else {
    iq = tensors.as_doubles("index_q");
    iw = tensors.as_doubles("index_w");
    ik = tensors.as_doubles("index_k");
  }
  const RopeTable<double> rope(first, T, s.index_rope, s.rope_theta);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t position = first + r % T;
    for (int64_t j = 0; j < IH; ++j) rope.apply(iq.data() + (r * IH + j) * ID, position);
    rope.apply(ik.data() + r * ID, position);
  }
  // Index keys of the visible positions, transposed [B][ID][span].
  const std::vector<double> cache = s.mode == Mode::decode ? tensors.as_doubles("index_cache") : std::vector<double>();
  std::vector<double> keys_t(size_t(B * ID * span));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t pos = oldest; pos < p.context(); ++pos) {
      const double* key = pos >= first ? ik.data() + (b * T + pos - first) * ID
                                       : cache.data() + (b * slots + pos % slots) * ID;
      for (int64_t d = 0; d < ID; ++d) keys_t[size_t((b * ID + d) * span + pos - oldest)] = key[d];
    }
  std::vector<char> chosen(size_t(rows * span), 0);
  double* scores_out = s.has_index_scores() ? outputs["index_scores"] : nullptr;
  double* selected_out = outputs["selected"];
  const int64_t context = p.context();
#pragma omp parallel for schedule(dynamic)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t b = r / T, i = first + r % T, lo = p.first_visible(i), n = i - lo + 1;
    std::vector<double> per_head(size_t(IH * n), 0.0), score(size_t(n), 0.0);
    ref::gemm_accumulate(iq.data() + r * IH * ID, ID, keys_t.data() + b * ID * span + (lo - oldest), span,
                         per_head.data(), n, IH, n, ID);
    for (int64_t j = 0; j < IH; ++j)
      for (int64_t c = 0; c < n; ++c) score[size_t(c)] += iw[size_t(r * IH + j)] * std::max(0.0, per_head[size_t(j * n + c)]);
    if (scores_out) {
      double* row_scores = scores_out + r * context;
      std::fill(row_scores, row_scores + context, -std::numeric_limits<double>::infinity());
      std::copy(score.begin(), score.end(), row_scores + lo);
    }
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t c = 0; c < n; ++c) order[size_t(c)] = c;
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t c) { return score[size_t(a)] > score[size_t(c)]; });
    for (int64_t j = 0; j < s.kept(); ++j) {
      const bool kept = j < n && j < s.top_k;
      selected_out[r * s.kept() + j] = kept ? double(lo + order[size_t(j)]) : -1.0;
      if (kept) chosen[size_t(r * span + lo + order[size_t(j)] - oldest)] = 1;
    }
  }
  return chosen;
}

}  // namespace

void reference_mla(const MlaShape& s, const sdk::Tensors& tensors, const sdk::Outputs& outputs) {
  const Shape p = s.positions();
  const int64_t B = s.batch, T = p.tokens(), H = s.heads, KVR = s.kv_lora_rank, NOPE = s.nope,
                ROPE = s.rope, QK = s.qk_dim(), VHD = s.v_head_dim, first = p.first_position();
  const int64_t rows = B * T, q_width = H * QK, width = s.cache_width();

  // 1. This step's queries [rows, H*QK], latents [rows, KVR] and RoPE keys [rows, ROPE].
  std::vector<double> q, latent(size_t(rows * KVR)), k_rope(size_t(rows * ROPE)), x, cq;
  if (s.layer()) {
    x = tensors.as_doubles("x");
    if (s.q_lora_rank > 0) {
      cq = project(x, tensors, "w_dq", rows, s.d_model, s.q_lora_rank);
      if (s.latent_norm) {
        const std::vector<double> gamma = tensors.as_doubles("q_norm");
        for (int64_t r = 0; r < rows; ++r) rms_normalize(cq.data() + r * s.q_lora_rank, s.q_lora_rank, gamma);
      }
      q = project(cq, tensors, "w_uq", rows, s.q_lora_rank, q_width);
    } else {
      q = project(x, tensors, "w_q", rows, s.d_model, q_width);
    }
    const std::vector<double> ckv = project(x, tensors, "w_dkv", rows, s.d_model, width);
    const std::vector<double> gamma = s.latent_norm ? tensors.as_doubles("kv_norm") : std::vector<double>();
    for (int64_t r = 0; r < rows; ++r) {
      std::copy_n(ckv.data() + r * width, KVR, latent.data() + r * KVR);
      std::copy_n(ckv.data() + r * width + KVR, ROPE, k_rope.data() + r * ROPE);
      if (s.latent_norm) rms_normalize(latent.data() + r * KVR, KVR, gamma);
    }
  } else {
    q = tensors.as_doubles("q");
    latent = tensors.as_doubles("latent");
    if (ROPE > 0) k_rope = tensors.as_doubles("k_rope");
  }

  // 2. RoPE at each token's position: the query's last ROPE dims per head, and
  //    the one shared key; the score scale goes on the query.
  const RopeTable<double> rope(first, T, ROPE, s.rope_theta);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t position = first + r % T;
    for (int64_t h = 0; h < H; ++h) {
      double* qh = q.data() + r * q_width + h * QK;
      rope.apply(qh + NOPE, position);
      for (int64_t d = 0; d < QK; ++d) qh[d] *= s.score_scale();
    }
    rope.apply(k_rope.data() + r * ROPE, position);
  }

  // 3. Every visible position's cache row [latent | rotated key] per sequence:
  //    decode history from the ring (slot = position % slots), then this step.
  const int64_t oldest = p.first_visible(first), span = p.context() - oldest, slots = p.slots();
  const std::vector<double> cache =
      s.mode == Mode::decode ? tensors.as_doubles("kv_cache") : std::vector<double>();
  std::vector<double> lat(size_t(B * span * KVR)), rot(size_t(B * span * ROPE));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t pos = oldest; pos < p.context(); ++pos) {
      const int64_t c = pos - oldest;
      if (pos >= first) {
        const int64_t r = b * T + (pos - first);
        std::copy_n(latent.data() + r * KVR, KVR, lat.data() + (b * span + c) * KVR);
        std::copy_n(k_rope.data() + r * ROPE, ROPE, rot.data() + (b * span + c) * ROPE);
      } else {
        const double* row = cache.data() + (b * slots + pos % slots) * width;
        std::copy_n(row, KVR, lat.data() + (b * span + c) * KVR);
        std::copy_n(row + KVR, ROPE, rot.data() + (b * span + c) * ROPE);
      }
    }

  // DSA: which positions each query row keeps.
  const std::vector<char> chosen = s.sparse() ? select_positions(s, tensors, x, cq, outputs) : std::vector<char>();

  // 4. Per (sequence, head): decompress its keys (transposed, [QK][span]) and
  //    values [span][VHD], then exact softmax rows over the visible keys.
  const std::vector<double> w_uk = tensors.as_doubles("w_uk"), w_uv = tensors.as_doubles("w_uv");
  std::vector<double> attended(size_t(rows * H * VHD));
#pragma omp parallel for collapse(2) schedule(dynamic)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      std::vector<double> keys(size_t(span * NOPE), 0.0), keys_t(size_t(QK * span)),
          values(size_t(span * VHD), 0.0);
      const double* L = lat.data() + b * span * KVR;
      ref::gemm_accumulate(L, KVR, w_uk.data() + h * NOPE, H * NOPE, keys.data(), NOPE, span, NOPE, KVR);
      ref::gemm_accumulate(L, KVR, w_uv.data() + h * VHD, H * VHD, values.data(), VHD, span, VHD, KVR);
      for (int64_t c = 0; c < span; ++c) {
        for (int64_t d = 0; d < NOPE; ++d) keys_t[size_t(d * span + c)] = keys[size_t(c * NOPE + d)];
        for (int64_t d = 0; d < ROPE; ++d) keys_t[size_t((NOPE + d) * span + c)] = rot[size_t((b * span + c) * ROPE + d)];
      }
      constexpr int64_t block = 64;
      std::vector<double> q_rows(size_t(block * QK)), scores, out;
      for (int64_t t0 = 0; t0 < T; t0 += block) {
        const int64_t m = std::min(block, T - t0);
        const int64_t lo = p.first_visible(first + t0), hi = first + t0 + m;  // key positions [lo, hi)
        const int64_t n = hi - lo;
        for (int64_t t = 0; t < m; ++t)
          std::copy_n(q.data() + (b * T + t0 + t) * q_width + h * QK, QK, q_rows.data() + t * QK);
        scores.assign(size_t(m * n), 0.0);
        out.assign(size_t(m * VHD), 0.0);
        ref::gemm_accumulate(q_rows.data(), QK, keys_t.data() + (lo - oldest), span, scores.data(), n, m, n, QK);
        for (int64_t t = 0; t < m; ++t) {
          const int64_t i = first + t0 + t, visible_lo = p.first_visible(i);
          const char* kept = s.sparse() ? chosen.data() + ((b * T + t0 + t) * span + lo - oldest) : nullptr;
          const auto attends = [&](int64_t c) { return lo + c >= visible_lo && lo + c <= i && (!kept || kept[c]); };
          double* row = scores.data() + t * n;
          double max = -std::numeric_limits<double>::infinity();
          for (int64_t c = 0; c < n; ++c)
            if (attends(c)) max = std::max(max, row[c]);
          double total = 0;
          for (int64_t c = 0; c < n; ++c) {
            row[c] = attends(c) ? std::exp(row[c] - max) : 0.0;
            total += row[c];
          }
          for (int64_t c = 0; c < n; ++c) row[c] /= total;
        }
        ref::gemm_accumulate(scores.data(), n, values.data() + (lo - oldest) * VHD, VHD, out.data(), VHD, m,
                             VHD, n);
        for (int64_t t = 0; t < m; ++t)
          std::copy_n(out.data() + t * VHD, VHD, attended.data() + ((b * T + t0 + t) * H + h) * VHD);
      }
    }

  // 5. Output: the attention rows themselves, or their output projection.
  if (s.layer()) {
    const std::vector<double> y = project(attended, tensors, "w_o", rows, H * VHD, s.d_model);
    std::copy(y.begin(), y.end(), outputs["y"]);
  } else {
    std::copy(attended.begin(), attended.end(), outputs["out"]);
  }
}

}  // namespace archbench::plugins::attention
