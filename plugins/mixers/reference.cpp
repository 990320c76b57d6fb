// The mixers' reference: the plain token-by-token recurrence in double,
// deliberately not the chunked form the CPU backend runs, so the two share no
// algebra (the UT transform, the cumulative decays) that could be wrong alike.
// The recurrence takes plain vectors so that GDN's layer reference
// (reference_layer.cpp) can run it on projections it computed itself.
#include "mixers.hpp"

#include <cmath>

namespace archbench::plugins::mixers {

namespace {

double feature(FeatureMap map, double x) {
  if (map == FeatureMap::identity) return x;
  return x > 0 ? x + 1.0 : std::exp(x);  // elu(x) + 1
}

void l2_normalize(std::vector<double>& x) {
  double sum = 0;
  for (double v : x) sum += v * v;
  const double inverse = 1.0 / std::sqrt(sum + 1e-6);
  for (double& v : x) v *= inverse;
}

// GDN's inputs after the causal depthwise convolution and SiLU, per sequence:
// [tokens, channels] over the channels [q | k | v]. Positions before the
// step come from conv_state in decode and are zero in a fresh prefill.
std::vector<double> convolved(const Shape& s, const std::vector<double>& raw, const std::vector<double>& history,
                              const std::vector<double>& weight) {
  const int64_t T = s.tokens(), C = s.conv_channels(), W = s.conv, H = s.conv_history();
  std::vector<double> out(size_t(T * C));
  for (int64_t t = 0; t < T; ++t)
    for (int64_t c = 0; c < C; ++c) {
      double sum = 0;
      for (int64_t w = 0; w < W; ++w) {
        const int64_t tau = t - (W - 1) + w;  // input position relative to the step
        double x = 0;
        if (tau >= 0) x = raw[size_t(tau * C + c)];
        else if (s.mode == Mode::decode) x = history[size_t((H + tau) * C + c)];
        sum += weight[size_t(c * W + w)] * x;
      }
      out[size_t(t * C + c)] = sum / (1.0 + std::exp(-sum));  // SiLU
    }
  return out;
}

}  // namespace

void reference_recurrence(const Shape& s, const RecurrenceIo& io) {
  const int64_t B = s.batch, T = s.tokens(), H = s.heads, QH = s.qk_heads, dk = s.dk, dv = s.dv;
  const bool decode = s.mode == Mode::decode;
  const std::vector<double> &q = io.q, &k = io.k, &v = io.v, &gate = io.gate, &beta = io.beta, &alpha = io.alpha,
                            &weight = io.conv_weight, &history = io.conv_state, &initial = io.state,
                            &initial_norm = io.state_norm;
  double* out = io.out;
  double* state_out = io.state_out;
  double* norm_out = io.norm_out;

  const int64_t C = s.conv_channels(), HC = s.conv_history();
  for (int64_t b = 0; b < B; ++b) {
    // GDN: this sequence's raw [q | k | v] channels, then convolved.
    std::vector<double> mixed;
    if (s.rule == Rule::delta) {
      std::vector<double> raw(size_t(T * C));
      for (int64_t t = 0; t < T; ++t)
        for (int64_t c = 0; c < C; ++c) {
          const int64_t qk = QH * dk;
          const int64_t row = b * T + t;
          raw[size_t(t * C + c)] = c < qk ? q[size_t(row * qk + c)]
                                   : c < 2 * qk ? k[size_t(row * qk + c - qk)]
                                                : v[size_t(row * H * dv + c - 2 * qk)];
        }
      if (s.conv > 0) {
        std::vector<double> seq_history;
        if (decode && HC > 0) seq_history.assign(history.begin() + b * HC * C, history.begin() + (b + 1) * HC * C);
        mixed = convolved(s, raw, seq_history, weight);
      } else {
        mixed = raw;
      }
      if (HC > 0) {  // the window after this step: the last HC raw inputs
        double* conv_out = io.conv_out + b * HC * C;
        for (int64_t r = 0; r < HC; ++r) {
          const int64_t tau = T - HC + r;  // position relative to the step
          for (int64_t c = 0; c < C; ++c) {
            double x = 0;
            if (tau >= 0) x = raw[size_t(tau * C + c)];
            else if (decode) x = history[size_t((b * HC + HC + tau) * C + c)];
            conv_out[r * C + c] = x;
          }
        }
      }
    }
    for (int64_t h = 0; h < H; ++h) {
      const int64_t g = s.qk_head_of(h);
      std::vector<double> S(size_t(dk * dv), 0.0), z(size_t(dk), 0.0);
      if (decode) {
        std::copy_n(initial.begin() + (b * H + h) * dk * dv, dk * dv, S.begin());
        if (s.has_norm_state()) std::copy_n(initial_norm.begin() + (b * H + h) * dk, dk, z.begin());
      }
      const double fixed_decay = std::exp(s.log_decay(h));
      for (int64_t t = 0; t < T; ++t) {
        const int64_t row = b * T + t;
        std::vector<double> qt(static_cast<size_t>(dk)), kt(static_cast<size_t>(dk)), vt(static_cast<size_t>(dv));
        for (int64_t d = 0; d < dk; ++d) {
          if (s.rule == Rule::delta) {
            qt[size_t(d)] = mixed[size_t(t * C + g * dk + d)];
            kt[size_t(d)] = mixed[size_t(t * C + QH * dk + g * dk + d)];
          } else {
            qt[size_t(d)] = q[size_t((row * QH + g) * dk + d)];
            kt[size_t(d)] = k[size_t((row * QH + g) * dk + d)];
          }
        }
        for (int64_t e = 0; e < dv; ++e)
          vt[size_t(e)] = s.rule == Rule::delta ? mixed[size_t(t * C + 2 * QH * dk + h * dv + e)]
                                                : v[size_t((row * H + h) * dv + e)];
        if (s.rule == Rule::linear)
          for (int64_t d = 0; d < dk; ++d) qt[size_t(d)] = feature(s.feature, qt[size_t(d)]),
                                          kt[size_t(d)] = feature(s.feature, kt[size_t(d)]);
        if (s.rule == Rule::delta) l2_normalize(qt), l2_normalize(kt);
        for (double& x : qt) x *= s.scale();

        if (s.rule == Rule::delta) {
          // S <- alpha (S - beta k (k^T S)) + beta k v^T
          const double a = alpha[size_t(row * H + h)], bt = beta[size_t(row * H + h)];
          std::vector<double> kS(size_t(dv), 0.0);
          for (int64_t d = 0; d < dk; ++d)
            for (int64_t e = 0; e < dv; ++e) kS[size_t(e)] += kt[size_t(d)] * S[size_t(d * dv + e)];
          for (int64_t d = 0; d < dk; ++d)
            for (int64_t e = 0; e < dv; ++e) {
              double& x = S[size_t(d * dv + e)];
              x = a * (x - bt * kt[size_t(d)] * kS[size_t(e)]) + bt * kt[size_t(d)] * vt[size_t(e)];
            }
        } else {
          for (int64_t d = 0; d < dk; ++d) {
            const double a = s.rule == Rule::gla ? gate[size_t((row * H + h) * dk + d)] : fixed_decay;
            for (int64_t e = 0; e < dv; ++e)
              S[size_t(d * dv + e)] = a * S[size_t(d * dv + e)] + kt[size_t(d)] * vt[size_t(e)];
            z[size_t(d)] = a * z[size_t(d)] + kt[size_t(d)];
          }
        }
        double denominator = 1.0;
        if (s.has_norm_state()) {
          denominator = 0;
          for (int64_t d = 0; d < dk; ++d) denominator += qt[size_t(d)] * z[size_t(d)];
        }
        for (int64_t e = 0; e < dv; ++e) {
          double sum = 0;
          for (int64_t d = 0; d < dk; ++d) sum += qt[size_t(d)] * S[size_t(d * dv + e)];
          out[(row * H + h) * dv + e] = sum / denominator;
        }
      }
      std::copy(S.begin(), S.end(), state_out + (b * H + h) * dk * dv);
      if (norm_out) std::copy(z.begin(), z.end(), norm_out + (b * H + h) * dk);
    }
  }
}

void reference_mixer(const Shape& s, const sdk::Tensors& tensors, const sdk::Outputs& outputs) {
  const bool decode = s.mode == Mode::decode;
  RecurrenceIo io;
  io.q = tensors.as_doubles("q"), io.k = tensors.as_doubles("k"), io.v = tensors.as_doubles("v");
  if (s.rule == Rule::gla) io.gate = tensors.as_doubles("gate");
  if (s.rule == Rule::delta) io.beta = tensors.as_doubles("beta"), io.alpha = tensors.as_doubles("alpha");
  if (s.conv > 0) io.conv_weight = tensors.as_doubles("conv_weight");
  if (decode) {
    io.state = tensors.as_doubles("state");
    if (s.has_norm_state()) io.state_norm = tensors.as_doubles("state_norm");
    if (s.conv_history() > 0) io.conv_state = tensors.as_doubles("conv_state");
  }
  io.out = outputs["out"];
  io.state_out = outputs[decode ? "new_state" : "final_state"];
  if (s.has_norm_state()) io.norm_out = outputs[decode ? "new_norm" : "final_norm"];
  if (s.conv_history() > 0) io.conv_out = outputs[decode ? "new_conv" : "final_conv"];
  reference_recurrence(s, io);
}

}  // namespace archbench::plugins::mixers
