// decode_combine.comp -- split-KV decode, pass 2 of 2.  out is f32, or bf16
// built with BF16 (storage.glsl); partials are f32.
//
// Merges the `splits` partials of decode.comp for each (batch, query head):
//   M = max(max_s, sink), total = sum_s exp(max_s - M) * sum_s + exp(sink - M),
//   out[b, 0, h, d] = sum_s exp(max_s - M) * part_o[s][d] / total
// (the sink joins exactly once, here).  One workgroup per (head, batch); the
// statistics are read with workgroup-uniform addresses, lanes stride over d
// (over pairs of d in paired bf16, one storage word each).
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int VHD = 128;
layout(constant_id = 2) const bool SINKS = false;

layout(std430, set = 0, binding = 0) readonly buffer PartML { float part_ml[]; }; // [b, h, splits, 2]
layout(std430, set = 0, binding = 1) readonly buffer PartO { float part_o[]; };   // [b, h, splits, VHD]
layout(std430, set = 0, binding = 2) readonly buffer Sinks { float sinks[]; };    // [heads]
layout(std430, set = 0, binding = 3) writeonly buffer Obuf { ELEM ob[]; };         // [b, 1, heads, VHD]

layout(push_constant) uniform Push {
  int heads;
  int splits;
} pc;

void main() {
  const int WG = int(gl_WorkGroupSize.x);
  const int lid = int(gl_LocalInvocationID.x);
  const int h = int(gl_WorkGroupID.x);
  const int b = int(gl_WorkGroupID.y);
  const int base = (b * pc.heads + h) * pc.splits;

  float M = SINKS ? sinks[h] : -1.0e30;
  for (int s = 0; s < pc.splits; ++s) M = max(M, part_ml[(base + s) * 2]);
  float total = SINKS ? exp(sinks[h] - M) : 0.0;
  for (int s = 0; s < pc.splits; ++s)
    total += exp(part_ml[(base + s) * 2] - M) * part_ml[(base + s) * 2 + 1];
  const float inv = 1.0 / total;

  for (int d = lid * STEP; d < VHD; d += WG * STEP) {
    float o0 = 0.0, o1 = 0.0;
    for (int s = 0; s < pc.splits; ++s) {
      const float w = exp(part_ml[(base + s) * 2] - M);
      o0 += w * part_o[(base + s) * VHD + d];
      if (STEP == 2) o1 += w * part_o[(base + s) * VHD + d + 1];
    }
    PUT(ob, (b * pc.heads + h) * VHD + d, o0 * inv, o1 * inv);
  }
}
