// The ssm plugin's entry symbol: Mamba-1 (ssm/mamba) and Mamba-2 (ssm/mamba2).
#include "ssm.hpp"

ARCHBENCH_PLUGIN("ssm", "0.1.0", archbench::plugins::ssm::MambaVariant, archbench::plugins::ssm::Mamba2Variant)
