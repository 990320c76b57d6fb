// Mock: a norm from outside the tree that declares tokens and d_model but not
// `residual` (issue 12's norm/dyt). quick.toml's `norm/*` entry sets residual =
// [0, 1]; the planner must leave it out for this variant instead of refusing the
// run. (It computes y = x over n elements, like every mock.)
#include "mock_variant.hpp"

struct Dyt : mock::CopyVariant {
  Dyt() : CopyVariant("norm/dyt", "norm") {
    schema().add_int("tokens", "t", 512, 1, 1 << 22, "rows (unused by the copy)");
    schema().add_int("d_model", "dm", 4096, 1, 1 << 18, "width (unused by the copy)");
  }
};

ARCHBENCH_PLUGIN("new_norm", "0.0.1", Dyt)
