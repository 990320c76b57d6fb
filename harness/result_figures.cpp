// Collects and checks a variant's per-result figures (see result_figures.hpp).
#include "harness/result_figures.hpp"

#include "harness/variant_abi.hpp"

#include <archbench/extras/figures.h>

#include <cmath>
#include <cstring>
#include <set>

namespace archbench {
namespace {

bool valid_name(const char* name, size_t capacity) {
  const size_t length = strnlen(name, capacity);
  if (length == 0 || length == capacity) return false;  // empty, or no terminator
  for (size_t i = 0; i < length; ++i) {
    const char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::string collect_figures(const ab_variant& variant, const ab_problem& problem, const TensorSet& tensors,
                            std::vector<std::pair<std::string, double>>& figures) {
  figures.clear();
  std::vector<std::pair<std::string, double>> checked;  // handed over only when all are valid
  const auto* table = static_cast<const ab_figures*>(extra_table(variant, AB_EXTRA_FIGURES));
  if (!table) return {};
  if (table->struct_size < sizeof(ab_figures) || !table->figures) return "figures: the extra's table is incomplete";
  ab_figure out[AB_MAX_FIGURES] = {};
  uint32_t written = 0;
  if (table->figures(variant.context, &problem, tensors.bound(), tensors.count(), out, AB_MAX_FIGURES, &written) !=
      AB_OK)
    return "figures: the variant's figures() failed";
  if (written > AB_MAX_FIGURES) return "figures: more than " + std::to_string(AB_MAX_FIGURES) + " reported";
  std::set<std::string> seen;
  for (uint32_t i = 0; i < written; ++i) {
    if (!valid_name(out[i].name, sizeof out[i].name))
      return "figures: a figure name is not 1-31 characters of [a-z0-9_]";
    const std::string name = out[i].name;
    if (!std::isfinite(out[i].value)) return "figures: '" + name + "' is not finite";
    if (!seen.insert(name).second) return "figures: '" + name + "' reported twice";
    checked.emplace_back(name, out[i].value);
  }
  figures = std::move(checked);
  return {};
}

}  // namespace archbench
