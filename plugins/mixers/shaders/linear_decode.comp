// linear_decode.comp -- mixer/linear and mixer/gla, decode: one recurrent step
// of every (sequence, head), out of place (reads `state`, writes `new_state`):
//
//   S' = a * S + phi(k) v^T        o = S'^T q~   [/ (q~ . z'),  z' = a * z + phi(k)]
//
// with q~ = phi(q) * scale and a the decay of each row of S (GLA's gates, the
// head's fixed decay, or 1). Workgroup (column block, head, sequence); each
// lane owns STEP adjacent state columns and streams them row by row, so a
// row's loads and stores are contiguous across the lanes. The token's q, k
// and decays are prepared once per workgroup in shared memory.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint DK = 64;
layout(constant_id = 1) const uint DV = 64;
layout(constant_id = 2) const bool ELU1 = false;
layout(constant_id = 3) const bool PER_CHANNEL = false;
layout(constant_id = 4) const bool NORMALIZE = false;

layout(std430, set = 0, binding = 0) readonly buffer Q { ELEM q[]; };               // [b, 1, H, DK]
layout(std430, set = 0, binding = 1) readonly buffer K { ELEM k[]; };               // [b, 1, H, DK]
layout(std430, set = 0, binding = 2) readonly buffer V { ELEM v[]; };               // [b, 1, H, DV]
layout(std430, set = 0, binding = 3) readonly buffer Gate { float gate[]; };        // GLA: [b, 1, H, DK]
layout(std430, set = 0, binding = 4) readonly buffer Decay { float head_decay[]; }; // [H]
layout(std430, set = 0, binding = 5) readonly buffer S { float state[]; };          // [b, H, DK, DV]
layout(std430, set = 0, binding = 6) readonly buffer Z { float state_norm[]; };     // [b, H, DK] (normalize)
layout(std430, set = 0, binding = 7) writeonly buffer Out { ELEM o[]; };            // [b, 1, H, DV]
layout(std430, set = 0, binding = 8) writeonly buffer S2 { float new_state[]; };    // [b, H, DK, DV]
layout(std430, set = 0, binding = 9) writeonly buffer Z2 { float new_norm[]; };     // [b, H, DK] (normalize)

layout(push_constant) uniform Push {
  uint heads;
  float scale;
} pc;

shared float qs[DK], ks[DK], decay[DK], zs[DK];
shared float denominator;

float feature(float x) { return ELU1 ? (x > 0.0 ? x + 1.0 : exp(x)) : x; }

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const uint h = gl_WorkGroupID.y, b = gl_WorkGroupID.z, head = b * pc.heads + h;
  for (uint d = lane; d < DK; d += gl_WorkGroupSize.x) {
    const uint at = head * DK + d;  // one token: [b, 1, H, DK] rows are head-major
    const float kd = feature(LOAD(k, at)), a = PER_CHANNEL ? gate[at] : head_decay[h];
    qs[d] = feature(LOAD(q, at)) * pc.scale;
    ks[d] = kd;
    decay[d] = a;
    if (NORMALIZE) {
      zs[d] = a * state_norm[at] + kd;
      if (gl_WorkGroupID.x == 0) new_norm[at] = zs[d];
    }
  }
  barrier();
  if (NORMALIZE) {
    if (lane == 0) {
      float den = 0.0;
      for (uint d = 0; d < DK; ++d) den += qs[d] * zs[d];
      denominator = den;
    }
    barrier();
  }
  const uint e = (gl_WorkGroupID.x * gl_WorkGroupSize.x + lane) * STEP;
  if (e >= DV) return;
  const uint s0 = head * DK * DV;
  float acc[2] = float[2](0.0, 0.0);
  for (uint s = 0; s < STEP; ++s) {
    const float ve = LOAD(v, head * DV + e + s);
    float sum = 0.0;
    for (uint d = 0; d < DK; ++d) {
      const float x = decay[d] * state[s0 + d * DV + e + s] + ks[d] * ve;
      new_state[s0 + d * DV + e + s] = x;
      sum += qs[d] * x;
    }
    acc[s] = NORMALIZE ? sum / denominator : sum;
  }
  PUT(o, head * DV + e, acc[0], acc[1]);
}
