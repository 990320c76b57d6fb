// ssm/mamba (Mamba-1's selective scan): parameter schema, tensor shapes, fill
// policies that keep delta and A in their trained ranges, the cost model and
// the state bytes a sequence keeps (see ssm.hpp for the recurrence).
#include "ssm.hpp"

#include <cmath>

namespace archbench::plugins::ssm {

MambaShape MambaShape::of(const sdk::Problem& problem) {
  MambaShape s;
  s.mode = Mode(problem.choice("mode"));
  s.batch = problem.integer("batch");
  s.seq = problem.integer("seq");
  s.d_inner = problem.integer("d_inner");
  s.d_model = problem.integer("d_model");
  s.d_state = problem.integer("d_state");
  s.d_conv = problem.integer("d_conv");
  s.dt_rank = problem.integer("dt_rank");
  if (s.dt_rank == 0) s.dt_rank = (s.d_model + 15) / 16;  // Mamba's "auto": ceil(d_model / 16)
  s.gate = problem.flag("gate");
  s.dtype = problem.dtype();
  return s;
}

MambaVariant::MambaVariant()
    : Variant("ssm/mamba", "attention",
              "Mamba-1 selective scan: per-channel input-dependent decay exp(delta A) over a d_state-wide state "
              "per channel; a fixed state per sequence instead of a KV cache"),
      qkv_(make_mamba_qkv_adapter(*this)) {
  auto& s = schema();
  // The workload, as attention's: mode, batch and tokens; the width a Mamba
  // layer mixes is d_inner (expand x d_model: 2 x 2560 = 5120 in Mamba 2.8B),
  // which plays the part of attention's heads x head_dim.
  s.add_sequence_workload(
      "prefill: seq new tokens from a zero state; decode: one new token after seq tokens held in the state",
      "prefill: prompt tokens; decode: tokens already summarized in the state");
  s.add_int("d_inner", "di", 2048, 1, 1 << 16, "channels the scan mixes (expand x d_model; Mamba 2.8B: 5120)");
  s.add_int("d_model", "dm", 0, 0, 1 << 16,
            "0: core level (u, delta, B, C given); > 0: the whole layer from x [tokens, d_model]: in_proj, causal "
            "conv + SiLU, x_proj, dt_proj + softplus, scan, gate, out_proj (Mamba 2.8B: 2560)");
  s.add_int("d_state", "n", 16, 1, 256, "state width per channel (Mamba-1: 16)");
  s.add_int("d_conv", "conv", 4, 1, 64, "causal depthwise conv width (layer level; Mamba: 4)");
  s.add_int("dt_rank", "dtr", 0, 0, 1 << 14, "dt's low rank (layer level); 0: ceil(d_model / 16) (Mamba 2.8B: 160)");
  s.add_int("gate", "z", 0, 0, 1,
            "1: the output is multiplied by SiLU(z): a second input at core level, in_proj's second half at layer level");
  s.mark_design({"d_state", "d_conv", "dt_rank", "gate"});
  cpu_and_vulkan_if_built();
  dtypes({AB_DTYPE_F32, AB_DTYPE_BF16});
  implement(AB_CONTRACT_MIXER_QKV, qkv_->table());
  implements_sublayer();  // the layer with its projections (d_model > 0): x -> y
  provides_figures();
}

std::string MambaVariant::validate(const sdk::Problem& problem) const {
  const MambaShape s = MambaShape::of(problem);
  if (double(s.batch) * double(s.tokens()) * double(s.d_inner) > double(int64_t(1) << 34))
    return "batch x tokens x d_inner would exceed 2^34 elements";
  if (!s.layer() && (problem.integer("d_conv") != 4 || problem.integer("dt_rank") != 0))
    return "d_conv and dt_rank apply to the layer (d_model > 0); leave them at their defaults at core level";
  return {};
}

void MambaVariant::describe(const sdk::Problem& problem, sdk::Info& info) const {
  const MambaShape s = MambaShape::of(problem);
  if (s.layer()) {
    describe_layer(s, info);
    return;
  }
  const int64_t b = s.batch, t = s.tokens(), di = s.d_inner, n = s.d_state;
  const ab_dtype dtype = s.dtype;
  info.tensor("u", AB_TENSOR_INPUT, dtype, {b, t, di});
  // delta after its softplus: dt's range at Mamba's initialization.
  info.tensor("delta", AB_TENSOR_INPUT, dtype, {b, t, di}).fill(sdk::Fill::log_uniform(1e-3, 1e-1));
  // A = -exp(a_log) as Mamba stores it; S4D-real initializes A[c, n] = -(n + 1),
  // so a_log spans [0, ln d_state]. Kept in f32 in either dtype (Mamba does too).
  info.tensor("a_log", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {di, n}, 0.0, std::log(double(n)));
  info.tensor("B", AB_TENSOR_INPUT, dtype, {b, t, n});
  info.tensor("C", AB_TENSOR_INPUT, dtype, {b, t, n});
  info.tensor("D", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {di}, 0.5, 1.5);
  if (s.gate) info.tensor("z", AB_TENSOR_INPUT, dtype, {b, t, di});
  // A decode's history: a state of the size a prefill leaves (|h| ~ 0.1..1).
  if (s.mode == Mode::decode) info.tensor("state", AB_TENSOR_STATE, AB_DTYPE_F32, {b, di, n}, -0.5, 0.5);
  info.tensor("y", AB_TENSOR_OUTPUT, dtype, {b, t, di});
  info.tensor("state_out", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {b, di, n});

  // FLOPs, counting an exp as one: per (token, channel, state) delta*A, exp,
  // (delta*u)*B, the decay-and-add FMA (2) and C*h accumulated (2) = 7; per
  // (token, channel) delta*u and D*u added (3), and SiLU(z) times y (4) with the gate.
  const double rows = double(b * t);
  info.flops(rows * double(di) * (7.0 * double(n) + 3.0 + (s.gate ? 4.0 : 0.0)));
  const double element = double(sdk::dtype_size(dtype));
  const double activations = rows * (double(di) * (3.0 + (s.gate ? 1.0 : 0.0)) + 2.0 * double(n));  // u, delta, y, z, B, C
  const double state = 4.0 * double(b * di * n) * (s.mode == Mode::decode ? 2.0 : 1.0);  // read (decode) + written
  info.bytes(element * activations + 4.0 * double(di * n + di) + state);
  info.tokens(rows);
  info.kv_cache_bytes_per_token(0);  // no cache grows: see the state_bytes_per_sequence figure
}

void MambaVariant::reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                             const sdk::Outputs& outputs) const {
  reference_mamba(MambaShape::of(problem), tensors, outputs);
}

void MambaVariant::figures(const sdk::Problem& problem, const sdk::Tensors&, sdk::Figures& out) const {
  // What a sequence keeps between tokens at any context: the f32 state (the
  // counterpart of attention's kv_cache_bytes_per_token x context).
  out.add("state_bytes_per_sequence", MambaShape::of(problem).state_bytes());
}

}  // namespace archbench::plugins::ssm
