#version 450
// mixer/gated-deltanet's layer projections (q, k, v, z, the gate logits, out):
// the SDK's tiled matmul, variants via -D (BF16 storage, tiling MM_*,
// MM_SHARED_A); see archbench/shaders/matmul.glsl.
#include "archbench/shaders/matmul.glsl"
