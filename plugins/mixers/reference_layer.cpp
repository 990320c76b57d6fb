// Gated DeltaNet's layer reference (layer.cpp has the formulas): the
// projections, gates, gated RMSNorm and output projection as plain loops in
// double around the same sequential recurrence the core level checks against.
#include "mixers.hpp"

#include <cmath>

namespace archbench::plugins::mixers {

namespace {

constexpr double kNormEps = 1e-6;  // Qwen3-Next's rms_norm_eps

// out[rows, n] = in[rows, k] w[k, n]
std::vector<double> product(const std::vector<double>& in, const std::vector<double>& w, int64_t rows, int64_t k,
                            int64_t n) {
  std::vector<double> out(size_t(rows * n), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i) {
      const double x = in[size_t(r * k + i)];
      for (int64_t j = 0; j < n; ++j) out[size_t(r * n + j)] += x * w[size_t(i * n + j)];
    }
  return out;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double softplus(double x) { return x > 30.0 ? x : std::log1p(std::exp(x)); }

}  // namespace

void reference_layer(const Shape& s, const sdk::Tensors& tensors, const sdk::Outputs& outputs) {
  const int64_t rows = s.batch * s.tokens(), H = s.heads, dv = s.dv, dm = s.d_model;
  const int64_t qk = s.qk_heads * s.dk, vz = H * dv;
  const bool decode = s.mode == Mode::decode;
  const std::vector<double> x = tensors.as_doubles("x");
  const auto project = [&](const char* weight, int64_t width) {
    return product(x, tensors.as_doubles(weight), rows, dm, width);
  };

  RecurrenceIo io;
  io.q = project("w_q", qk);
  io.k = project("w_k", qk);
  io.v = project("w_v", vz);
  const std::vector<double> z = project("w_z", vz);
  io.beta = project("w_beta", H);
  io.alpha = project("w_alpha", H);
  const std::vector<double> a_log = tensors.as_doubles("a_log"), dt_bias = tensors.as_doubles("dt_bias");
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t h = 0; h < H; ++h) {
      double& beta = io.beta[size_t(r * H + h)];
      double& alpha = io.alpha[size_t(r * H + h)];
      beta = sigmoid(beta);
      alpha = std::exp(-std::exp(a_log[size_t(h)]) * softplus(alpha + dt_bias[size_t(h)]));  // a log-decay, exp'd
    }
  if (s.conv > 0) io.conv_weight = tensors.as_doubles("conv_weight");
  if (decode) {
    io.state = tensors.as_doubles("state");
    if (s.conv_history() > 0) io.conv_state = tensors.as_doubles("conv_state");
  }
  std::vector<double> core(size_t(rows * vz));
  io.out = core.data();
  io.state_out = outputs[decode ? "new_state" : "final_state"];
  if (s.conv_history() > 0) io.conv_out = outputs[decode ? "new_conv" : "final_conv"];
  reference_recurrence(s, io);

  // Gated RMSNorm per head: o / rms(o) * norm_weight * SiLU(z).
  const std::vector<double> norm_weight = tensors.as_doubles("norm_weight");
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t h = 0; h < H; ++h) {
      double* o = core.data() + r * vz + h * dv;
      const double* gate = z.data() + r * vz + h * dv;
      double squares = 0;
      for (int64_t e = 0; e < dv; ++e) squares += o[e] * o[e];
      const double inverse_rms = 1.0 / std::sqrt(squares / double(dv) + kNormEps);
      for (int64_t e = 0; e < dv; ++e) o[e] *= inverse_rms * norm_weight[size_t(e)] * gate[e] * sigmoid(gate[e]);
    }
  const std::vector<double> y = product(core, tensors.as_doubles("w_out"), rows, vz, dm);
  std::copy(y.begin(), y.end(), outputs["y"]);
}

}  // namespace archbench::plugins::mixers
