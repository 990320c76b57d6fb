#version 450
// FFN matmul kernel: C = epilogue(A * B + bias). Variants via -D (GATED, HAS_BIAS,
// ACT_SILU, ACT_GELU_TANH, BF16 storage, tiling MM_*); see archbench/shaders/matmul.glsl.
#include "archbench/shaders/matmul.glsl"
