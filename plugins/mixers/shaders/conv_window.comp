// conv_window.comp -- mixer/gated-deltanet: the conv window a step leaves
// (final_conv / new_conv [b, CONV - 1, channels]), the last CONV - 1 raw
// [q | k | v] inputs: from the step's tokens, or, where the step is shorter
// than the window, from conv_state (decode) or zeros (a fresh prefill).
// Copied in the problem's storage: bf16 bits pass through f32 unchanged.
// One lane per stored word (STEP elements; channel segments have even
// widths in bf16, so a word never straddles q, k and v).
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint DK = 64;
layout(constant_id = 1) const uint DV = 64;
layout(constant_id = 2) const uint KEPT = 3;       // CONV - 1 rows
layout(constant_id = 3) const bool DECODE = false;

layout(std430, set = 0, binding = 0) readonly buffer Q { ELEM q[]; };            // [b, T, QH, DK]
layout(std430, set = 0, binding = 1) readonly buffer K { ELEM k[]; };            // [b, T, QH, DK]
layout(std430, set = 0, binding = 2) readonly buffer V { ELEM v[]; };            // [b, T, H, DV]
layout(std430, set = 0, binding = 3) readonly buffer Hist { ELEM history[]; };   // decode: [b, KEPT, channels]
layout(std430, set = 0, binding = 4) writeonly buffer Window { ELEM window[]; }; // [b, KEPT, channels]

layout(push_constant) uniform Push {
  uint tokens;
  uint heads;
  uint qk_heads;
  uint batch;
} pc;

float raw(uint b, int tau, uint c) {
  const uint qk = pc.qk_heads * DK, channels = 2 * qk + pc.heads * DV;
  if (tau < 0) return DECODE ? LOAD(history, (b * KEPT + uint(int(KEPT) + tau)) * channels + c) : 0.0;
  const uint row = b * pc.tokens + uint(tau);
  if (c < qk) return LOAD(q, row * qk + c);
  if (c < 2 * qk) return LOAD(k, row * qk + c - qk);
  return LOAD(v, row * pc.heads * DV + c - 2 * qk);
}

void main() {
  const uint channels = 2 * pc.qk_heads * DK + pc.heads * DV, words = channels / STEP;
  const uint total = pc.batch * KEPT * words;
  for (uint w = gl_GlobalInvocationID.x; w < total; w += gl_NumWorkGroups.x * gl_WorkGroupSize.x) {
    const uint b = w / (KEPT * words), r = (w / words) % KEPT, c = (w % words) * STEP;
    const int tau = int(pc.tokens) - int(KEPT) + int(r);  // position relative to the step's first token
    PUT(window, (b * KEPT + r) * channels + c, raw(b, tau, c), raw(b, tau, c + 1));
  }
}
