// The mixers plugin: parameter schemas, cross-checks, tensors, cost model and
// figures of the linear-attention family, and the plugin's entry symbol.
#include "mixers.hpp"

#include <algorithm>
#include <cmath>

namespace archbench::plugins::mixers {

namespace {

// Where an input is a rate or a decay, its fill keeps it in the real range.
constexpr double kGateLow = 0.9, kGateHigh = 0.999;  // GLA's a_t and GDN's alpha_t
constexpr double kBetaLow = 0.05, kBetaHigh = 0.95;  // GDN's sigmoid(beta logits)

}  // namespace

MixerVariant::MixerVariant(const char* name, const char* description, Rule rule)
    : Variant(name, "attention", description), rule_(rule), qkv_(make_qkv_adapter(*this)) {
  auto& s = schema();
  // attention/gqa's workload, exactly (names, keys, order, defaults, ranges).
  s.add_sequence_workload(
      "prefill: seq new tokens (chunked form); decode: one new token after seq earlier ones (recurrent step)",
      "prefill: prompt tokens; decode: tokens already folded into the state");
  s.add_int("heads", "h", 32, 1, 1024, "value/output heads, one recurrent state each");
  s.add_int("head_dim", "hd", 128, 2, 1024, "query/key head width (dk)");
  s.add_int("v_head_dim", "vhd", 0, 0, 1024, "value head width (dv); 0: same as head_dim");
  s.add_int("d_model", "dm", 0, 0, 1 << 16,
            rule == Rule::delta ? "0: core level (q, k, v given); > 0: the whole layer from x [b, t, d_model] "
                                  "(projections, gates, gated RMSNorm, output projection)"
                                : "0: core level (q, k, v given); the layer level exists for gated-deltanet only");
  s.add_int("chunk", "c", 64, 1, 1024, "tokens per chunk of the chunked prefill (an implementation setting)");
  if (rule == Rule::linear) {
    s.add_enum("feature", "fm", "elu1|identity", 0, "feature map on q and k: elu(x)+1, or none (retention)");
    s.add_int("normalize", "norm", 1, 0, 1, "1: divide by phi(q).z, the running sum of phi(k)");
    s.add_enum("decay", "decay", "none|retnet", 0,
               "fixed per-head decay of the state: none, or RetNet's gamma_h = 1 - 2^(-5-h)");
    s.mark_design({"feature", "normalize", "decay"});
  }
  if (rule == Rule::delta) {
    s.add_int("qk_heads", "qkh", 0, 0, 1024, "query/key heads, dividing heads; 0: same as heads (Qwen3-Next: 16 of 32)");
    s.add_int("conv", "conv", 4, 0, 16, "short causal depthwise convolution window on q, k, v (0: none)");
    s.mark_design({"qk_heads", "conv"});
  }
  s.mark_design({"chunk"});
  cpu_and_vulkan_if_built();
  dtypes({AB_DTYPE_F32, AB_DTYPE_BF16});
  implement(AB_CONTRACT_MIXER_QKV, qkv_->table());
  if (rule == Rule::delta) implements_sublayer();  // the whole mixer (d_model > 0): x -> y
  provides_figures();
}

Shape Shape::of(const sdk::Problem& problem, Rule rule) {
  Shape s;
  s.rule = rule;
  s.mode = Mode(problem.choice("mode"));
  s.batch = problem.integer("batch");
  s.seq = problem.integer("seq");
  s.heads = problem.integer("heads");
  s.dk = problem.integer("head_dim");
  s.dv = problem.integer("v_head_dim") > 0 ? problem.integer("v_head_dim") : s.dk;
  s.d_model = problem.integer("d_model");
  s.chunk = problem.integer("chunk");
  s.qk_heads = s.heads;
  if (rule == Rule::linear) {
    s.feature = FeatureMap(problem.choice("feature"));
    s.normalize = problem.flag("normalize");
    s.decay = Decay(problem.choice("decay"));
  }
  if (rule == Rule::delta) {
    if (problem.integer("qk_heads") > 0) s.qk_heads = problem.integer("qk_heads");
    s.conv = problem.integer("conv");
  }
  s.dtype = problem.dtype();
  return s;
}

double Shape::log_decay(int64_t head) const {
  if (rule != Rule::linear || decay == Decay::none) return 0.0;
  return std::log1p(-std::pow(2.0, -5.0 - double(head)));
}

double Shape::state_bytes_per_sequence() const {
  double bytes = 4.0 * double(heads * dk * dv);
  if (has_norm_state()) bytes += 4.0 * double(heads * dk);
  bytes += double(sdk::dtype_size(dtype)) * double(conv_history() * conv_channels());
  return bytes;
}

double Shape::scale() const { return 1.0 / std::sqrt(double(dk)); }

std::string MixerVariant::validate(const sdk::Problem& problem) const {
  const Shape s = Shape::of(problem, rule_);
  if (s.layer() && rule_ != Rule::delta)
    return "d_model > 0 (the layer level with projections) is implemented for mixer/gated-deltanet only";
  if (s.qk_heads > s.heads || s.heads % s.qk_heads != 0)
    return "qk_heads (" + std::to_string(s.qk_heads) + ") must divide heads (" + std::to_string(s.heads) + ")";
  const double state = double(s.batch) * double(s.heads) * double(s.dk) * double(s.dv);
  const double activations =
      double(s.batch) * double(s.tokens()) * double(std::max(s.heads * std::max(s.dk, s.dv), s.d_model));
  if (state > double(int64_t(1) << 36) || activations > double(int64_t(1) << 36))
    return "the state or the activations would exceed 2^36 elements";
  return {};
}

void MixerVariant::describe(const sdk::Problem& problem, sdk::Info& info) const {
  const Shape s = Shape::of(problem, rule_);
  if (s.layer()) return describe_layer(s, info);
  const ab_dtype dtype = s.dtype;
  const int64_t b = s.batch, t = s.tokens(), h = s.heads, qh = s.qk_heads, dk = s.dk, dv = s.dv;
  const bool decode = s.mode == Mode::decode;
  info.tensor("q", AB_TENSOR_INPUT, dtype, {b, t, qh, dk});
  info.tensor("k", AB_TENSOR_INPUT, dtype, {b, t, qh, dk});
  info.tensor("v", AB_TENSOR_INPUT, dtype, {b, t, h, dv});
  if (s.rule == Rule::gla)
    info.tensor("gate", AB_TENSOR_INPUT, AB_DTYPE_F32, {b, t, h, dk}).fill(sdk::Fill::log_uniform(kGateLow, kGateHigh));
  if (s.rule == Rule::delta) {
    info.tensor("beta", AB_TENSOR_INPUT, AB_DTYPE_F32, {b, t, h}).fill(sdk::Fill::uniform(kBetaLow, kBetaHigh));
    info.tensor("alpha", AB_TENSOR_INPUT, AB_DTYPE_F32, {b, t, h}).fill(sdk::Fill::log_uniform(kGateLow, kGateHigh));
    if (s.conv > 0) {
      const double bound = 1.0 / std::sqrt(double(s.conv));  // PyTorch's default for a depthwise conv
      info.tensor("conv_weight", AB_TENSOR_WEIGHT, dtype, {s.conv_channels(), s.conv}, -bound, bound);
    }
  }
  if (decode) {
    // The state of a sequence that has seen `seq` tokens: bounded values; the
    // normalizer z sums phi(k) > 0 over the tokens its decay still keeps.
    info.tensor("state", AB_TENSOR_STATE, AB_DTYPE_F32, {b, h, dk, dv}, -0.5, 0.5);
    if (s.has_norm_state()) {
      const double kept = s.decay == Decay::none ? double(std::max<int64_t>(1, s.seq)) : 32.0;
      info.tensor("state_norm", AB_TENSOR_STATE, AB_DTYPE_F32, {b, h, dk}, 0.5 * kept, 1.5 * kept);
    }
    if (s.conv_history() > 0)
      info.tensor("conv_state", AB_TENSOR_STATE, dtype, {b, s.conv_history(), s.conv_channels()});
  }
  info.tensor("out", AB_TENSOR_OUTPUT, dtype, {b, t, h, dv});
  info.tensor(decode ? "new_state" : "final_state", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {b, h, dk, dv});
  if (s.has_norm_state()) info.tensor(decode ? "new_norm" : "final_norm", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {b, h, dk});
  if (s.conv_history() > 0)
    info.tensor(decode ? "new_conv" : "final_conv", AB_TENSOR_OUTPUT, dtype, {b, s.conv_history(), s.conv_channels()});

  const double element = double(sdk::dtype_size(dtype));
  double per_token = element * double(2 * qh * dk + 2 * h * dv);  // q, k, v in, out
  if (s.rule == Rule::gla) per_token += 4.0 * double(h * dk);
  if (s.rule == Rule::delta) per_token += 8.0 * double(h);
  const double state = s.state_bytes_per_sequence();
  // Prefill writes the final state once; decode reads it and writes the next one.
  info.bytes(double(b * t) * per_token + double(b) * state * (decode ? 2.0 : 1.0) +
             (s.conv > 0 ? element * double(s.conv_channels() * s.conv) : 0.0));
  info.flops(chunked_flops(s));
  info.tokens(double(b * t));
  // No cache grows with the context: the fixed state is the figure
  // state_bytes_per_sequence instead.
  info.kv_cache_bytes_per_token(0.0);
}

// FLOPs, counted as the matrix products the chunked form must do per chunk of
// L tokens and head (2 per multiply-add), with the causal triangles at their
// useful size (L(L+1)/2 entries, L(L-1)/2 for GDN's strictly lower K K^T), plus
// GDN's triangular solve (L^3/3). Elementwise work (feature maps, decays,
// convolution, norms) is not counted. Decode counts the recurrent step:
// linear/GLA 5 dk dv per head (decay, rank-1 update, readout), GDN 7 dk dv
// (k^T S, the update, the readout).
double chunked_flops(const Shape& s) {
  const double dk = double(s.dk), dv = double(s.dv), heads = double(s.batch * s.heads);
  if (s.mode == Mode::decode) return heads * (s.rule == Rule::delta ? 7.0 : 5.0) * dk * dv;
  const auto chunk = [&](double L) {
    const double tri = L * (L + 1) / 2;
    if (s.rule != Rule::delta) {
      double f = tri * 2 * dk + tri * 2 * dv + 2 * (2 * L * dk * dv);  // QK^T, AV, Q S, K^T V
      if (s.has_norm_state()) f += 2 * L * dk + tri + 2 * L * dk;    // q.z, row sums, z update
      return f;
    }
    return L * (L - 1) / 2 * 2 * dk        // K K^T
           + L * L * L / 3                 // (I + M)^-1 diag(beta)
           + tri * 2 * dv + tri * 2 * dk   // U = T V, W = T K
           + tri * 2 * dk                  // Q K^T
           + 3 * (2 * L * dk * dv)         // W S, Q S, K^T U
           + tri * 2 * dv;                 // A U
  };
  const int64_t full = s.seq / s.chunk, tail = s.seq % s.chunk;
  return heads * (double(full) * chunk(double(s.chunk)) + (tail ? chunk(double(tail)) : 0.0));
}

void MixerVariant::figures(const sdk::Problem& problem, const sdk::Tensors&, sdk::Figures& out) const {
  const Shape s = Shape::of(problem, rule_);
  // What one sequence keeps at any context, to set beside attention's
  // kv_cache_bytes_per_token x context.
  out.add("state_bytes_per_sequence", s.state_bytes_per_sequence());
  out.add("conv_window_bytes", double(sdk::dtype_size(s.dtype)) * double(s.conv_history() * s.conv_channels()));
}

void MixerVariant::reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                             const sdk::Outputs& outputs) const {
  const Shape s = Shape::of(problem, rule_);
  if (s.layer()) reference_layer(s, tensors, outputs);
  else reference_mixer(s, tensors, outputs);
}

std::unique_ptr<sdk::Instance> MixerVariant::create_cpu(const sdk::Problem& problem, const ab_host& host,
                                                        const sdk::Tensors& tensors) const {
  const Shape s = Shape::of(problem, rule_);
  return s.layer() ? make_cpu_layer_instance(s, host, tensors) : make_cpu_instance(s, host, tensors);
}

struct Linear : MixerVariant {
  Linear()
      : MixerVariant("mixer/linear",
                     "kernelized linear attention (elu+1 feature map, optional normalization); with decay=retnet "
                     "and the identity map, retention (RetNet)",
                     Rule::linear) {}
};
struct Gla : MixerVariant {
  Gla()
      : MixerVariant("mixer/gla", "gated linear attention: data-dependent per-channel decay of the state (GLA)",
                     Rule::gla) {}
};
struct GatedDeltaNet : MixerVariant {
  GatedDeltaNet()
      : MixerVariant("mixer/gated-deltanet",
                     "Gated DeltaNet (Qwen3-Next): gated delta rule, short causal conv, L2-normalized q/k, "
                     "q/k heads shared by value heads",
                     Rule::delta) {}
};

}  // namespace archbench::plugins::mixers

ARCHBENCH_PLUGIN("mixers", "0.1.0", archbench::plugins::mixers::Linear, archbench::plugins::mixers::Gla,
                 archbench::plugins::mixers::GatedDeltaNet)
