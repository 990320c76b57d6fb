// The attention plugin: parameter schema, cross-checks, tensor shapes and cost
// model of the MHA / GQA / MQA family, and the plugin's entry symbol.
#include "attention.hpp"
#include "mla.hpp"

#include <algorithm>
#include <cmath>

namespace archbench::plugins::attention {

constexpr double kDefaultRopeTheta = 10000;  // Llama 2's base

namespace {

// Accuracy tasks run core-level prefills: the task's q, k, v are this
// variant's own tensors, `seq` carries the context.
void prefill_at_core_level(const sdk::Problem& problem, std::vector<double>& values) {
  if (problem.integer("d_model") != 0)
    throw sdk::Unimplemented("needs the query/key/value form: attention at core level, d_model = 0");
  values[problem.index_of("mode")] = double(int(Mode::prefill));
}

}  // namespace

AttentionVariant::AttentionVariant(const char* name, const char* description, Heads heads)
    : Variant(name, "attention", description),
      heads_(heads),
      qkv_(*this, {}, &prefill_at_core_level,
           [heads](const sdk::Problem& problem) { return shape_of(problem, heads).rotary_dims(); }) {
  auto& s = schema();
  s.add_sequence_workload("prefill: seq new tokens; decode: one new token after seq cached ones",
                          "prefill: prompt tokens; decode: tokens already in the KV cache");
  s.add_int("heads", "h", 32, 1, 1024, "query heads");
  if (heads == Heads::grouped) s.add_int("kv_heads", "kvh", 8, 1, 1024, "key/value heads (divides heads)");
  s.add_int("head_dim", "hd", 128, 2, 1024, "query/key head width (even)");
  s.add_int("v_head_dim", "vhd", 0, 0, 1024, "value head width; 0: same as head_dim");
  s.add_int("d_model", "dm", 0, 0, 1 << 16,
            "0: core-level (Q, K, V given); > 0: layer-level with Q/K/V/O projections from d_model");
  s.add_enum("position", "pos", "rope|nope|alibi", 0, "positional scheme", true);
  s.add_float("rope_theta", "theta", kDefaultRopeTheta, 1, 1e12, "RoPE base (Llama 2: 1e4, Llama 3: 5e5)");
  s.add_float("rope_fraction", "rf", 1, 0, 1, "fraction of head_dim that RoPE rotates (partial rotary)");
  s.add_enum("mask", "mask", "causal|window|chunk", 0,
             "causal; sliding window of span tokens; chunked attention with chunks of span tokens",
             true);
  s.add_int("span", "w", 0, 0, 1 << 21, "window or chunk length in tokens (0 with the causal mask)");
  s.add_int("sinks", "sink", 0, 0, 1, "1: one learned sink logit per head joins the softmax (gpt-oss)");
  s.add_float("softcap", "cap", 0, 0, 1e6, "logit soft-capping cap*tanh(s/cap); 0: off (Gemma 2: 50)");
  s.add_enum("qk_norm", "qkn", "none|head|proj", 0,
             "RMSNorm of q and k: per head (Qwen3, Gemma 3) or over the whole projection (OLMo 2)");
  s.add_int("bias", "bias", 0, 0, 1, "1: bias on all four Q/K/V/O projections (gpt-oss); layer-level only");
  s.add_int("gate", "gate", 0, 0, 1,
            "1: output gated per head and channel by sigmoid(x W_g) before W_o (Qwen3-Next); "
            "at core level the gate logits are an input");
  // What the design chooses; the rest (mode, batch, seq, heads, widths) is the
  // workload that leaderboards compare designs at.
  if (heads == Heads::grouped) s.mark_design({"kv_heads"});
  s.mark_design({"position", "rope_theta", "rope_fraction", "mask", "span", "sinks", "softcap",
                 "qk_norm", "bias", "gate"});
  // Added after attention results were on record: gate0 problems keep their strings.
  s.mark_quiet_default({"gate"});
  cpu_and_vulkan_if_built();
  dtypes({AB_DTYPE_F32, AB_DTYPE_BF16});
  implement(AB_CONTRACT_MIXER_QKV, qkv_.table());
  implements_sublayer();  // at layer level (d_model > 0): x -> y
}

Shape Shape::from(const sdk::Problem& problem) {
  Shape s;
  s.mode = Mode(problem.choice("mode"));
  s.batch = problem.integer("batch");
  s.seq = problem.integer("seq");
  s.heads = problem.integer("heads");
  s.head_dim = problem.integer("head_dim");
  s.v_head_dim = problem.integer("v_head_dim");
  if (s.v_head_dim == 0) s.v_head_dim = s.head_dim;
  s.d_model = problem.integer("d_model");
  s.position = Position(problem.choice("position"));
  s.rope_theta = problem.real("rope_theta");
  s.rope_fraction = problem.real("rope_fraction");
  s.mask = Mask(problem.choice("mask"));
  s.span = problem.integer("span");
  s.sinks = problem.flag("sinks");
  s.softcap = problem.real("softcap");
  s.qk_norm = QkNorm(problem.choice("qk_norm"));
  s.bias = problem.flag("bias");
  s.gate = problem.flag("gate");
  s.dtype = problem.dtype();
  s.kv_heads = s.heads;  // MHA; the variant overrides for GQA / MQA
  return s;
}

int64_t Shape::slots() const {
  return mask == Mask::causal ? context() : std::min(context(), span);
}

int64_t Shape::rotary_dims() const {
  if (position != Position::rope) return 0;
  return 2 * int64_t(std::llround(rope_fraction * double(head_dim) / 2.0));
}

int64_t Shape::first_visible(int64_t i) const {
  switch (mask) {
    case Mask::causal: return 0;
    case Mask::window: return std::max<int64_t>(0, i - span + 1);
    case Mask::chunk: return (i / span) * span;
  }
  return 0;
}

double Shape::visible_pairs() const {
  double pairs = 0;
  for (int64_t i = first_position(); i < context(); ++i) pairs += double(i - first_visible(i) + 1);
  return pairs;
}

double Shape::score_scale() const { return 1.0 / std::sqrt(double(head_dim)); }

std::vector<double> alibi_slopes(int64_t heads) {
  // Largest power of two <= heads gets the base sequence 2^(-8k/n); the rest
  // take every other slope of the sequence for 2n (Press et al., 2022).
  int64_t n = 1;
  while (n * 2 <= heads) n *= 2;
  std::vector<double> slopes;
  for (int64_t k = 1; k <= n; ++k) slopes.push_back(std::pow(2.0, -8.0 * double(k) / double(n)));
  for (int64_t k = 1; int64_t(slopes.size()) < heads; k += 2)
    slopes.push_back(std::pow(2.0, -4.0 * double(k) / double(n)));
  return slopes;
}

Shape shape_of(const sdk::Problem& problem, AttentionVariant::Heads heads) {
  Shape s = Shape::from(problem);
  if (heads == AttentionVariant::Heads::grouped) s.kv_heads = problem.integer("kv_heads");
  if (heads == AttentionVariant::Heads::single) s.kv_heads = 1;
  return s;
}

std::string AttentionVariant::validate(const sdk::Problem& problem) const {
  const Shape s = shape_of(problem, heads_);
  if (s.kv_heads > s.heads || s.heads % s.kv_heads != 0)
    return "kv_heads (" + std::to_string(s.kv_heads) + ") must divide heads (" +
           std::to_string(s.heads) + ")";
  if (s.head_dim % 2 != 0) return "head_dim must be even (RoPE rotates pairs)";
  if (s.position != Position::rope && (s.rope_theta != kDefaultRopeTheta || s.rope_fraction != 1))
    return "rope_theta and rope_fraction apply to position=rope only; leave them at their defaults";
  if (s.position == Position::rope && s.rotary_dims() == 0)
    return "rope_fraction rotates no dimension; use position=nope instead";
  if (s.mask == Mask::causal && s.span != 0)
    return "span applies to the window and chunk masks; leave it 0 with mask=causal";
  if (s.mask != Mask::causal && s.span < 1) return "the window and chunk masks need span >= 1";
  if (s.bias && !s.layer()) return "bias applies to the projections: it needs d_model > 0";
  const double cache_elements = double(s.batch) * double(s.kv_heads) * double(s.slots()) *
                                double(s.head_dim + s.v_head_dim);
  if (cache_elements > double(int64_t(1) << 40)) return "the KV cache would exceed 2^40 elements";
  return {};
}

void AttentionVariant::describe(const sdk::Problem& problem, sdk::Info& info) const {
  const Shape s = shape_of(problem, heads_);
  const ab_dtype dtype = s.dtype;
  const int64_t b = s.batch, t = s.tokens(), h = s.heads, kvh = s.kv_heads, hd = s.head_dim,
                vhd = s.v_head_dim, dm = s.d_model;
  const int64_t q_width = h * hd, k_width = kvh * hd, v_width = kvh * vhd, o_width = h * vhd;
  if (s.layer()) {
    // Weights scaled so each projection output has unit variance.
    const double in_scale = std::sqrt(3.0 / double(dm)), out_scale = std::sqrt(3.0 / double(o_width));
    info.tensor("x", AB_TENSOR_INPUT, dtype, {b, t, dm});
    info.tensor("w_q", AB_TENSOR_WEIGHT, dtype, {dm, q_width}, -in_scale, in_scale);
    info.tensor("w_k", AB_TENSOR_WEIGHT, dtype, {dm, k_width}, -in_scale, in_scale);
    info.tensor("w_v", AB_TENSOR_WEIGHT, dtype, {dm, v_width}, -in_scale, in_scale);
    info.tensor("w_o", AB_TENSOR_WEIGHT, dtype, {o_width, dm}, -out_scale, out_scale);
    if (s.gate) info.tensor("w_g", AB_TENSOR_WEIGHT, dtype, {dm, o_width}, -in_scale, in_scale);
    if (s.bias) {
      info.tensor("b_q", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {q_width}, -0.5, 0.5);
      info.tensor("b_k", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {k_width}, -0.5, 0.5);
      info.tensor("b_v", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {v_width}, -0.5, 0.5);
      info.tensor("b_o", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {dm}, -0.5, 0.5);
    }
  } else {
    // Queries a little larger than keys so the softmax is not nearly uniform.
    info.tensor("q", AB_TENSOR_INPUT, dtype, {b, t, h, hd}, -2.0, 2.0);
    info.tensor("k", AB_TENSOR_INPUT, dtype, {b, t, kvh, hd});
    info.tensor("v", AB_TENSOR_INPUT, dtype, {b, t, kvh, vhd});
    // Gate logits as x W_g gives them at unit variance: sigmoid spans about 0.05..0.95.
    if (s.gate) info.tensor("gate", AB_TENSOR_INPUT, dtype, {b, t, h, vhd}, -3.0, 3.0);
  }
  if (s.qk_norm == QkNorm::head) {
    info.tensor("q_norm", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {hd}, 0.5, 1.5);
    info.tensor("k_norm", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {hd}, 0.5, 1.5);
  } else if (s.qk_norm == QkNorm::projection) {
    info.tensor("q_norm", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {q_width}, 0.5, 1.5);
    info.tensor("k_norm", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {k_width}, 0.5, 1.5);
  }
  if (s.sinks) info.tensor("sinks", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {h}, -1.0, 2.0);
  // The cache as the host hands it over: in decode its first `seq` positions
  // are the history (already normalized and rotated, as a real cache holds them).
  info.tensor("k_cache", AB_TENSOR_STATE, dtype, {b, kvh, s.slots(), hd});
  info.tensor("v_cache", AB_TENSOR_STATE, dtype, {b, kvh, s.slots(), vhd});
  if (s.layer()) info.tensor("y", AB_TENSOR_OUTPUT, dtype, {b, t, dm});
  else info.tensor("out", AB_TENSOR_OUTPUT, dtype, {b, t, h, vhd});

  const double element = double(sdk::dtype_size(dtype));
  const double pairs = s.visible_pairs() * double(b) * double(h);
  double flops = pairs * 2.0 * double(hd + vhd);
  double bytes = element * double(b * t) * double(s.layer() ? 2 * dm : q_width + k_width + v_width + o_width);
  if (s.layer()) {
    flops += 2.0 * double(b * t) * double(dm) * double(q_width + k_width + v_width + o_width);
    bytes += element * double(dm) * double(q_width + k_width + v_width + o_width);
  }
  if (s.gate) {  // the gate: a sigmoid and a product per output element (plus W_g at layer level)
    flops += 2.0 * double(b * t * o_width);
    if (s.layer()) {
      flops += 2.0 * double(b * t) * double(dm) * double(o_width);
      bytes += element * double(dm) * double(o_width);
    } else {
      bytes += element * double(b * t * o_width);
    }
  }
  // Cache traffic: decode reads every visible cached position; both modes
  // write the positions the cache keeps.
  const double cached_read = s.mode == Mode::decode ? double(s.seq - s.first_visible(s.seq)) : 0.0;
  const double cached_written = double(std::min(t, s.slots()));
  bytes += element * double(b * kvh * (hd + vhd)) * (cached_read + cached_written);
  info.flops(flops);
  info.bytes(bytes);
  info.tokens(double(b * t));
  // Cache bytes per token of context, per sequence and layer: GQA/MQA shrink it
  // by sharing heads, windows and chunks by keeping only `span` positions.
  info.kv_cache_bytes_per_token(element * double(kvh * (hd + vhd)) * double(s.slots()) /
                                double(s.context()));
}

std::unique_ptr<sdk::Instance> AttentionVariant::create_cpu(const sdk::Problem& problem, const ab_host& host,
                                                            const sdk::Tensors& tensors) const {
  return make_cpu_instance(shape_of(problem, heads_), host, tensors);
}

void AttentionVariant::reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                                 const sdk::Outputs& outputs) const {
  reference_attention(shape_of(problem, heads_), tensors, outputs);
}

struct Mha : AttentionVariant {
  Mha() : AttentionVariant("attention/mha", "multi-head attention: every query head has its own K/V head",
                           Heads::all) {}
};
struct Gqa : AttentionVariant {
  Gqa() : AttentionVariant("attention/gqa",
                           "grouped-query attention: heads/kv_heads query heads share each K/V head (Llama 3, Qwen3, gpt-oss)",
                           Heads::grouped) {}
};
struct Mqa : AttentionVariant {
  Mqa() : AttentionVariant("attention/mqa", "multi-query attention: all query heads share one K/V head (PaLM, Falcon)",
                           Heads::single) {}
};

}  // namespace archbench::plugins::attention

ARCHBENCH_PLUGIN("attention", "0.1.0", archbench::plugins::attention::Mha,
                 archbench::plugins::attention::Gqa, archbench::plugins::attention::Mqa, archbench::plugins::attention::MlaVariant,
                 archbench::plugins::attention::DsaVariant)
