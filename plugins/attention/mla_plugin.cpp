// attention/mla and attention/dsa: parameter schema, cross-checks, tensor
// shapes and cost model of multi-head latent attention and of DeepSeek Sparse
// Attention on top of it (see mla.hpp for the computation).
#include "mla.hpp"

#include <algorithm>
#include <cmath>

namespace archbench::plugins::attention {

// DSA's selection is checked against the reference's index scores up to this
// many (query, position) pairs: 64 MiB of f32 scores.
constexpr double kMaxIndexScores = double(int64_t(1) << 24);

MlaShape MlaShape::of(const sdk::Problem& problem) {
  MlaShape s;
  s.mode = Mode(problem.choice("mode"));
  s.batch = problem.integer("batch");
  s.seq = problem.integer("seq");
  s.heads = problem.integer("heads");
  s.d_model = problem.integer("d_model");
  s.q_lora_rank = problem.integer("q_lora_rank");
  s.kv_lora_rank = problem.integer("kv_lora_rank");
  s.nope = problem.integer("qk_nope_dim");
  s.rope = problem.integer("qk_rope_dim");
  s.v_head_dim = problem.integer("v_head_dim");
  s.rope_theta = problem.real("rope_theta");
  s.latent_norm = problem.flag("latent_norm");
  s.absorb = problem.has("absorb") ? problem.flag("absorb") : true;  // DSA attends absorbed
  s.mask = Mask(problem.choice("mask"));
  s.span = problem.integer("span");
  if (problem.has("top_k")) {
    s.index_heads = problem.integer("index_heads");
    s.index_dim = problem.integer("index_dim");
    s.index_rope = problem.integer("index_rope");
    s.top_k = problem.integer("top_k");
  }
  s.dtype = problem.dtype();
  return s;
}

bool MlaShape::has_index_scores() const {
  const Shape p = positions();
  return sparse() && double(batch) * double(p.tokens()) * double(p.context()) <= kMaxIndexScores;
}

int64_t MlaShape::selectable(int64_t i) const {
  const Shape p = positions();
  return std::min(top_k, i - p.first_visible(i) + 1);
}

Shape MlaShape::decompressed() const {
  Shape s;
  s.mode = mode;
  s.batch = batch;
  s.seq = seq;
  s.heads = s.kv_heads = heads;
  s.head_dim = qk_dim();
  s.v_head_dim = v_head_dim;
  s.position = Position::nope;  // the queries and keys arrive rotated
  s.mask = mask;
  s.span = span;
  s.dtype = dtype;
  return s;
}

Shape MlaShape::absorbed() const {
  Shape s = decompressed();
  s.kv_heads = 1;
  s.head_dim = cache_width();
  s.v_head_dim = kv_lora_rank;
  return s;
}

double MlaShape::score_scale() const { return 1.0 / std::sqrt(double(qk_dim())); }

MlaVariant::MlaVariant(bool sparse)
    : Variant(sparse ? "attention/dsa" : "attention/mla", "attention",
              sparse ? "DeepSeek Sparse Attention: a lightning indexer keeps each query's top_k positions, "
                       "MLA attends to those only (DeepSeek V3.2)"
                     : "multi-head latent attention: a shared latent + RoPE key cached per token, keys and "
                       "values up-projected per head (DeepSeek V3, Kimi K2)"),
      sparse_(sparse),
      qkv_(make_mla_qkv_adapter(*this)) {
  auto& s = schema();
  s.add_sequence_workload("prefill: seq new tokens; decode: one new token after seq cached ones",
                          "prefill: prompt tokens; decode: tokens already in the cache");
  s.add_int("heads", "h", 128, 1, 1024, "query heads (DeepSeek V3 128, Kimi K2 64)");
  s.add_int("d_model", "dm", 0, 0, 1 << 16,
            "0: core-level (queries and latent given); > 0: layer-level from x, with every projection");
  s.add_int("q_lora_rank", "qr", 0, 0, 1 << 16,
            "query latent width (V3 1536); 0: a plain query projection (small DeepSeek models); layer-level");
  s.add_int("kv_lora_rank", "kvr", 512, 1, 1 << 14, "the cached latent's width");
  s.add_int("qk_nope_dim", "nope", 128, 1, 1024, "per-head query/key width without positions");
  s.add_int("qk_rope_dim", "rope", 64, 0, 1024, "the shared RoPE key's width (even; 0: no positions)");
  s.add_int("v_head_dim", "vhd", 128, 1, 1024, "per-head value width");
  s.add_float("rope_theta", "theta", 10000, 1, 1e12, "RoPE base");
  s.add_int("latent_norm", "ln", 1, 0, 1, "1: RMSNorm on the query and KV latents (layer-level)");
  if (!sparse)
    s.add_int("absorb", "absorb", 0, 0, 1,
              "0: decompress K and V from the latent; 1: fold the up-projections into the query and output");
  s.add_enum("mask", "mask", "causal|window|chunk", 0,
             "causal; sliding window of span tokens; chunked attention with chunks of span tokens", true);
  s.add_int("span", "w", 0, 0, 1 << 21, "window or chunk length in tokens (0 with the causal mask)");
  if (sparse) {
    s.add_int("index_heads", "ih", 64, 1, 1024, "the indexer's heads (V3.2: 64)");
    s.add_int("index_dim", "id", 128, 2, 1024, "the indexer's query/key width (V3.2: 128)");
    s.add_int("index_rope", "ir", 64, 0, 1024, "leading index dims RoPE rotates (even; V3.2: 64)");
    s.add_int("top_k", "k", 2048, 1, 1 << 20, "positions each query keeps (V3.2: 2048)");
    s.mark_design({"index_heads", "index_dim", "index_rope", "top_k"});
  } else {
    s.mark_design({"absorb"});
  }
  s.mark_design({"q_lora_rank", "kv_lora_rank", "qk_nope_dim", "qk_rope_dim", "v_head_dim", "rope_theta",
                 "latent_norm", "mask", "span"});
  cpu_and_vulkan_if_built();
  dtypes({AB_DTYPE_F32, AB_DTYPE_BF16});
  implement(AB_CONTRACT_MIXER_QKV, qkv_->table());
  implements_sublayer();  // at layer level (d_model > 0): x -> y
}

std::string MlaVariant::validate(const sdk::Problem& problem) const {
  const MlaShape s = MlaShape::of(problem);
  if (s.rope % 2 != 0) return "qk_rope_dim must be even (RoPE rotates pairs)";
  if (s.q_lora_rank > 0 && !s.layer()) return "q_lora_rank applies to the projections: it needs d_model > 0";
  if (!s.latent_norm && !s.layer()) return "latent_norm=0 applies to layer-level problems (d_model > 0) only";
  if (s.mask == Mask::causal && s.span != 0)
    return "span applies to the window and chunk masks; leave it 0 with mask=causal";
  if (s.mask != Mask::causal && s.span < 1) return "the window and chunk masks need span >= 1";
  if (s.sparse() && (s.index_rope % 2 != 0 || s.index_rope > s.index_dim))
    return "index_rope must be even and at most index_dim";
  const Shape positions = s.positions();
  if (s.sparse() && double(s.batch) * double(positions.tokens()) * double(s.top_k) > double(int64_t(1) << 31))
    return "the selection (batch x tokens x top_k) would exceed 2^31 elements";
  if (double(s.batch) * double(positions.slots()) * double(s.cache_width()) > double(int64_t(1) << 40))
    return "the latent cache would exceed 2^40 elements";
  // What absorb = 0 decompresses at once (every visible position, every head).
  const double visible = double(positions.context() - positions.first_visible(positions.first_position()));
  if (!s.absorb && double(s.batch) * visible * double(s.heads) * double(s.qk_dim() + s.v_head_dim) >
                       double(int64_t(3) << 30))
    return "absorb=0 would decompress more than 3 * 2^30 key/value elements; use absorb=1";
  return {};
}

void MlaVariant::describe(const sdk::Problem& problem, sdk::Info& info) const {
  const MlaShape s = MlaShape::of(problem);
  const Shape p = s.positions();
  const ab_dtype dtype = s.dtype;
  const int64_t b = s.batch, t = p.tokens(), h = s.heads, kvr = s.kv_lora_rank, dm = s.d_model;
  const int64_t q_width = h * s.qk_dim(), o_width = h * s.v_head_dim;
  const double up_scale = std::sqrt(3.0 / double(kvr));
  if (s.layer()) {
    const double in_scale = std::sqrt(3.0 / double(dm)), out_scale = std::sqrt(3.0 / double(o_width));
    info.tensor("x", AB_TENSOR_INPUT, dtype, {b, t, dm});
    if (s.q_lora_rank > 0) {
      info.tensor("w_dq", AB_TENSOR_WEIGHT, dtype, {dm, s.q_lora_rank}, -in_scale, in_scale);
      if (s.latent_norm) info.tensor("q_norm", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {s.q_lora_rank}, 0.5, 1.5);
      const double q_scale = std::sqrt(3.0 / double(s.q_lora_rank));
      info.tensor("w_uq", AB_TENSOR_WEIGHT, dtype, {s.q_lora_rank, q_width}, -q_scale, q_scale);
    } else {
      info.tensor("w_q", AB_TENSOR_WEIGHT, dtype, {dm, q_width}, -in_scale, in_scale);
    }
    info.tensor("w_dkv", AB_TENSOR_WEIGHT, dtype, {dm, s.cache_width()}, -in_scale, in_scale);
    if (s.latent_norm) info.tensor("kv_norm", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {kvr}, 0.5, 1.5);
    info.tensor("w_o", AB_TENSOR_WEIGHT, dtype, {o_width, dm}, -out_scale, out_scale);
  } else {
    info.tensor("q", AB_TENSOR_INPUT, dtype, {b, t, h, s.qk_dim()}, -2.0, 2.0);
    info.tensor("latent", AB_TENSOR_INPUT, dtype, {b, t, kvr});
    if (s.rope > 0) info.tensor("k_rope", AB_TENSOR_INPUT, dtype, {b, t, s.rope});  // none without positions
  }
  info.tensor("w_uk", AB_TENSOR_WEIGHT, dtype, {kvr, h * s.nope}, -up_scale, up_scale);
  info.tensor("w_uv", AB_TENSOR_WEIGHT, dtype, {kvr, o_width}, -up_scale, up_scale);
  // The cache as DeepSeek keeps it; in decode its first `seq` positions are the
  // history (a normalized latent and a rotated key, as a real cache holds them).
  info.tensor("kv_cache", AB_TENSOR_STATE, dtype, {b, p.slots(), s.cache_width()});
  if (s.sparse()) describe_indexer(s, info);
  if (s.layer()) info.tensor("y", AB_TENSOR_OUTPUT, dtype, {b, t, dm});
  else info.tensor("out", AB_TENSOR_OUTPUT, dtype, {b, t, h, s.v_head_dim});
  if (s.sparse()) {
    // The selection, compared as sets ranked by the reference's index scores:
    // a wrong pick fails even where the attention output comes out close.
    // The scores take 4 bytes per (query, position) pair, so past
    // kMaxIndexScores pairs (long prefills) only the output is checked.
    if (s.has_index_scores()) {
      info.tensor("selected", AB_TENSOR_OUTPUT, AB_DTYPE_I32, {b, t, s.kept()}).index_set("index_scores");
      info.tensor("index_scores", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {b, t, p.context()}).unchecked();
    } else {
      info.tensor("selected", AB_TENSOR_OUTPUT, AB_DTYPE_I32, {b, t, s.kept()}).unchecked();
    }
  }

  // FLOPs of the computation the design flag chooses: decompressing every
  // visible position (absorb 0) or folding the up-projections into the query
  // and output (absorb 1), plus the attention over the visible pairs.
  const double rows = double(b * t);
  double pairs = p.visible_pairs() * double(b * h);
  if (s.sparse()) {  // the indexer over the visible pairs, then attention over the kept ones
    double kept = 0;
    for (int64_t i = p.first_position(); i < p.context(); ++i) kept += double(s.selectable(i));
    pairs = kept * double(b * h);
  }
  const double visible_positions = double(p.context() - p.first_visible(p.first_position()));
  double flops;
  if (!s.absorb) {
    const double decompressed = double(b) * (s.mode == Mode::prefill ? double(t) : visible_positions);
    flops = 2.0 * decompressed * double(kvr) * double(h * (s.nope + s.v_head_dim)) +
            pairs * 2.0 * double(s.qk_dim() + s.v_head_dim);
  } else {
    flops = 2.0 * rows * double(h) * double(kvr) * double(s.nope + s.v_head_dim) +
            pairs * 2.0 * double(s.cache_width() + kvr);
  }
  const double element = double(sdk::dtype_size(dtype));
  double weights = double(kvr) * double(h * s.nope + o_width);
  double io = s.layer() ? 2.0 * double(dm) : double(q_width + s.cache_width() + o_width);
  double cache_width = double(s.cache_width());
  if (s.sparse()) {
    const double ih = double(s.index_heads), id = double(s.index_dim);
    flops += p.visible_pairs() * double(b) * ih * (2.0 * id + 2.0);
    if (s.layer())
      flops += 2.0 * rows * (double(s.q_lora_rank > 0 ? s.q_lora_rank : dm) * ih * id + double(dm) * (id + ih));
    weights += s.layer() ? double(s.q_lora_rank > 0 ? s.q_lora_rank : dm) * ih * id + double(dm) * (id + ih) : 0.0;
    io += s.layer() ? 0.0 : ih * (id + 1.0) + id;
    cache_width += id;  // index keys are cached too
  }
  if (s.layer()) {
    const double q_proj = s.q_lora_rank > 0 ? double(dm * s.q_lora_rank + s.q_lora_rank * q_width) : double(dm * q_width);
    const double projections = q_proj + double(dm * s.cache_width()) + double(o_width * dm);
    flops += 2.0 * rows * projections;
    weights += projections;
  }
  const double cached_read = s.mode == Mode::decode ? visible_positions - 1 : 0.0;
  const double cached_written = double(std::min(t, p.slots()));
  // A decode reads every visible cache row; DSA's reads every visible index
  // key but only the rows it keeps.
  const double read = !s.sparse() ? cache_width * cached_read
                                   : double(s.index_dim) * cached_read +
                                         double(s.cache_width()) * std::min(double(s.top_k), cached_read);
  info.flops(flops);
  info.bytes(element * (rows * io + weights + double(b) * (read + cache_width * cached_written)));
  info.tokens(rows);
  // Exactly what is cached per token of context: the latent and the RoPE key
  // (and DSA's index key).
  info.kv_cache_bytes_per_token(element * cache_width * double(p.slots()) / double(p.context()));
}

void MlaVariant::describe_indexer(const MlaShape& s, sdk::Info& info) const {
  const Shape p = s.positions();
  const int64_t b = s.batch, t = p.tokens(), ih = s.index_heads, id = s.index_dim, dm = s.d_model;
  if (s.layer()) {
    const int64_t from = s.q_lora_rank > 0 ? s.q_lora_rank : dm;
    const double q_scale = std::sqrt(3.0 / double(from)), in_scale = std::sqrt(3.0 / double(dm));
    info.tensor("w_iq", AB_TENSOR_WEIGHT, s.dtype, {from, ih * id}, -q_scale, q_scale);
    info.tensor("w_ik", AB_TENSOR_WEIGHT, s.dtype, {dm, id}, -in_scale, in_scale);
    info.tensor("ik_gamma", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {id}, 0.5, 1.5);
    info.tensor("ik_beta", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {id}, -0.5, 0.5);
    info.tensor("w_iw", AB_TENSOR_WEIGHT, s.dtype, {dm, ih}, -in_scale, in_scale);
  } else {
    info.tensor("index_q", AB_TENSOR_INPUT, s.dtype, {b, t, ih, id});
    info.tensor("index_w", AB_TENSOR_INPUT, s.dtype, {b, t, ih});
    info.tensor("index_k", AB_TENSOR_INPUT, s.dtype, {b, t, id});
  }
  info.tensor("index_cache", AB_TENSOR_STATE, s.dtype, {b, p.slots(), id});
}

void MlaVariant::reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                           const sdk::Outputs& outputs) const {
  reference_mla(MlaShape::of(problem), tensors, outputs);
}

std::unique_ptr<sdk::Instance> MlaVariant::create_cpu(const sdk::Problem& problem, const ab_host& host,
                                                      const sdk::Tensors& tensors) const {
  return make_mla_cpu_instance(MlaShape::of(problem), host, tensors);
}

}  // namespace archbench::plugins::attention
