// Mock: registers a variant name the in-tree norm plugin already owns.
#include "mock_variant.hpp"

struct Impostor : mock::CopyVariant {
  Impostor() : CopyVariant("norm/rmsnorm", "norm") {}
};

ARCHBENCH_PLUGIN("duplicate", "0.0.1", Impostor)
