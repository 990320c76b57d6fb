// mla_rmsnorm.comp -- attention/mla's query-latent RMSNorm, in place between
// the W_dq and W_uq projections:  x[n, :] = x[n, :] / rms(x[n, :]) * gamma.
// x is f32, or bf16 built with BF16 (storage.glsl: in pairs the width is even
// and each lane owns whole words); gamma is f32.  One workgroup per row; the sum of squares is a
// shared-memory reduction, after which every lane rescales the elements it
// read (so the in-place update has no cross-lane hazard).
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) buffer X { ELEM x[]; };                  // [rows, width]
layout(std430, set = 0, binding = 1) readonly buffer Gamma { float gamma[]; };  // [width]

layout(push_constant) uniform Push { int width; } pc;

shared float red[gl_WorkGroupSize.x];

void main() {
  const int WG = int(gl_WorkGroupSize.x);
  const int lid = int(gl_LocalInvocationID.x);
  const int row = int(gl_WorkGroupID.x) + int(gl_WorkGroupID.y) * int(gl_NumWorkGroups.x);
  const int base = row * pc.width;
  float sq = 0.0;
  for (int e = lid * STEP; e < pc.width; e += WG * STEP) {
    const float a = LOAD(x, base + e);
    sq += a * a;
    if (STEP == 2) { const float b = LOAD(x, base + e + 1); sq += b * b; }
  }
  red[lid] = sq;
  barrier();
  for (int w = WG / 2; w > 0; w /= 2) {  // WG is a power of two
    if (lid < w) red[lid] += red[lid + w];
    barrier();
  }
  const float inv = inversesqrt(red[0] / float(pc.width) + 1e-6);
  for (int e = lid * STEP; e < pc.width; e += WG * STEP) {
    const float a = LOAD(x, base + e) * inv * gamma[e];
    float b = 0.0;
    if (STEP == 2) b = LOAD(x, base + e + 1) * inv * gamma[e + 1];
    PUT(x, base + e, a, b);
  }
}
