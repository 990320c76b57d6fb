// mamba_scan.comp -- ssm/mamba at core level: the selective scan over one
// segment of tokens (prefill: every segment in order, one dispatch each;
// decode: one segment of one token from the given state):
//
//   h[c, n] <- exp(delta[t, c] A[c, n]) h[c, n] + delta[t, c] B[t, n] u[t, c]
//   y[t, c]  = sum_n C[t, n] h[c, n] + D[c] u[t, c]     (times SiLU(z[t, c]) with GATE)
//
// Channels are independent, so an invocation owns STEP adjacent channels of
// one sequence and keeps their N-wide states and A = -exp(a_log) in registers
// across the segment. Segments exist because llvmpipe leaves a loop after
// 65535 iterations within one invocation; the host sizes them (mamba_vulkan.cpp)
// and the state passes between them through state_out. Workgroups: (channel
// block, sequence).
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint N = 16;
layout(constant_id = 1) const bool GATE = false;

layout(std430, set = 0, binding = 0) readonly buffer U { ELEM u[]; };          // [b, T, DI]
layout(std430, set = 0, binding = 1) readonly buffer Delta { ELEM delta[]; };  // [b, T, DI]
layout(std430, set = 0, binding = 2) readonly buffer Bm { ELEM Bt[]; };        // [b, T, N]
layout(std430, set = 0, binding = 3) readonly buffer Cm { ELEM Ct[]; };        // [b, T, N]
layout(std430, set = 0, binding = 4) readonly buffer Z { ELEM z[]; };          // [b, T, DI] (GATE)
layout(std430, set = 0, binding = 5) readonly buffer ALog { float a_log[]; };  // [DI, N]
layout(std430, set = 0, binding = 6) readonly buffer Skip { float D[]; };      // [DI]
layout(std430, set = 0, binding = 7) readonly buffer S { float state[]; };     // [b, DI, N] (decode)
layout(std430, set = 0, binding = 8) writeonly buffer Y { ELEM y[]; };         // [b, T, DI]
layout(std430, set = 0, binding = 9) buffer S2 { float state_out[]; };        // [b, DI, N]

layout(push_constant) uniform Push {
  uint tokens;   // T: the rows of each sequence
  uint d_inner;  // DI (even under BF16)
  uint first;    // this segment's first token
  uint count;    // its tokens
  uint source;   // FROM_ZERO, FROM_STATE or FROM_STATE_OUT
} pc;

float silu(float v) { return v / (1.0 + exp(-v)); }

void main() {
  const uint c0 = gl_GlobalInvocationID.x * STEP, b = gl_WorkGroupID.y, DI = pc.d_inner;
  if (c0 >= DI) return;
  float h[STEP * N], a[STEP * N];
  for (uint s = 0; s < STEP; ++s)
    for (uint n = 0; n < N; ++n) {
      const uint at = (b * DI + c0 + s) * N + n, i = s * N + n;
      a[i] = -exp(a_log[(c0 + s) * N + n]);
      h[i] = pc.source == FROM_ZERO ? 0.0 : (pc.source == FROM_STATE ? state[at] : state_out[at]);
    }
  for (uint t = pc.first; t < pc.first + pc.count; ++t) {
    const uint row = b * pc.tokens + t, e = row * DI + c0;
    float d[STEP], x[STEP], acc[STEP];
    for (uint s = 0; s < STEP; ++s) {
      d[s] = LOAD(delta, e + s);
      x[s] = LOAD(u, e + s);
      acc[s] = 0.0;
    }
    for (uint n = 0; n < N; ++n) {
      const float bn = LOAD(Bt, row * N + n), cn = LOAD(Ct, row * N + n);
      for (uint s = 0; s < STEP; ++s) {
        const uint i = s * N + n;
        h[i] = exp(d[s] * a[i]) * h[i] + d[s] * bn * x[s];
        acc[s] += cn * h[i];
      }
    }
    for (uint s = 0; s < STEP; ++s) {
      acc[s] += D[c0 + s] * x[s];
      if (GATE) acc[s] *= silu(LOAD(z, e + s));
    }
    PUT(y, e, acc[0], acc[STEP - 1]);
  }
  for (uint s = 0; s < STEP; ++s)
    for (uint n = 0; n < N; ++n) state_out[(b * DI + c0 + s) * N + n] = h[s * N + n];
}
