// ssm/mamba at layer level (d_model > 0): the tensors and cost model of a
// whole Mamba-1 mixer layer, x [tokens, d_model] -> y [tokens, d_model]:
//
//   [x_in | z] = x W_in                       in_proj (z only with the gate)
//   u          = SiLU(causal depthwise conv_d_conv(x_in) + conv_b)
//   [dt_low | B | C] = u W_x                  x_proj
//   delta      = softplus(dt_low W_dt + dt_bias)
//   y_ssm      = scan(u, delta, A, B, C, D) (x SiLU(z))
//   y          = y_ssm W_out                  out_proj
//
// A decode also carries the conv's last d_conv - 1 inputs per channel
// (conv_state in, conv_out after the token), kept in f32 like the SSM state.
#include "ssm.hpp"

#include <cmath>

namespace archbench::plugins::ssm {

void MambaVariant::describe_layer(const MambaShape& s, sdk::Info& info) {
  const int64_t b = s.batch, t = s.tokens(), di = s.d_inner, dm = s.d_model, n = s.d_state, K = s.d_conv,
                dtr = s.dt_rank, window = s.conv_window();
  const ab_dtype dtype = s.dtype;
  const double in_scale = std::sqrt(3.0 / double(dm)), inner_scale = std::sqrt(3.0 / double(di));
  info.tensor("x", AB_TENSOR_INPUT, dtype, {b, t, dm});
  info.tensor("w_in", AB_TENSOR_WEIGHT, dtype, {dm, s.in_proj_width()}, -in_scale, in_scale);
  info.tensor("conv_w", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {di, K}, -std::sqrt(3.0 / double(K)), std::sqrt(3.0 / double(K)));
  info.tensor("conv_b", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {di}, -0.1, 0.1);
  info.tensor("w_x", AB_TENSOR_WEIGHT, dtype, {di, s.x_proj_width()}, -inner_scale, inner_scale);
  // Mamba's dt_proj initialization: weights uniform in +-dt_rank^-1/2, the bias
  // the inverse softplus of a dt drawn in [1e-3, 1e-1].
  info.tensor("w_dt", AB_TENSOR_WEIGHT, dtype, {dtr, di}, -1.0 / std::sqrt(double(dtr)), 1.0 / std::sqrt(double(dtr)));
  info.tensor("dt_bias", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {di}, std::log(std::expm1(1e-3)), std::log(std::expm1(1e-1)));
  info.tensor("a_log", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {di, n}, 0.0, std::log(double(n)));
  info.tensor("D", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {di}, 0.5, 1.5);
  info.tensor("w_out", AB_TENSOR_WEIGHT, dtype, {di, dm}, -inner_scale, inner_scale);
  if (s.mode == Mode::decode) {
    if (window > 0) info.tensor("conv_state", AB_TENSOR_STATE, AB_DTYPE_F32, {b, di, window});
    info.tensor("state", AB_TENSOR_STATE, AB_DTYPE_F32, {b, di, n}, -0.5, 0.5);
  }
  info.tensor("y", AB_TENSOR_OUTPUT, dtype, {b, t, dm});
  info.tensor("state_out", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {b, di, n});
  if (window > 0) info.tensor("conv_out", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {b, di, window});

  // FLOPs (an exp or log counted as one): the four projections (2 per
  // multiply-add), the conv (2 K) and SiLU (4) per channel, dt's bias and
  // softplus (4), and the scan as at core level (7 per state, 3, the gate 4).
  const double rows = double(b * t);
  const double weights = double(dm) * double(s.in_proj_width()) + double(di) * double(s.x_proj_width()) +
                         double(dtr * di) + double(di * dm);
  const double per_channel = 2.0 * double(K) + 4.0 + 4.0 + 7.0 * double(n) + 3.0 + (s.gate ? 4.0 : 0.0);
  info.flops(rows * (2.0 * weights + double(di) * per_channel));
  const double element = double(sdk::dtype_size(dtype));
  const double small = 4.0 * double(di) * double(K + 3 + n);  // conv, biases, D, A
  const double states = 4.0 * double(b * di) * double(n + window) * (s.mode == Mode::decode ? 2.0 : 1.0);
  info.bytes(element * (weights + 2.0 * rows * double(dm)) + small + states);
  info.tokens(rows);
  info.kv_cache_bytes_per_token(0);  // no cache grows: see the state_bytes_per_sequence figure
}

}  // namespace archbench::plugins::ssm
