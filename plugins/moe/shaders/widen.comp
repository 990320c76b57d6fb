#version 450
// widen.comp -- bf16 problems: x widened to f32 once per run, as cpu.cpp does,
// so the router and the expert GEMMs read one f32 copy (and their A loads need
// no pair handling). Bindings: 0 x uint[] (bf16 pairs; with an odd element
// count the last word's high half is padding), 1 x32 float[] of 2 x words.
#include "archbench/shaders/bf16.glsl"
layout(local_size_x = 64) in;

layout(push_constant) uniform Push { uint words; } pc;

layout(std430, set = 0, binding = 0) readonly buffer X { uint x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer X32 { vec2 x32[]; };

void main() {
  const uint w = gl_WorkGroupID.y * gl_NumWorkGroups.x * 64u + gl_GlobalInvocationID.x;
  if (w < pc.words) x32[w] = bf16_unpack2(x[w]);
}
