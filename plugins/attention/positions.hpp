// Rotary position embedding (RoPE), half-split convention of GPT-NeoX and the
// Hugging Face Llama code: dimension k < rot/2 pairs with k + rot/2 and turns
// by position * theta^(-2k / rot); dimensions past `rot` (partial rotary) pass
// through. One table of cos/sin per position serves every head.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace archbench::plugins::attention {

template <class Real>
class RopeTable {
 public:
  RopeTable() = default;
  // Positions [first, first + count), `rotary` (even) rotated dimensions.
  RopeTable(int64_t first, int64_t count, int64_t rotary, double theta)
      : first_(first), half_(rotary / 2), cos_(size_t(count * half_)), sin_(cos_.size()) {
    for (int64_t p = 0; p < count; ++p)
      for (int64_t k = 0; k < half_; ++k) {
        const double angle = double(first + p) * std::pow(theta, -2.0 * double(k) / double(rotary));
        cos_[size_t(p * half_ + k)] = Real(std::cos(angle));
        sin_[size_t(p * half_ + k)] = Real(std::sin(angle));
      }
  }
  // Rotates one head vector in place for absolute position `position`.
  void apply(Real* x, int64_t position) const {
    if (half_ == 0) return;
    const Real* c = cos_.data() + (position - first_) * half_;
    const Real* s = sin_.data() + (position - first_) * half_;
    for (int64_t k = 0; k < half_; ++k) {
      const Real a = x[k], b = x[k + half_];
      x[k] = a * c[k] - b * s[k];
      x[k + half_] = b * c[k] + a * s[k];
    }
  }

 private:
  int64_t first_ = 0, half_ = 0;
  std::vector<Real> cos_, sin_;
};

}  // namespace archbench::plugins::attention
