// linear_prepare.comp -- mixer/linear and mixer/gla, prefill, pass 1 of 2:
// every token's query and key in f32 with the decays of its chunk folded in,
// so linear_chunk.comp sees plain products (cpu_chunked.cpp's factored form):
//
//   b_i      = product of the decays from the chunk's start to token i
//              (per channel for GLA's gates, the head's fixed decay otherwise;
//              1 without decay)
//   qt_i     = phi(q_i) * scale * b_i,   kt_i = phi(k_i) / b_i
//   end[n]   = b of chunk n's last token (the decay the whole chunk applies)
//
// Workgroup (chunk, head, sequence), chunks striding past the 65535 grid
// limit; lanes are channels d, so each lane walks its chunk's tokens in order
// and the loads of a token row are contiguous across the lanes.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint DK = 64;
layout(constant_id = 1) const uint CHUNK = 64;
layout(constant_id = 2) const bool ELU1 = false;       // feature map elu(x) + 1 (else identity)
layout(constant_id = 3) const bool PER_CHANNEL = false; // GLA: decays from the gate tensor

layout(std430, set = 0, binding = 0) readonly buffer Q { ELEM q[]; };              // [b, T, H, DK]
layout(std430, set = 0, binding = 1) readonly buffer K { ELEM k[]; };              // [b, T, H, DK]
layout(std430, set = 0, binding = 2) readonly buffer Gate { float gate[]; };       // GLA: [b, T, H, DK]
layout(std430, set = 0, binding = 3) readonly buffer Decay { float head_decay[]; };// [H]: fixed decay (1: none)
layout(std430, set = 0, binding = 4) writeonly buffer Qt { float qt[]; };          // [b, H, T, DK]
layout(std430, set = 0, binding = 5) writeonly buffer Kt { float kt[]; };          // [b, H, T, DK]
layout(std430, set = 0, binding = 6) writeonly buffer End { float chunk_end[]; };  // [b, H, chunks, DK]

layout(push_constant) uniform Push {
  uint tokens;
  uint heads;
  uint chunks;
  float scale;
} pc;

float feature(float x) { return ELU1 ? (x > 0.0 ? x + 1.0 : exp(x)) : x; }

void main() {
  const uint h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
  for (uint n = gl_WorkGroupID.x; n < pc.chunks; n += gl_NumWorkGroups.x) {
    const uint t0 = n * CHUNK, count = min(CHUNK, pc.tokens - t0);
    for (uint d = gl_LocalInvocationID.x; d < DK; d += gl_WorkGroupSize.x) {
      float cum = 1.0;
      for (uint i = 0; i < count; ++i) {
        const uint t = t0 + i;
        const uint in_index = ((b * pc.tokens + t) * pc.heads + h) * DK + d;
        cum *= PER_CHANNEL ? gate[in_index] : head_decay[h];
        const uint out_index = ((b * pc.heads + h) * pc.tokens + t) * DK + d;
        qt[out_index] = feature(LOAD(q, in_index)) * pc.scale * cum;
        kt[out_index] = feature(LOAD(k, in_index)) / cum;
      }
      chunk_end[((b * pc.heads + h) * pc.chunks + n) * DK + d] = cum;
    }
  }
}
