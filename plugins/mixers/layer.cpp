// mixer/gated-deltanet at layer level (d_model > 0): the tensors and cost
// model of Qwen3-Next's whole Gated DeltaNet mixer, x [b, t, d_model] -> y:
//
//   q, k = x W_q, x W_k      [qk_heads dk]     v, z = x W_v, x W_z   [heads dv]
//   beta  = sigmoid(x W_beta)                                         [heads]
//   alpha = exp(-exp(a_log) softplus(x W_alpha + dt_bias))            [heads] (a decay in (0, 1))
//   o     = the core (conv + SiLU, L2 norms, the gated delta rule) on q, k, v, beta, alpha
//   y     = (RMSNorm_dv(o) * norm_weight * SiLU(z)) W_out             per head, eps 1e-6
//
// Decode reads and writes the state and conv window exactly as the core level
// does (same names, dtypes and layouts).
#include "mixers.hpp"

#include <cmath>

namespace archbench::plugins::mixers {

namespace {

// dt_bias = softplus^-1(dt): Mamba's and flash-linear-attention's way to
// initialize a decay rate. The ranges keep exp(-A softplus(dt_bias)) in
// [0.9, 0.999] for every A = exp(a_log) in [1, 16] (x W_alpha then moves each
// token's decay around it), the core level's alpha range: real per-token
// decays, and inside what the chunked form keeps finite (see cpu_chunked.cpp).
constexpr double kDtLow = 1e-3, kDtHigh = 6.5e-3;
constexpr double kALow = 1.0, kAHigh = 16.0;

double inverse_softplus(double y) { return std::log(std::expm1(y)); }

}  // namespace

void MixerVariant::describe_layer(const Shape& s, sdk::Info& info) {
  const ab_dtype dtype = s.dtype;
  const int64_t b = s.batch, t = s.tokens(), h = s.heads, dk = s.dk, dv = s.dv, dm = s.d_model;
  const int64_t qk = s.qk_heads * dk, vz = h * dv;
  const bool decode = s.mode == Mode::decode;
  // Projections uniform in +-sqrt(3 / fan_in): unit-variance weights per input,
  // so every projected value has the variance of one input element.
  const double in_bound = std::sqrt(3.0 / double(dm)), out_bound = std::sqrt(3.0 / double(vz));
  info.tensor("x", AB_TENSOR_INPUT, dtype, {b, t, dm});
  info.tensor("w_q", AB_TENSOR_WEIGHT, dtype, {dm, qk}, -in_bound, in_bound);
  info.tensor("w_k", AB_TENSOR_WEIGHT, dtype, {dm, qk}, -in_bound, in_bound);
  info.tensor("w_v", AB_TENSOR_WEIGHT, dtype, {dm, vz}, -in_bound, in_bound);
  info.tensor("w_z", AB_TENSOR_WEIGHT, dtype, {dm, vz}, -in_bound, in_bound);
  info.tensor("w_beta", AB_TENSOR_WEIGHT, dtype, {dm, h}, -in_bound, in_bound);
  info.tensor("w_alpha", AB_TENSOR_WEIGHT, dtype, {dm, h}, -in_bound, in_bound);
  info.tensor("a_log", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {h}, std::log(kALow), std::log(kAHigh));
  info.tensor("dt_bias", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {h}, inverse_softplus(kDtLow), inverse_softplus(kDtHigh));
  if (s.conv > 0) {
    const double bound = 1.0 / std::sqrt(double(s.conv));  // as at core level
    info.tensor("conv_weight", AB_TENSOR_WEIGHT, dtype, {s.conv_channels(), s.conv}, -bound, bound);
  }
  // Around 1 (a trained norm's scale), not exactly 1, so that a weight applied
  // to the wrong channel shows.
  info.tensor("norm_weight", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {dv}, 0.5, 1.5);
  info.tensor("w_out", AB_TENSOR_WEIGHT, dtype, {vz, dm}, -out_bound, out_bound);
  if (decode) {
    info.tensor("state", AB_TENSOR_STATE, AB_DTYPE_F32, {b, h, dk, dv}, -0.5, 0.5);
    if (s.conv_history() > 0) info.tensor("conv_state", AB_TENSOR_STATE, dtype, {b, s.conv_history(), s.conv_channels()});
  }
  info.tensor("y", AB_TENSOR_OUTPUT, dtype, {b, t, dm});
  info.tensor(decode ? "new_state" : "final_state", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {b, h, dk, dv});
  if (s.conv_history() > 0)
    info.tensor(decode ? "new_conv" : "final_conv", AB_TENSOR_OUTPUT, dtype, {b, s.conv_history(), s.conv_channels()});

  // FLOPs: the projections (2 per multiply-add) plus the core's count; the
  // gates, norm and SiLU are elementwise and, as at core level, not counted.
  const double rows = double(b * t);
  const double matrix = double(dm) * double(2 * qk + 2 * vz + 2 * h) + double(vz) * double(dm);
  info.flops(2.0 * rows * matrix + chunked_flops(s));
  // Bytes: the weights once, x in and y out, the state written (prefill) or
  // read and written (decode); the f32 vectors and the conv taps.
  const double element = double(sdk::dtype_size(dtype));
  const double small = 4.0 * double(3 * h + dv) + (s.conv > 0 ? element * double(s.conv_channels() * s.conv) : 0.0);
  info.bytes(element * (matrix + 2.0 * rows * double(dm)) + small +
             double(b) * s.state_bytes_per_sequence() * (decode ? 2.0 : 1.0));
  info.tokens(rows);
  info.kv_cache_bytes_per_token(0.0);  // the fixed state instead: the figure state_bytes_per_sequence
}

}  // namespace archbench::plugins::mixers
