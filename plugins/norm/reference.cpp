// Double-precision reference of RMSNorm / LayerNorm (with the optional residual add).
#include <cmath>

#include "norm.hpp"

namespace archbench::plugins::norm {

void NormVariant::reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                            const sdk::Outputs& outputs) const {
  const int64_t tokens = problem.integer("tokens"), d_model = problem.integer("d_model");
  const double eps = problem.real("eps");
  const bool residual = problem.flag("residual");
  std::vector<double> h = tensors.as_doubles("x");
  if (residual) {
    const std::vector<double> r = tensors.as_doubles("residual");
    for (size_t i = 0; i < h.size(); ++i) h[i] += r[i];
    std::copy(h.begin(), h.end(), outputs["residual_out"]);
  }
  const std::vector<double> gamma = tensors.as_doubles("gamma");
  const std::vector<double> beta =
      type_ == NormType::layer ? tensors.as_doubles("beta") : std::vector<double>(size_t(d_model), 0.0);
  double* y = outputs["y"];
#pragma omp parallel for
  for (int64_t t = 0; t < tokens; ++t) {
    const double* row = h.data() + t * d_model;
    double mean = 0.0;
    if (type_ == NormType::layer) {
      for (int64_t i = 0; i < d_model; ++i) mean += row[i];
      mean /= double(d_model);
    }
    double square_sum = 0.0;
    for (int64_t i = 0; i < d_model; ++i) square_sum += (row[i] - mean) * (row[i] - mean);
    const double inv = 1.0 / std::sqrt(square_sum / double(d_model) + eps);
    for (int64_t i = 0; i < d_model; ++i)
      y[t * d_model + i] = (row[i] - mean) * inv * gamma[size_t(i)] + beta[size_t(i)];
  }
}

}  // namespace archbench::plugins::norm
