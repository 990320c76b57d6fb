// gate.comp -- gated attention (Qwen3-Next), in place on the core's output:
//   out[r, c] *= sigmoid(g[g_offset + r * g_stride + c])     c < width = heads * VHD
// g and out are f32, or bf16 built with BF16 (storage.glsl): in pairs each
// invocation owns one storage word (two channels), so no two write one word.
// At layer level g is the gate's columns of the fused Q|K|V|G projection
// (offset and stride say where); at core level the gate-logits input.
// x: channel words in workgroups of 64; y: rows, strided when there are more
// rows than workgroups in y.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Gbuf { ELEM gb[]; };  // gate logits
layout(std430, set = 0, binding = 1) buffer Obuf { ELEM ob[]; };           // [rows, width], gated in place

layout(push_constant) uniform Push {
  int rows;
  int width;
  int g_offset;
  int g_stride;
} pc;

float sigmoid(float x) { return 1.0 / (1.0 + exp(-x)); }

void main() {
  const int c = int(gl_GlobalInvocationID.x) * STEP;
  if (c >= pc.width) return;
  for (int r = int(gl_WorkGroupID.y); r < pc.rows; r += int(gl_NumWorkGroups.y)) {
    const int e = r * pc.width + c, g = pc.g_offset + r * pc.g_stride + c;
#ifdef BF16_PAIRS
    PUT(ob, e, LOAD(ob, e) * sigmoid(LOAD(gb, g)), LOAD(ob, e + 1) * sigmoid(LOAD(gb, g + 1)));
#else
    PUT(ob, e, LOAD(ob, e) * sigmoid(LOAD(gb, g)), 0.0);
#endif
  }
}
