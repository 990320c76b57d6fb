// Pareto fronts for the web pages: which points no other point beats on every
// axis. A small stand-alone seam: where the statistics module (issue 18's
// `leaderboard --pareto`) offers the same, the pages can call it instead.
#pragma once

#include <vector>

namespace archbench::web {

// points[i][a] is point i on axis a; maximize[a] says which way axis a is
// better. Returns, per point, whether it is on the front: no other point is at
// least as good on every axis and strictly better on one. Points holding a NaN
// are never on the front and never beat another.
std::vector<bool> pareto_front(const std::vector<std::vector<double>>& points, const std::vector<bool>& maximize);

}  // namespace archbench::web
