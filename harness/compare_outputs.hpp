// Checks a run's outputs against the reference, each by the comparison policy
// its variant declared (numeric, exact, index-set, unchecked), with the
// harness's own tolerances: a plugin names a policy, it cannot loosen one.
#pragma once

#include "harness/fidelity.hpp"
#include "harness/tensors.hpp"

#include <string>
#include <vector>

namespace archbench {

struct OutputCheck {
  Fidelity numeric;     // NMSE and errors over the NUMERIC outputs together
  std::string failure;  // "" when every output passes its policy
};

// `reference` holds one array per OUTPUT tensor, in tensor order. Where an
// index-set output took a tie stand-in on a row (a choice the tie tolerance
// below accepts), that row is left out of the numeric outputs with the same
// number of rows (every dimension but the last): their values follow the
// choice, so they may differ there. More than 1 row in 8 left out of an
// output is a failure (a selection among all-equal scores with no such output
// passes as before).
OutputCheck check_outputs(const TensorSet& tensors, const std::vector<std::vector<double>>& reference,
                          ab_dtype dtype, ab_backend backend);

// How far below the reference's k-th best score an index-set choice may be and
// still count as a tie: sqrt(NMSE tolerance) of the row's largest |score|
// (f32 3.2e-4, bf16 1e-2 relative), so rounding in a backend's scores can
// flip a near-tie but never a real ranking.
double tie_tolerance(ab_dtype dtype, ab_backend backend);

}  // namespace archbench
