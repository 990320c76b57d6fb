// ssm/mamba2 (Mamba-2's SSD): parameter schema (attention's workload tokens,
// the state width and B/C groups as the design), tensor shapes, fill policies,
// the cost model of the chunked prefill and of the recurrent decode, and the
// state bytes a sequence keeps (see ssm.hpp for the recurrence).
#include "ssm.hpp"

#include <algorithm>
#include <cmath>

namespace archbench::plugins::ssm {

Mamba2Shape Mamba2Shape::of(const sdk::Problem& problem) {
  Mamba2Shape s;
  s.mode = Mode(problem.choice("mode"));
  s.batch = problem.integer("batch");
  s.seq = problem.integer("seq");
  s.heads = problem.integer("heads");
  s.head_dim = problem.integer("head_dim");
  s.d_state = problem.integer("d_state");
  s.groups = problem.integer("groups");
  s.dtype = problem.dtype();
  return s;
}

Mamba2Variant::Mamba2Variant()
    : Variant("ssm/mamba2", "attention",
              "Mamba-2 (SSD): a scalar input-dependent decay per head over a head_dim x d_state state, B and C "
              "shared by the heads of a group; chunked prefill, recurrent decode"),
      qkv_(make_mamba2_qkv_adapter(*this)) {
  auto& s = schema();
  // attention/gqa's workload parameters, same names, keys and defaults: a
  // problem string's workload part means the same width for both.
  s.add_sequence_workload(
      "prefill: seq new tokens from a zero state; decode: one new token after seq tokens held in the state",
      "prefill: prompt tokens; decode: tokens already summarized in the state");
  s.add_int("heads", "h", 32, 1, 1024, "heads (Mamba-2 2.7B: 80)");
  s.add_int("head_dim", "hd", 128, 1, 1024, "head width P: x's channels per head (Mamba-2: 64); d_inner = heads x head_dim");
  s.add_int("v_head_dim", "vhd", 0, 0, 1024, "value head width: x is the value, so 0 or head_dim");
  // Mamba-2's layer (in_proj, conv, the gated RMSNorm, out_proj) is not built
  // yet: d_model is here so the workload tokens are attention's, and only 0 is valid.
  s.add_int("d_model", "dm", 0, 0, 0, "0: core level (x, dt, B, C given); the layer level is not implemented yet");
  s.add_int("d_state", "n", 128, 1, 512, "state width N per head channel (Mamba-2: 64..256)");
  s.add_int("groups", "g", 1, 1, 1024, "B/C groups: the heads of a group share B and C (divides heads)");
  s.mark_design({"d_state", "groups"});
  cpu_and_vulkan_if_built();
  dtypes({AB_DTYPE_F32, AB_DTYPE_BF16});
  implement(AB_CONTRACT_MIXER_QKV, qkv_->table());
  provides_figures();
}

std::string Mamba2Variant::validate(const sdk::Problem& problem) const {
  const Mamba2Shape s = Mamba2Shape::of(problem);
  const int64_t vhd = problem.integer("v_head_dim");
  if (vhd != 0 && vhd != s.head_dim) return "v_head_dim must be 0 or head_dim: x (head_dim wide) is the value";
  if (s.groups > s.heads || s.heads % s.groups != 0) return "groups must divide heads";
  if (double(s.batch) * double(s.tokens()) * double(s.d_inner()) > double(int64_t(1) << 34))
    return "batch x tokens x heads x head_dim would exceed 2^34 elements";
  // The prefill keeps every chunk's C B^T (kChunk values per token and group).
  if (double(s.batch) * double(s.groups) * double(s.tokens()) * double(kChunk) > double(int64_t(1) << 32))
    return "batch x groups x tokens x " + std::to_string(kChunk) + " (the chunks' C B^T) would exceed 2^32 elements";
  return {};
}

void Mamba2Variant::describe(const sdk::Problem& problem, sdk::Info& info) const {
  const Mamba2Shape s = Mamba2Shape::of(problem);
  const int64_t b = s.batch, t = s.tokens(), h = s.heads, P = s.head_dim, N = s.d_state, g = s.groups;
  const ab_dtype dtype = s.dtype;
  info.tensor("x", AB_TENSOR_INPUT, dtype, {b, t, h, P});
  // dt after its softplus, in Mamba-2's initialization range; A = -exp(a_log)
  // per head, initialized in [-16, -1] (A_init_range (1, 16)).
  info.tensor("dt", AB_TENSOR_INPUT, dtype, {b, t, h}).fill(sdk::Fill::log_uniform(1e-3, 1e-1));
  info.tensor("a_log", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {h}, 0.0, std::log(16.0));
  info.tensor("B", AB_TENSOR_INPUT, dtype, {b, t, g, N});
  info.tensor("C", AB_TENSOR_INPUT, dtype, {b, t, g, N});
  info.tensor("D", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {h}, 0.5, 1.5);
  if (s.mode == Mode::decode) info.tensor("state", AB_TENSOR_STATE, AB_DTYPE_F32, {b, h, P, N}, -0.5, 0.5);
  info.tensor("y", AB_TENSOR_OUTPUT, dtype, {b, t, h, P});
  info.tensor("state_out", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {b, h, P, N});

  // FLOPs of what runs, an exp counted as one. Prefill, the chunked form per
  // chunk of L tokens: per group C B^T (2 L^2 N); per head the decay mask on
  // the causal pairs (4 each: a difference, an exp, two products), the
  // intra-chunk M X (2 L^2 P), the inter-chunk C H^T (2 L N P) and its row
  // scaling (L P), the state update X^T (w B) (2 L P N) with w B (2 L N) and
  // the decay of H (P N); D x (2 P per token and head). Decode, the recurrent
  // step per (head, p, n): decay, dt x B and the FMA (4), C.h (2); plus D x.
  double flops = 0;
  if (s.mode == Mode::prefill) {
    for (int64_t start = 0; start < t; start += kChunk) {
      const double L = double(std::min(kChunk, t - start));
      flops += double(g) * 2.0 * L * L * double(N);
      flops += double(h) * (4.0 * L * (L + 1) / 2 + 2.0 * L * L * double(P) + 2.0 * L * double(N * P) +
                            L * double(P) + 2.0 * L * double(P * N) + 2.0 * L * double(N) + double(P * N));
    }
    flops += double(t) * double(h) * 2.0 * double(P);
  } else {
    flops = double(h) * (6.0 * double(P * N) + 2.0 * double(P) + 2.0);
  }
  info.flops(double(b) * flops);
  const double element = double(sdk::dtype_size(dtype));
  const double rows = double(b * t);
  const double activations = rows * (2.0 * double(h * P) + double(h) + 2.0 * double(g * N));  // x, y, dt, B, C
  const double state = 4.0 * double(b * h * P * N) * (s.mode == Mode::decode ? 2.0 : 1.0);
  info.bytes(element * activations + 8.0 * double(h) + state);
  info.tokens(rows);
  info.kv_cache_bytes_per_token(0);  // no cache grows: see the state_bytes_per_sequence figure
}

void Mamba2Variant::reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                              const sdk::Outputs& outputs) const {
  reference_mamba2(Mamba2Shape::of(problem), tensors, outputs);
}

void Mamba2Variant::figures(const sdk::Problem& problem, const sdk::Tensors&, sdk::Figures& out) const {
  out.add("state_bytes_per_sequence", Mamba2Shape::of(problem).state_bytes());
}

}  // namespace archbench::plugins::ssm
