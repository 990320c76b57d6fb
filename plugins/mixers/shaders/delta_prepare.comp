// delta_prepare.comp -- mixer/gated-deltanet, pass 1 (prefill and decode):
// each token's [q | k | v] channels through the short causal depthwise
// convolution and SiLU (none with conv = 0), then q and k L2-normalized per
// q/k head and q scaled by 1/sqrt(dk), into an f32 scratch `mixed`
// [b, tokens, channels] the recurrence reads (what cpu_prepare.cpp computes
// per head, and reference.cpp in double). Positions before the step come
// from conv_state in decode and are zero in a fresh prefill.
// Workgroup (token, sequence), tokens striding past the 65535 grid limit;
// lanes take channels, then one lane per q/k head does its norm.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint DK = 64;
layout(constant_id = 1) const uint DV = 64;
layout(constant_id = 2) const uint CONV = 4;       // taps (0: no convolution, no SiLU)
layout(constant_id = 3) const bool DECODE = false; // history from conv_state

layout(std430, set = 0, binding = 0) readonly buffer Q { ELEM q[]; };           // [b, T, QH, DK]
layout(std430, set = 0, binding = 1) readonly buffer K { ELEM k[]; };           // [b, T, QH, DK]
layout(std430, set = 0, binding = 2) readonly buffer V { ELEM v[]; };           // [b, T, H, DV]
layout(std430, set = 0, binding = 3) readonly buffer W { ELEM weight[]; };      // [channels, CONV]
layout(std430, set = 0, binding = 4) readonly buffer Hist { ELEM history[]; };  // decode: [b, CONV - 1, channels]
layout(std430, set = 0, binding = 5) coherent buffer Mixed { float mixed[]; };  // [b, T, channels]

layout(push_constant) uniform Push {
  uint tokens;
  uint heads;
  uint qk_heads;
  float scale;
} pc;

// Raw input of channel c at position tau relative to the step's first token
// (negative: before the step) of sequence b.
float raw(uint b, int tau, uint c) {
  const uint qk = pc.qk_heads * DK, channels = 2 * qk + pc.heads * DV;
  if (tau < 0) {
    if (!DECODE) return 0.0;
    const int kept = int(CONV) - 1;  // conv_state rows: the last kept raw inputs, oldest first
    return LOAD(history, (b * uint(kept) + uint(kept + tau)) * channels + c);
  }
  const uint row = b * pc.tokens + uint(tau);
  if (c < qk) return LOAD(q, row * qk + c);
  if (c < 2 * qk) return LOAD(k, row * qk + c - qk);
  return LOAD(v, row * pc.heads * DV + c - 2 * qk);
}

void main() {
  const uint lane = gl_LocalInvocationID.x, lanes = gl_WorkGroupSize.x, b = gl_WorkGroupID.y;
  const uint qk = pc.qk_heads * DK, channels = 2 * qk + pc.heads * DV;
  for (uint t = gl_WorkGroupID.x; t < pc.tokens; t += gl_NumWorkGroups.x) {
    const uint row = (b * pc.tokens + t) * channels;
    for (uint c = lane; c < channels; c += lanes) {
      float x;
      if (CONV == 0) {
        x = raw(b, int(t), c);
      } else {
        float sum = 0.0;
        for (uint w = 0; w < CONV; ++w)
          sum += LOAD(weight, c * CONV + w) * raw(b, int(t + w) - int(CONV - 1), c);
        x = sum / (1.0 + exp(-sum));  // SiLU
      }
      mixed[row + c] = x;
    }
    memoryBarrierBuffer();
    barrier();
    // q heads then k heads: segment s holds channels [s DK, (s + 1) DK).
    for (uint s = lane; s < 2 * pc.qk_heads; s += lanes) {
      float sum = 0.0;
      for (uint d = 0; d < DK; ++d) sum += mixed[row + s * DK + d] * mixed[row + s * DK + d];
      const float factor = inversesqrt(sum + 1e-6) * (s < pc.qk_heads ? pc.scale : 1.0);
      for (uint d = 0; d < DK; ++d) mixed[row + s * DK + d] *= factor;
    }
    memoryBarrierBuffer();
    barrier();
  }
}
