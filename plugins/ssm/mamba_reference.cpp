// ssm/mamba's reference: the plain sequential recurrence in double, one token
// after another (deliberately not a parallel or chunked form), so that the
// optimized scan is checked against the definition itself.
#include "ssm.hpp"

#include <archbench/reference.hpp>

#include <cmath>
#include <vector>

namespace archbench::plugins::ssm {

void reference_mamba(const MambaShape& s, const sdk::Tensors& tensors, const sdk::Outputs& outputs) {
  const int64_t T = s.tokens(), di = s.d_inner, N = s.d_state;
  const std::vector<double> u = tensors.as_doubles("u"), delta = tensors.as_doubles("delta"),
                            a_log = tensors.as_doubles("a_log"), B = tensors.as_doubles("B"),
                            C = tensors.as_doubles("C"), D = tensors.as_doubles("D");
  const std::vector<double> z = s.gate ? tensors.as_doubles("z") : std::vector<double>{};
  const std::vector<double> initial = s.mode == Mode::decode ? tensors.as_doubles("state") : std::vector<double>{};
  double* y = outputs["y"];
  double* state_out = outputs["state_out"];

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
        if (s.gate) out *= sdk::reference::silu(z[row]);
        y[row] = out;
      }
      for (int64_t n = 0; n < N; ++n) state_out[size_t((b * di + c) * N + n)] = h[size_t(n)];
    }
}

}  // namespace archbench::plugins::ssm
