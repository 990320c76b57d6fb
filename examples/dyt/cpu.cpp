// norm/dyt on the CPU: one pass over the rows, OpenMP threads, SIMD tanh.
#include "dyt.hpp"

#include <cmath>

namespace sdk = archbench::sdk;

namespace {

struct DytCpu : sdk::Instance {
  const float *x, *residual, *gamma, *beta;
  float *y, *residual_out;
  int64_t rows, width;
  float alpha;
  void execute() override {
#pragma omp parallel for schedule(static)
    for (int64_t row = 0; row < rows; ++row) {
      const int64_t at = row * width;
#pragma omp simd
      for (int64_t c = 0; c < width; ++c) {
        const float h = x[at + c] + (residual ? residual[at + c] : 0.0f);
        y[at + c] = gamma[c] * tanhf(alpha * h) + beta[c];
        if (residual_out) residual_out[at + c] = h;
      }
    }
  }
};

float* data(const sdk::Tensors& t, const char* name, bool present) {
  return present ? static_cast<float*>(t[name].data) : nullptr;
}

}  // namespace

std::unique_ptr<sdk::Instance> Dyt::create_cpu(const sdk::Problem& p, const ab_host&, const sdk::Tensors& t) const {
  auto run = std::make_unique<DytCpu>();
  const bool residual = p.flag("residual");
  run->x = data(t, "x", true);
  run->residual = data(t, "residual", residual);
  run->gamma = data(t, "gamma", true);
  run->beta = data(t, "beta", true);
  run->y = data(t, "y", true);
  run->residual_out = data(t, "residual_out", residual);
  run->rows = p.integer("tokens");
  run->width = p.integer("d_model");
  run->alpha = float(p.real("alpha"));
  return run;
}

