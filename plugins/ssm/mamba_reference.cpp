// ssm/mamba's reference: the plain sequential recurrence in double, one token
// after another (deliberately not a parallel or chunked form), so that the
// optimized scan is checked against the definition itself; at layer level the
// projections, the causal conv and dt's softplus around it, all in double.
#include "ssm.hpp"

#include <archbench/reference.hpp>

#include <cmath>
#include <vector>

namespace archbench::plugins::ssm {
namespace {

// The scan over contiguous rows: u, delta, z [rows, d_inner]; B, C [rows, d_state].
void scan_in_double(const MambaShape& s, const std::vector<double>& u, const std::vector<double>& delta,
                    const std::vector<double>& B, const std::vector<double>& C, const std::vector<double>& z,
                    const std::vector<double>& a_log, const std::vector<double>& D,
                    const std::vector<double>& initial, double* y, double* state_out) {
  const int64_t T = s.tokens(), di = s.d_inner, N = s.d_state;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t c = 0; c < di; ++c) {
      std::vector<double> h(size_t(N), 0.0);
      if (!initial.empty())
        for (int64_t n = 0; n < N; ++n) h[size_t(n)] = initial[size_t((b * di + c) * N + n)];
      for (int64_t t = 0; t < T; ++t) {
        const size_t row = size_t((b * T + t) * di + c), bc = size_t((b * T + t) * N);
        const double d = delta[row], x = u[row];
        double out = 0;
        for (int64_t n = 0; n < N; ++n) {
          const double a = -std::exp(a_log[size_t(c * N + n)]);
          h[size_t(n)] = std::exp(d * a) * h[size_t(n)] + d * B[bc + size_t(n)] * x;
          out += C[bc + size_t(n)] * h[size_t(n)];
        }
        out += D[size_t(c)] * x;
        if (!z.empty()) out *= sdk::reference::silu(z[row]);
        y[row] = out;
      }
      for (int64_t n = 0; n < N; ++n) state_out[size_t((b * di + c) * N + n)] = h[size_t(n)];
    }
}

std::vector<double> columns(const std::vector<double>& m, int64_t rows, int64_t width, int64_t first, int64_t count) {
  std::vector<double> out(size_t(rows * count));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < count; ++i) out[size_t(r * count + i)] = m[size_t(r * width + first + i)];
  return out;
}

}  // namespace

void reference_mamba(const MambaShape& s, const sdk::Tensors& tensors, const sdk::Outputs& outputs) {
  if (s.layer()) {
    reference_mamba_layer(s, tensors, outputs);
    return;
  }
  scan_in_double(s, tensors.as_doubles("u"), tensors.as_doubles("delta"), tensors.as_doubles("B"),
                 tensors.as_doubles("C"), s.gate ? tensors.as_doubles("z") : std::vector<double>{},
                 tensors.as_doubles("a_log"), tensors.as_doubles("D"),
                 s.mode == Mode::decode ? tensors.as_doubles("state") : std::vector<double>{}, outputs["y"],
                 outputs["state_out"]);
}

void reference_mamba_layer(const MambaShape& s, const sdk::Tensors& tensors, const sdk::Outputs& outputs) {
  namespace ref = sdk::reference;
  const int64_t T = s.tokens(), rows = s.batch * T, di = s.d_inner, dm = s.d_model, K = s.d_conv,
                window = s.conv_window(), in_w = s.in_proj_width(), xw = s.x_proj_width(), dtr = s.dt_rank;
  // in_proj: x and (with the gate) z.
  std::vector<double> xz(size_t(rows * in_w));
  ref::matmul(tensors.as_doubles("x").data(), tensors.as_doubles("w_in").data(), xz.data(), rows, dm, in_w);
  // Causal depthwise conv over the conv window then this step's inputs, then SiLU.
  const std::vector<double> conv_w = tensors.as_doubles("conv_w"), conv_b = tensors.as_doubles("conv_b");
  const std::vector<double> history = s.mode == Mode::decode && window > 0 ? tensors.as_doubles("conv_state")
                                                                           : std::vector<double>{};
  auto input = [&](int64_t b, int64_t c, int64_t j) {  // the conv's input at token j (< 0: the window)
    if (j >= 0) return xz[size_t((b * T + j) * in_w + c)];
    return history.empty() ? 0.0 : history[size_t((b * di + c) * window + window + j)];
  };
  std::vector<double> u(size_t(rows * di));
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t c = 0; c < di; ++c) {
        double acc = conv_b[size_t(c)];
        for (int64_t k = 0; k < K; ++k) acc += conv_w[size_t(c * K + k)] * input(b, c, t - (K - 1) + k);
        u[size_t((b * T + t) * di + c)] = ref::silu(acc);
      }
  if (window > 0) {
    double* conv_out = outputs["conv_out"];
    for (int64_t b = 0; b < s.batch; ++b)
      for (int64_t c = 0; c < di; ++c)
        for (int64_t i = 0; i < window; ++i) conv_out[size_t((b * di + c) * window + i)] = input(b, c, T - window + i);
  }
  // x_proj to dt's low rank, B and C; dt_proj with its bias, then softplus.
  std::vector<double> projected(size_t(rows * xw)), delta(size_t(rows * di));
  ref::matmul(u.data(), tensors.as_doubles("w_x").data(), projected.data(), rows, di, xw);
  ref::matmul(columns(projected, rows, xw, 0, dtr).data(), tensors.as_doubles("w_dt").data(), delta.data(), rows,
              dtr, di);
  const std::vector<double> dt_bias = tensors.as_doubles("dt_bias");
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < di; ++c) {
      const double v = delta[size_t(r * di + c)] + dt_bias[size_t(c)];
      delta[size_t(r * di + c)] = v > 30 ? v : std::log1p(std::exp(v));
    }
  std::vector<double> scanned(size_t(rows * di));
  scan_in_double(s, u, delta, columns(projected, rows, xw, dtr, s.d_state),
                 columns(projected, rows, xw, dtr + s.d_state, s.d_state),
                 s.gate ? columns(xz, rows, in_w, di, di) : std::vector<double>{}, tensors.as_doubles("a_log"),
                 tensors.as_doubles("D"), s.mode == Mode::decode ? tensors.as_doubles("state") : std::vector<double>{},
                 scanned.data(), outputs["state_out"]);
  ref::matmul(scanned.data(), tensors.as_doubles("w_out").data(), outputs["y"], rows, di, dm);
}

}  // namespace archbench::plugins::ssm
