#version 450
// The Q|K|V and output projections of layer-level attention: the SDK's tiled
// matmul (archbench/shaders/matmul.glsl), bias fused when built with HAS_BIAS.
#include "archbench/shaders/matmul.glsl"
