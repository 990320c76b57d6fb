// Output vs reference comparison: NMSE = mse(out, ref) / mse(ref, 0), max
// absolute and relative error, NaN/Inf counts, and the tolerance per dtype and
// backend that decides passed/failed. The harness owns the tolerance; plugins
// cannot loosen it.
#pragma once

#include <archbench/plugin_abi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace archbench {

struct Fidelity {
  double nmse = 0, max_abs = 0, max_rel = 0;
  int64_t nan_count = 0, inf_count = 0;
};

// Accumulates over several output tensors (NMSE is over all of them together).
class FidelityMeter {
 public:
  void add(const std::vector<double>& output, const double* reference);
  Fidelity result() const;

 private:
  double error_sum_ = 0, reference_sum_ = 0, max_abs_ = 0, max_rel_ = 0;
  int64_t nan_ = 0, inf_ = 0;
};

double nmse_tolerance(ab_dtype dtype, ab_backend backend);

// Empty when acceptable, else why not ("nmse 3e-2 > 1e-7", "12 NaN").
std::string judge(const Fidelity& fidelity, ab_dtype dtype, ab_backend backend);

}  // namespace archbench
