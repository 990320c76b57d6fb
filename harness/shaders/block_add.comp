#version 450
// A block's residual addition (harness/block_vulkan.cpp): out = alpha * a + beta * b
// over the hidden stream, one 32-bit word per lane (an f32, or a bf16 pair with
// -DBF16, so each word has one writer). out may be a.
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 256) in;
layout(push_constant) uniform Push {
  uint words;
  float alpha;
  float beta;
} p;

#ifdef BF16
#include "archbench/shaders/bf16.glsl"
#define WORD uint
#else
#define WORD float
#endif
layout(std430, set = 0, binding = 0) readonly buffer A { WORD a[]; };
layout(std430, set = 0, binding = 1) readonly buffer B { WORD b[]; };
layout(std430, set = 0, binding = 2) buffer Out { WORD o[]; };

void main() {
  const uint i = gl_GlobalInvocationID.y * (gl_NumWorkGroups.x * 256u) + gl_GlobalInvocationID.x;
  if (i >= p.words) return;
#ifdef BF16
  const vec2 sum = p.alpha * bf16_unpack2(a[i]) + p.beta * bf16_unpack2(b[i]);
  o[i] = bf16_pair(sum.x, sum.y);
#else
  o[i] = p.alpha * a[i] + p.beta * b[i];
#endif
}
