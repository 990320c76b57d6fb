// Grouping a preset layer's parts into sublayers by placement (block_layout.hpp).
#include "harness/block_layout.hpp"

#include <stdexcept>

namespace archbench {

std::vector<Sublayer> group_sublayers(const std::string& placement, const std::vector<std::string>& kinds) {
  const bool pre = placement == "pre" || placement == "sandwich";
  const bool post = placement == "post" || placement == "sandwich";
  if (!pre && !post && placement != "none")
    throw std::invalid_argument("placement '" + placement + "' is not pre, post, sandwich or none");
  const std::string pattern = placement == "pre"        ? "norm, body..."
                              : placement == "post"     ? "body..., norm"
                              : placement == "sandwich" ? "norm, body..., norm"
                                                        : "one body, no norm";
  auto broken = [&](size_t part, const std::string& what) {
    return std::invalid_argument("placement '" + placement + "' expects each sublayer as " + pattern + "; part " +
                                 std::to_string(part + 1) + " " + what);
  };
  auto is_norm = [&](size_t i) { return kinds[i] == "norm"; };
  std::vector<Sublayer> out;
  size_t i = 0;
  while (i < kinds.size()) {
    Sublayer s;
    if (pre) {
      if (!is_norm(i)) throw broken(i, "should be the sublayer's norm, not a " + kinds[i]);
      s.pre = int(i++);
    }
    while (i < kinds.size() && !is_norm(i)) {
      s.bodies.push_back(int(i++));
      if (placement == "none") break;
    }
    if (s.bodies.empty())
      throw i < kinds.size() ? broken(i, "is a norm where a body should be")
                             : broken(i - 1, "is a norm that ends the layer: its sublayer's body is missing");
    if (post) {
      if (i >= kinds.size()) throw broken(i - 1, "ends the layer without the sublayer's closing norm");
      s.post = int(i++);
    }
    out.push_back(s);
  }
  if (out.empty()) throw std::invalid_argument("a block needs at least one part");
  return out;
}

}  // namespace archbench
