// delta_gates.comp -- mixer/gated-deltanet's layer level: each (row, head)'s
// beta and alpha from the logits the projection wrote ([rows, 2 heads]:
// x W_beta, then x W_alpha), in f32 for the core:
//
//   beta  = sigmoid(x W_beta)
//   alpha = exp(-exp(a_log[h]) softplus(x W_alpha + dt_bias[h]))
//
// One invocation per (row, head); a grid past the 65535 limit strides.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Logits { ELEM logits[]; };  // [rows, 2 H]
layout(std430, set = 0, binding = 1) readonly buffer ALog { float a_log[]; };    // [H]
layout(std430, set = 0, binding = 2) readonly buffer DtBias { float dt_bias[]; };  // [H]
layout(std430, set = 0, binding = 3) writeonly buffer Beta { float beta[]; };    // [rows, H]
layout(std430, set = 0, binding = 4) writeonly buffer Alpha { float alpha[]; };  // [rows, H]

layout(push_constant) uniform Push {
  uint rows;
  uint heads;
} pc;

// log(1 + e^v) without overflow, and without losing a small result to the
// rounding of 1 + e (dt_bias puts v near -6: softplus ~ 2e-3).
float softplus(float v) {
  const float e = exp(-abs(v)), u = 1.0 + e;
  return max(v, 0.0) + (u == 1.0 ? e : log(u) * (e / (u - 1.0)));
}

void main() {
  const uint H = pc.heads, total = pc.rows * H, stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < total; i += stride) {
    const uint r = i / H, h = i % H;
    beta[i] = 1.0 / (1.0 + exp(-LOAD(logits, r * 2 * H + h)));
    alpha[i] = exp(-exp(a_log[h]) * softplus(LOAD(logits, r * 2 * H + H + h) + dt_bias[h]));
  }
}
