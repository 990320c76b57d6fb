// Fidelity metrics and tolerances.
#include "harness/fidelity.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace archbench {

void FidelityMeter::add(const std::vector<double>& output, const double* reference) {
  // Relative error is taken against max(|ref|, 1e-3 * rms(ref)) so that values
  // crossing zero do not turn a tiny absolute error into an infinite one.
  double reference_square = 0;
  for (size_t i = 0; i < output.size(); ++i) reference_square += reference[i] * reference[i];
  const double floor = 1e-3 * std::sqrt(reference_square / double(std::max<size_t>(output.size(), 1)));
  for (size_t i = 0; i < output.size(); ++i) {
    const double out = output[i], ref = reference[i];
    if (std::isnan(out)) { ++nan_; continue; }
    if (std::isinf(out)) { ++inf_; continue; }
    const double diff = std::fabs(out - ref);
    error_sum_ += diff * diff;
    max_abs_ = std::max(max_abs_, diff);
    max_rel_ = std::max(max_rel_, diff / std::max(std::fabs(ref), floor));
  }
  reference_sum_ += reference_square;
}

Fidelity FidelityMeter::result() const {
  Fidelity f;
  f.nmse = reference_sum_ > 0 ? error_sum_ / reference_sum_ : (error_sum_ > 0 ? INFINITY : 0.0);
  f.max_abs = max_abs_;
  f.max_rel = max_rel_;
  f.nan_count = nan_;
  f.inf_count = inf_;
  return f;
}

double nmse_tolerance(ab_dtype dtype, ab_backend) {
  // f32: a K=16K dot product accumulates ~1e-6 relative error, NMSE ~1e-11;
  // 1e-7 leaves room for reassociation but fails any real bug (those give ~1).
  // bf16/f16: one rounding of inputs and outputs alone gives ~1e-5.
  switch (dtype) {
    case AB_DTYPE_F32: return 1e-7;
    case AB_DTYPE_BF16: return 1e-4;
    case AB_DTYPE_F16: return 1e-5;
    case AB_DTYPE_I32: return 0;  // integers are compared exactly or as index sets
  }
  return 0;
}

std::string judge(const Fidelity& f, ab_dtype dtype, ab_backend backend) {
  char text[128];
  if (f.nan_count || f.inf_count) {
    std::snprintf(text, sizeof text, "%lld NaN and %lld Inf in the output",
                  (long long)f.nan_count, (long long)f.inf_count);
    return text;
  }
  const double tolerance = nmse_tolerance(dtype, backend);
  if (!(f.nmse <= tolerance)) {
    std::snprintf(text, sizeof text, "nmse %.3g exceeds the tolerance %.3g", f.nmse, tolerance);
    return text;
  }
  return {};
}

}  // namespace archbench
