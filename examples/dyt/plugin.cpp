// norm/dyt: schema, tensors, cost model and the double reference.
#include "dyt.hpp"

#include <cmath>

namespace sdk = archbench::sdk;

Dyt::Dyt() : Variant("norm/dyt", "norm", "Dynamic Tanh: gamma * tanh(alpha * h) + beta, no row statistics") {
  schema().add_int("tokens", "t", 512, 1, 1 << 22, "rows (batch x sequence)");
  schema().add_int("d_model", "dm", 4096, 1, 1 << 18, "row width");
  schema().add_int("residual", "res", 0, 0, 1, "1: fuse h = x + residual before the norm");
  schema().add_float("alpha", "alpha", 0.5, 0.0, 100.0, "the tanh's input scale (learned; 0.5 at init)");
  schema().mark_design({"alpha"});
  cpu_and_vulkan_if_built();
  dtypes({AB_DTYPE_F32});
}

void Dyt::describe(const sdk::Problem& p, sdk::Info& info) const {
  const int64_t t = p.integer("tokens"), d = p.integer("d_model");
  const bool residual = p.flag("residual");
  info.tensor("x", AB_TENSOR_INPUT, AB_DTYPE_F32, {t, d}, -2.0, 2.0);
  if (residual) info.tensor("residual", AB_TENSOR_INPUT, AB_DTYPE_F32, {t, d}, -2.0, 2.0);
  info.tensor("gamma", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {d}).fill(sdk::Fill::normal(1.0, 0.1));
  info.tensor("beta", AB_TENSOR_WEIGHT, AB_DTYPE_F32, {d}).fill(sdk::Fill::normal(0.0, 0.1));
  info.tensor("y", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {t, d});
  if (residual) info.tensor("residual_out", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {t, d});
  const double elements = double(t) * double(d);
  info.bytes(4.0 * elements * (residual ? 4 : 2));
  info.flops(elements * (residual ? 5.0 : 4.0));
  info.tokens(double(t));
}

void Dyt::reference(const sdk::Problem& p, const sdk::Tensors& t, const sdk::Outputs& out) const {
  const int64_t d = p.integer("d_model");
  const bool residual = p.flag("residual");
  const double alpha = p.real("alpha");
  const auto x = t.as_doubles("x"), gamma = t.as_doubles("gamma"), beta = t.as_doubles("beta");
  const auto r = residual ? t.as_doubles("residual") : std::vector<double>(x.size(), 0.0);
  for (size_t i = 0; i < x.size(); ++i) {
    const double h = x[i] + r[i];
    out["y"][i] = gamma[i % size_t(d)] * std::tanh(alpha * h) + beta[i % size_t(d)];
    if (residual) out["residual_out"][i] = h;
  }
}

ARCHBENCH_PLUGIN("dyt", "0.1.0", Dyt)
