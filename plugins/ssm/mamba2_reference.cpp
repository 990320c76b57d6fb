// ssm/mamba2's reference: the plain sequential recurrence in double, token by
// token (deliberately not the chunked SSD form the CPU path runs), so the
// chunking, its decay masks and its state passing are all checked against it.
#include "ssm.hpp"

#include <cmath>
#include <vector>

namespace archbench::plugins::ssm {

void reference_mamba2(const Mamba2Shape& s, const sdk::Tensors& tensors, const sdk::Outputs& outputs) {
  const int64_t T = s.tokens(), H = s.heads, P = s.head_dim, N = s.d_state, G = s.groups;
  const std::vector<double> x = tensors.as_doubles("x"), dt = tensors.as_doubles("dt"),
                            a_log = tensors.as_doubles("a_log"), B = tensors.as_doubles("B"),
                            C = tensors.as_doubles("C"), D = tensors.as_doubles("D");
  const std::vector<double> initial = s.mode == Mode::decode ? tensors.as_doubles("state") : std::vector<double>{};
  double* y = outputs["y"];
  double* state_out = outputs["state_out"];

#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t head = 0; head < H; ++head) {
      const int64_t g = head / s.heads_per_group();
      const double a = -std::exp(a_log[size_t(head)]);
      std::vector<double> h(size_t(P * N), 0.0);  // [p, n]
      if (!initial.empty())
        for (int64_t i = 0; i < P * N; ++i) h[size_t(i)] = initial[size_t((b * H + head) * P * N + i)];
      for (int64_t t = 0; t < T; ++t) {
        const int64_t row = b * T + t;
        const double step = dt[size_t(row * H + head)], decay = std::exp(step * a);
        const double* Bt = B.data() + (row * G + g) * N;
        const double* Ct = C.data() + (row * G + g) * N;
        for (int64_t p = 0; p < P; ++p) {
          const size_t at = size_t((row * H + head) * P + p);
          double out = 0;
          for (int64_t n = 0; n < N; ++n) {
            double& state = h[size_t(p * N + n)];
            state = decay * state + step * x[at] * Bt[n];
            out += Ct[n] * state;
          }
          y[at] = out + D[size_t(head)] * x[at];
        }
      }
      for (int64_t i = 0; i < P * N; ++i) state_out[size_t((b * H + head) * P * N + i)] = h[size_t(i)];
    }
}

}  // namespace archbench::plugins::ssm
