// delta_decode.comp -- mixer/gated-deltanet, decode: one step of the gated
// delta rule for every (sequence, head), out of place, over the token that
// delta_prepare.comp convolved and normalized:
//
//   w  = beta (v - alpha S^T k)        S' = alpha S + k w^T        o = S'^T q
//
// (the delta rule folded as in cpu_decode.cpp). Workgroup (column block,
// head, sequence); each lane owns STEP adjacent state columns and walks
// them twice (k^T S, then the update and the readout), the rows' loads
// contiguous across the lanes; q and k sit in shared memory.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint DK = 64;
layout(constant_id = 1) const uint DV = 64;

layout(std430, set = 0, binding = 0) readonly buffer Mixed { float mixed[]; };   // [b, 1, channels]
layout(std430, set = 0, binding = 1) readonly buffer Beta { float beta[]; };     // [b, 1, H]
layout(std430, set = 0, binding = 2) readonly buffer Alpha { float alpha[]; };   // [b, 1, H]
layout(std430, set = 0, binding = 3) readonly buffer S { float state[]; };       // [b, H, DK, DV]
layout(std430, set = 0, binding = 4) writeonly buffer Out { ELEM o[]; };         // [b, 1, H, DV]
layout(std430, set = 0, binding = 5) writeonly buffer S2 { float new_state[]; }; // [b, H, DK, DV]

layout(push_constant) uniform Push {
  uint heads;
  uint qk_heads;
} pc;

shared float qs[DK], ks[DK];

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const uint h = gl_WorkGroupID.y, b = gl_WorkGroupID.z, head = b * pc.heads + h;
  const uint g = h / (pc.heads / pc.qk_heads);
  const uint qk = pc.qk_heads * DK, row = b * (2 * qk + pc.heads * DV);
  for (uint d = lane; d < DK; d += gl_WorkGroupSize.x) {
    qs[d] = mixed[row + g * DK + d];
    ks[d] = mixed[row + qk + g * DK + d];
  }
  barrier();
  const uint e = (gl_WorkGroupID.x * gl_WorkGroupSize.x + lane) * STEP;
  if (e >= DV) return;
  const float a = alpha[head], bt = beta[head];
  const uint s0 = head * DK * DV;
  float acc[2] = float[2](0.0, 0.0);
  for (uint s = 0; s < STEP; ++s) {
    const uint c = e + s;
    float kS = 0.0;
    for (uint d = 0; d < DK; ++d) kS += ks[d] * state[s0 + d * DV + c];
    const float w = bt * (mixed[row + 2 * qk + h * DV + c] - a * kS);
    float sum = 0.0;
    for (uint d = 0; d < DK; ++d) {
      const float next = a * state[s0 + d * DV + c] + ks[d] * w;
      new_state[s0 + d * DV + c] = next;
      sum += qs[d] * next;
    }
    acc[s] = sum;
  }
  PUT(o, head * DV + e, acc[0], acc[1]);
}
