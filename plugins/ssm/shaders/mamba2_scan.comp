// mamba2_scan.comp -- ssm/mamba2 at core level: the recurrence over one
// segment of tokens (prefill: every segment in order, one dispatch each;
// decode: one segment of one token from the given state):
//
//   h[p, n] <- exp(dt[t] A) h[p, n] + dt[t] x[t, p] B[t, g, n]   (A = -exp(a_log[head]))
//   y[t, p]  = sum_n C[t, g, n] h[p, n] + D[head] x[t, p]
//
// The rows p of a head's state are independent (the decay is one scalar per
// head and token), so an invocation owns STEP adjacent rows of one (sequence,
// head) and keeps them (STEP x N floats) in registers across the segment. This
// is the recurrent form, not the CPU's chunked SSD: on the device the
// (sequence, head, row) grid already gives every lane its own work. Segments
// exist because llvmpipe leaves a loop after 65535 iterations within one
// invocation; the host sizes them (mamba2_vulkan.cpp) and the state passes
// between them through state_out. Workgroups: (row block, head, sequence).
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint N = 64;

layout(std430, set = 0, binding = 0) readonly buffer X { ELEM x[]; };          // [b, T, H, P]
layout(std430, set = 0, binding = 1) readonly buffer Dt { ELEM dt[]; };        // [b, T, H]
layout(std430, set = 0, binding = 2) readonly buffer ALog { float a_log[]; };  // [H]
layout(std430, set = 0, binding = 3) readonly buffer Bm { ELEM Bt[]; };        // [b, T, G, N]
layout(std430, set = 0, binding = 4) readonly buffer Cm { ELEM Ct[]; };        // [b, T, G, N]
layout(std430, set = 0, binding = 5) readonly buffer Skip { float D[]; };      // [H]
layout(std430, set = 0, binding = 6) readonly buffer S { float state[]; };     // [b, H, P, N] (decode)
layout(std430, set = 0, binding = 7) writeonly buffer Y { ELEM y[]; };         // [b, T, H, P]
layout(std430, set = 0, binding = 8) buffer S2 { float state_out[]; };        // [b, H, P, N]

layout(push_constant) uniform Push {
  uint tokens;    // T: the rows of each sequence
  uint heads;     // H
  uint groups;    // G (divides H)
  uint head_dim;  // P (even under BF16)
  uint first;     // this segment's first token
  uint count;     // its tokens
  uint source;    // FROM_ZERO, FROM_STATE or FROM_STATE_OUT
} pc;

void main() {
  const uint p0 = gl_GlobalInvocationID.x * STEP, head = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
  const uint H = pc.heads, P = pc.head_dim, G = pc.groups, g = head / (H / G);
  if (p0 >= P) return;
  const float a = -exp(a_log[head]), skip = D[head];
  const uint state0 = ((b * H + head) * P + p0) * N;  // rows p0.. of this head's state
  float h[STEP * N];
  for (uint i = 0; i < STEP * N; ++i)
    h[i] = pc.source == FROM_ZERO ? 0.0 : (pc.source == FROM_STATE ? state[state0 + i] : state_out[state0 + i]);
  for (uint t = pc.first; t < pc.first + pc.count; ++t) {
    const uint row = b * pc.tokens + t, e = (row * H + head) * P + p0, bc = (row * G + g) * N;
    const float step = LOAD(dt, row * H + head), decay = exp(step * a);
    float drive[STEP], acc[STEP];
    for (uint s = 0; s < STEP; ++s) {
      drive[s] = step * LOAD(x, e + s);
      acc[s] = 0.0;
    }
    for (uint n = 0; n < N; ++n) {
      const float bn = LOAD(Bt, bc + n), cn = LOAD(Ct, bc + n);
      for (uint s = 0; s < STEP; ++s) {
        const uint i = s * N + n;
        h[i] = decay * h[i] + drive[s] * bn;
        acc[s] += cn * h[i];
      }
    }
    for (uint s = 0; s < STEP; ++s) acc[s] += skip * LOAD(x, e + s);
    PUT(y, e, acc[0], acc[STEP - 1]);
  }
  for (uint i = 0; i < STEP * N; ++i) state_out[state0 + i] = h[i];
}
