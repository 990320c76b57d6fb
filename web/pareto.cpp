// Pareto fronts (see pareto.hpp): the plain O(n^2) check, ample for the few
// dozen designs of one workload.
#include "web/pareto.hpp"

#include <cmath>

namespace archbench::web {

std::vector<bool> pareto_front(const std::vector<std::vector<double>>& points, const std::vector<bool>& maximize) {
  const auto usable = [&](const std::vector<double>& p) {
    if (p.size() != maximize.size()) return false;
    for (double v : p)
      if (std::isnan(v)) return false;
    return true;
  };
  // Whether a beats b: at least as good everywhere, better somewhere.
  const auto beats = [&](const std::vector<double>& a, const std::vector<double>& b) {
    bool better = false;
    for (size_t k = 0; k < maximize.size(); ++k) {
      const double x = maximize[k] ? a[k] : -a[k], y = maximize[k] ? b[k] : -b[k];
      if (x < y) return false;
      better = better || x > y;
    }
    return better;
  };
  std::vector<bool> front(points.size(), false);
  for (size_t i = 0; i < points.size(); ++i) {
    if (!usable(points[i])) continue;
    bool beaten = false;
    for (size_t j = 0; j < points.size() && !beaten; ++j) beaten = j != i && usable(points[j]) && beats(points[j], points[i]);
    front[i] = !beaten;
  }
  return front;
}

}  // namespace archbench::web
