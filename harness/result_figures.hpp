// The per-result figures a variant offers through the "figures/1" extra
// (archbench/extras/figures.h), collected in the measuring child and checked:
// the host stores them under the plugin's names without knowing any of them.
#pragma once

#include "harness/tensors.hpp"

#include <archbench/plugin_abi.h>

#include <string>
#include <utility>
#include <vector>

namespace archbench {

// Asks the variant for its figures on the tensors as they are now. "" and the
// figures (none when the variant offers no extra), or why they were refused.
std::string collect_figures(const ab_variant& variant, const ab_problem& problem, const TensorSet& tensors,
                            std::vector<std::pair<std::string, double>>& figures);

}  // namespace archbench
