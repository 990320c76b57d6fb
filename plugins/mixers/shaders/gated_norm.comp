// gated_norm.comp -- mixer/gated-deltanet's layer level: Qwen3-Next's gated
// RMSNorm of each head's core output before the output projection,
//
//   gated[r, h, :] = o[r, h, :] / rms(o[r, h, :]) * norm_weight * SiLU(z[r, h, :])
//
// with rms over the head's DV values and eps 1e-6. One invocation per
// (row, head) walks its DV values twice (the sum, then the scaled stores,
// STEP at a time so bf16 stores are whole words); a grid past the 65535
// limit strides.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint DV = 64;

layout(std430, set = 0, binding = 0) readonly buffer O { ELEM o[]; };             // [rows, H, DV]
layout(std430, set = 0, binding = 1) readonly buffer Z { ELEM z[]; };             // [rows, H, DV]
layout(std430, set = 0, binding = 2) readonly buffer W { float norm_weight[]; };  // [DV]
layout(std430, set = 0, binding = 3) writeonly buffer G { ELEM gated[]; };        // [rows, H, DV]

layout(push_constant) uniform Push {
  uint rows;
  uint heads;
} pc;

float gate(float v) { return v / (1.0 + exp(-v)); }  // SiLU

void main() {
  const uint total = pc.rows * pc.heads, stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < total; i += stride) {
    const uint first = i * DV;
    float squares = 0.0;
    for (uint e = 0; e < DV; ++e) {
      const float v = LOAD(o, first + e);
      squares += v * v;
    }
    const float inverse_rms = inversesqrt(squares / float(DV) + 1e-6);
    for (uint e = 0; e < DV; e += STEP) {
      const uint at = first + e, last = at + STEP - 1;
      PUT(gated, at, LOAD(o, at) * inverse_rms * norm_weight[e] * gate(LOAD(z, at)),
          LOAD(o, last) * inverse_rms * norm_weight[e + STEP - 1] * gate(LOAD(z, last)));
    }
  }
}
