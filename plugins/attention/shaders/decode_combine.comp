// decode_combine.comp -- split-KV decode, pass 2 of 2. f32.
//
// Merges the `splits` partials of decode.comp for each (batch, query head):
//   M = max(max_s, sink), total = sum_s exp(max_s - M) * sum_s + exp(sink - M),
//   out[b, 0, h, d] = sum_s exp(max_s - M) * part_o[s][d] / total
// (the sink joins exactly once, here).  One workgroup per (head, batch); the
// statistics are read with workgroup-uniform addresses, lanes stride over d.
#version 450

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int VHD = 128;
layout(constant_id = 2) const bool SINKS = false;

layout(std430, set = 0, binding = 0) readonly buffer PartML { float part_ml[]; }; // [b, h, splits, 2]
layout(std430, set = 0, binding = 1) readonly buffer PartO { float part_o[]; };   // [b, h, splits, VHD]
layout(std430, set = 0, binding = 2) readonly buffer Sinks { float sinks[]; };    // [heads]
layout(std430, set = 0, binding = 3) writeonly buffer Obuf { float ob[]; };       // [b, 1, heads, VHD]

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

  for (int d = lid; d < VHD; d += WG) {
    float o = 0.0;
    for (int s = 0; s < pc.splits; ++s)
      o += exp(part_ml[(base + s) * 2] - M) * part_o[(base + s) * VHD + d];
    ob[(b * pc.heads + h) * VHD + d] = o * inv;
  }
}
