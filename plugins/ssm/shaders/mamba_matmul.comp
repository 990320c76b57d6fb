#version 450
// ssm/mamba's layer projections (in_proj, x_proj, dt_proj + softplus, out_proj):
// the SDK's tiled matmul, variants via -D (HAS_BIAS, ACT_SOFTPLUS, BF16 storage,
// tiling MM_*, MM_SHARED_A); see archbench/shaders/matmul.glsl.
#include "archbench/shaders/matmul.glsl"
