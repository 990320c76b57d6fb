// dsa_prepare.comp -- attention/dsa's indexer rows, beside mla_prepare.comp:
// per row n = b*T + token its index queries rotated (RoPE on the first
// index_rope dims of each head, NeoX half split), its head weights scaled,
// and its index key (LayerNorm with eps 1e-6 when NORM, then RoPE) into an
// f32 rows buffer and, for the last `slots` positions, the index cache ring.
// Inputs and the cache are f32, or bf16 built with BF16 (storage.glsl: in
// pairs index_dim is even and each lane writes whole words); the outputs the indexer
// reads are f32.
//
// Reads iq_in[n*ih*id + j*id + e], iw_in[n*w_stride + w_offset + j] and
// ik_in[n*k_stride + k_offset + e]. Core level: the index_q, index_w and
// index_k tensors (offsets 0, strides ih and id); layer level: x W_iq, and
// the fused x [W_ik | W_iw] rows bound twice (k_offset 0, w_offset id, both
// strides id + ih).
// One workgroup per (token, batch); O(tokens * ih * id), small next to the
// indexer's scores, written for clarity.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x_id = 0) in;  // a power of two
layout(constant_id = 1) const bool NORM = false;

layout(std430, set = 0, binding = 0) readonly buffer Qin { ELEM iq_in[]; };
layout(std430, set = 0, binding = 1) readonly buffer Win { ELEM iw_in[]; };
layout(std430, set = 0, binding = 2) readonly buffer Kin { ELEM ik_in[]; };
layout(std430, set = 0, binding = 3) readonly buffer Gamma { float gamma[]; };  // [id]
layout(std430, set = 0, binding = 4) readonly buffer Beta { float beta[]; };    // [id]
layout(std430, set = 0, binding = 5) readonly buffer Rope { float rope[]; };    // [t][2][ir/2]: cos, sin
layout(std430, set = 0, binding = 6) writeonly buffer Qout { float iq_out[]; };  // [rows, ih, id]
layout(std430, set = 0, binding = 7) writeonly buffer Wout { float iw_out[]; };  // [rows, ih]
layout(std430, set = 0, binding = 8) writeonly buffer Kout { float ik_out[]; };  // [rows, id]
layout(std430, set = 0, binding = 9) writeonly buffer Cache { ELEM cache[]; };   // [b, slots, id]

layout(push_constant) uniform Push {
  int tokens, first_position, slots;
  int ih, id, ir;
  int w_offset, w_stride, k_offset, k_stride;
  float w_scale;  // 1/sqrt(ih*id) at layer level, 1 at core level
} pc;

const int kMaxDim = 1024;  // the schema's largest index_dim
shared float key[kMaxDim];
shared float red[gl_WorkGroupSize.x];

float workgroup_sum(float x) {
  const int lid = int(gl_LocalInvocationID.x);
  red[lid] = x;
  barrier();
  for (int w = int(gl_WorkGroupSize.x) / 2; w > 0; w /= 2) {
    if (lid < w) red[lid] += red[lid + w];
    barrier();
  }
  const float total = red[0];
  barrier();  // red is reused by the next sum
  return total;
}

void main() {
  const int WG = int(gl_WorkGroupSize.x), lid = int(gl_LocalInvocationID.x);
  const int token = int(gl_WorkGroupID.x), b = int(gl_WorkGroupID.y);
  const int n = b * pc.tokens + token, id = pc.id, hr = pc.ir / 2, rbase = token * pc.ir;
  const int position = pc.first_position + token, context = pc.first_position + pc.tokens;

  // The key, normalized, in shared memory (RoPE pairs cross lanes).
  for (int e = lid; e < id; e += WG) key[e] = LOAD(ik_in, n * pc.k_stride + pc.k_offset + e);
  barrier();
  if (NORM) {
    float sum = 0.0;
    for (int e = lid; e < id; e += WG) sum += key[e];
    const float mean = workgroup_sum(sum) / float(id);
    float sq = 0.0;
    for (int e = lid; e < id; e += WG) sq += (key[e] - mean) * (key[e] - mean);
    const float inverse = inversesqrt(workgroup_sum(sq) / float(id) + 1e-6);
    for (int e = lid; e < id; e += WG) key[e] = (key[e] - mean) * inverse * gamma[e] + beta[e];
    barrier();
  }
  // Rotated key: pairs (e, e + hr) for e < hr; dims past index_rope as they are.
  for (int e = lid * STEP; e < id; e += WG * STEP) {
    float k[2];
    for (int s = 0; s < STEP; ++s) {
      const int d = e + s;
      if (d < hr) k[s] = key[d] * rope[rbase + d] - key[d + hr] * rope[rbase + hr + d];
      else if (d < pc.ir) k[s] = key[d] * rope[rbase + d - hr] + key[d - hr] * rope[rbase + d];
      else k[s] = key[d];
      ik_out[n * id + d] = k[s];
    }
    if (position >= context - pc.slots) PUT(cache, (b * pc.slots + position % pc.slots) * id + e, k[0], k[1]);
  }
  // The queries, every head, rotated the same way.
  for (int i = lid; i < pc.ih * id; i += WG) {
    const int q = n * pc.ih * id + i, d = i % id;
    float x = LOAD(iq_in, q);
    if (d < hr) x = x * rope[rbase + d] - LOAD(iq_in, q + hr) * rope[rbase + hr + d];
    else if (d < pc.ir) x = x * rope[rbase + d - hr] + LOAD(iq_in, q - hr) * rope[rbase + d];
    iq_out[q] = x;
  }
  for (int j = lid; j < pc.ih; j += WG) iw_out[n * pc.ih + j] = LOAD(iw_in, n * pc.w_stride + pc.w_offset + j) * pc.w_scale;
}
