// attention/mla's way into the accuracy tasks (contract mixer.qkv/1): the
// task's queries, keys and values written through the latent cache.
//
// Every head of MLA shares one cached row per token, so the contract's form is
// multi-query: kv_heads = 1, dk = qk_nope_dim + qk_rope_dim (the contract's
// leading rotary dims are MLA's shared RoPE key), dv = v_head_dim. The task's
// key content u_k (qk_nope_dim wide) and value u_v (v_head_dim wide) are
// encoded into the latent c = P [u_k | u_v], and both up-projections decode
// with the same P (every head: W_uk = P[:, key part], W_uv = P[:, value part]):
//   kv_lora_rank >= qk_nope_dim + v_head_dim: P selects, c holds key and value
//     side by side, and the task sees exactly its own keys and values;
//   kv_lora_rank smaller: P has kv_lora_rank orthonormal rows drawn from the
//     problem's seed, so the heads see the projection P^T P [u_k | u_v] of what
//     the task planted: the price of a latent narrower than key + value.
#include "mla.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace archbench::plugins::attention {
namespace {

// kv_lora_rank x width matrix with orthonormal rows (the first rows of the
// identity when it is wide enough), in row-major doubles.
std::vector<double> encoder(int64_t rank, int64_t width, uint64_t seed) {
  std::vector<double> p(size_t(rank * width), 0.0);
  if (rank >= width) {
    for (int64_t i = 0; i < width; ++i) p[size_t(i * width + i)] = 1.0;
    return p;
  }
  std::mt19937_64 rng(seed ^ 0x4d4c41ull);  // "MLA": independent of the task's own streams
  std::normal_distribution<double> normal;
  for (double& x : p) x = normal(rng);
  for (int64_t i = 0; i < rank; ++i) {  // Gram-Schmidt over the rows
    double* row = p.data() + i * width;
    for (int64_t j = 0; j < i; ++j) {
      const double* other = p.data() + j * width;
      double dot = 0;
      for (int64_t d = 0; d < width; ++d) dot += row[d] * other[d];
      for (int64_t d = 0; d < width; ++d) row[d] -= dot * other[d];
    }
    double norm = 0;
    for (int64_t d = 0; d < width; ++d) norm += row[d] * row[d];
    norm = std::sqrt(norm);
    for (int64_t d = 0; d < width; ++d) row[d] /= norm;
  }
  return p;
}

void store(const ab_tensor& tensor, const std::vector<float>& values) { sdk::store_floats(tensor, values.data()); }

class MlaQkv : public sdk::MixerQkv {
 public:
  using MixerQkv::MixerQkv;

  uint32_t at_context(const sdk::Problem& problem, int64_t tokens, std::vector<double>& values) const override {
    if (problem.integer("d_model") != 0)
      throw sdk::Unimplemented("needs the core-level form (d_model = 0): queries and latent given");
    values[problem.index_of("mode")] = double(int(Mode::prefill));
    values[problem.index_of("seq")] = double(tokens);
    return uint32_t(problem.index_of("seq"));
  }

  ab_qkv_layout layout(const sdk::Problem& problem) const override {
    const MlaShape s = MlaShape::of(problem);
    ab_qkv_layout out{};
    out.batch = s.batch;
    out.tokens = s.positions().tokens();
    out.heads = s.heads;
    out.kv_heads = 1;
    out.dk = s.qk_dim();
    out.dv = s.v_head_dim;
    out.rotary_dims = s.rope;
    return out;
  }

  void write_inputs(const sdk::Problem& problem, const sdk::Tensors& tensors, const float* q, const float* k,
                    const float* v) const override {
    const MlaShape s = MlaShape::of(problem);
    const int64_t rows = s.batch * s.positions().tokens(), h = s.heads, qk = s.qk_dim(), rope = s.rope,
                  nope = s.nope, vhd = s.v_head_dim, kvr = s.kv_lora_rank, content = nope + vhd;
    // Queries: the contract's [rotary | rest] becomes MLA's [nope | rope].
    std::vector<float> mla_q(size_t(rows * h * qk));
    for (int64_t r = 0; r < rows * h; ++r) {
      std::copy_n(q + r * qk + rope, nope, mla_q.data() + r * qk);
      std::copy_n(q + r * qk, rope, mla_q.data() + r * qk + nope);
    }
    store(tensors["q"], mla_q);
    // Keys and values: the rotary part is the shared RoPE key; the rest, with
    // the value, is encoded into the latent.
    const std::vector<double> p = encoder(kvr, content, problem.seed());
    std::vector<float> latent(size_t(rows * kvr), 0.0f), k_rope(size_t(rows * rope));
    std::vector<double> u(static_cast<size_t>(content));
    for (int64_t r = 0; r < rows; ++r) {
      std::copy_n(k + r * qk, rope, k_rope.data() + r * rope);
      std::copy_n(k + r * qk + rope, nope, u.data());
      std::copy_n(v + r * vhd, vhd, u.data() + nope);
      for (int64_t i = 0; i < std::min(kvr, content); ++i) {
        double sum = 0;
        for (int64_t d = 0; d < content; ++d) sum += p[size_t(i * content + d)] * u[size_t(d)];
        latent[size_t(r * kvr + i)] = float(sum);
      }
    }
    store(tensors["latent"], latent);
    if (rope > 0) store(tensors["k_rope"], k_rope);
    // Up-projections: every head decodes with P (its key part, its value part).
    std::vector<float> w_uk(size_t(kvr * h * nope), 0.0f), w_uv(size_t(kvr * h * vhd), 0.0f);
    for (int64_t i = 0; i < std::min(kvr, content); ++i)
      for (int64_t head = 0; head < h; ++head) {
        for (int64_t d = 0; d < nope; ++d) w_uk[size_t((i * h + head) * nope + d)] = float(p[size_t(i * content + d)]);
        for (int64_t d = 0; d < vhd; ++d)
          w_uv[size_t((i * h + head) * vhd + d)] = float(p[size_t(i * content + nope + d)]);
      }
    store(tensors["w_uk"], w_uk);
    store(tensors["w_uv"], w_uv);
    if (s.sparse()) write_indexer(s, tensors, q, k);
  }

  static void write_indexer(const MlaShape& s, const sdk::Tensors& tensors, const float* q, const float* k) {
    const int64_t rows = s.batch * s.positions().tokens(), h = s.heads, qk = s.qk_dim(), ih = s.index_heads,
                  id = s.index_dim, shared = std::min(id, qk);
    std::vector<float> index_q(size_t(rows * ih * id), 0.0f), index_w(size_t(rows * ih), 0.0f),
        index_k(size_t(rows * id), 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < std::min(ih, h); ++j) {
        std::copy_n(q + (r * h + j) * qk, shared, index_q.data() + (r * ih + j) * id);
        index_w[size_t(r * ih + j)] = 1.0f;
      }
      std::copy_n(k + r * qk, shared, index_k.data() + r * id);
    }
    store(tensors["index_q"], index_q);
    store(tensors["index_w"], index_w);
    store(tensors["index_k"], index_k);
  }

  void read_output(const sdk::Problem&, const sdk::Tensors& tensors, float* out) const override {
    const std::vector<double> values = tensors.as_doubles("out");
    for (size_t i = 0; i < values.size(); ++i) out[i] = float(values[i]);
  }
};

}  // namespace

std::unique_ptr<sdk::MixerQkv> make_mla_qkv_adapter(const sdk::Variant& variant) {
  return std::make_unique<MlaQkv>(variant);
}

}  // namespace archbench::plugins::attention
