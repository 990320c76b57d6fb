// mla_prepare.comp -- stage 2 of attention/mla: the latent RMSNorm, RoPE on
// the shared key and on the queries' rope part, the score scale, this step's
// cache rows [c | k_r] into the ring (and into a rows buffer that the prefill
// reads: the ring may be shorter than the prompt).  Inputs, rows and cache are
// f32, or bf16 built with BF16 (storage.glsl: in pairs kv_lora_rank is even
// and each lane writes whole words); prepared queries are f32.
//
// Row n = b*t + token reads its latent at lat_in[n*lat_stride + lat_offset + e]
// (e < kvr), its unrotated RoPE key at kr_in[n*kr_stride + kr_offset + e]
// (e < rope), its queries at q_in[n*heads*(nope+rope) + head*(nope+rope) + e].
// Core level: the latent, k_rope and q tensors (offsets 0, strides kvr, rope);
// layer level: the x W_dkv rows [rows, kvr + rope] bound twice (offsets 0
// and kvr, both strides kvr + rope).
//   c   = NORM ? RMSNorm(latent) * kv_norm : latent
//   k_r = RoPE(k_rope) at position first_position + token (NeoX half split)
//   rows[n] = cache[b, position % slots] = [c | k_r]   (the cache only for the
//       last `slots` positions of the context: one writer per slot)
//   ABSORB 0: q_out[b, head, token, :] = [q_nope | RoPE(q_rope)] * scale
//   ABSORB 1: q_out[b, token, head, kvr:] = RoPE(q_rope) * scale (mla_heads.comp
//             writes the folded q_nope W_uk^T into [0, kvr))
// One workgroup per (token, batch); the norm is a shared-memory reduction.
// O(tokens * width): small next to the attention, written for clarity.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const bool NORM = false;
layout(constant_id = 2) const bool ABSORB = false;

layout(std430, set = 0, binding = 0) readonly buffer Qin { ELEM q_in[]; };
layout(std430, set = 0, binding = 1) readonly buffer Lin { ELEM lat_in[]; };
layout(std430, set = 0, binding = 2) readonly buffer Kin { ELEM kr_in[]; };
layout(std430, set = 0, binding = 3) readonly buffer Gamma { float kv_norm[]; };  // [kvr]
layout(std430, set = 0, binding = 4) readonly buffer Rope { float rope[]; };      // [t][2][rope/2]: cos, sin
layout(std430, set = 0, binding = 5) writeonly buffer Qout { float q_out[]; };
layout(std430, set = 0, binding = 6) writeonly buffer Rows { ELEM rows[]; };      // [b*t, kvr + rope]
layout(std430, set = 0, binding = 7) writeonly buffer Cache { ELEM cache[]; };    // [b, slots, kvr + rope]

layout(push_constant) uniform Push {
  int tokens, heads, first_position, slots, write_rows;
  int kvr, rope, nope;
  int lat_offset, lat_stride, kr_offset, kr_stride;
  float scale;  // 1/sqrt(nope + rope)
} pc;

shared float red[gl_WorkGroupSize.x];

float latent(int n, int e) { return LOAD(lat_in, n * pc.lat_stride + pc.lat_offset + e); }

// Element e of x rotated by RoPE (NeoX: pairs (k, k + hr), hr = rope/2); `at` reads x.
#define ROTATED(at, e, rbase, hr) \
  ((e) < (hr) ? at(e) * rope[(rbase) + (e)] - at((e) + (hr)) * rope[(rbase) + (hr) + (e)] \
                : at(e) * rope[(rbase) + (e) - (hr)] + at((e) - (hr)) * rope[(rbase) + (e)])

int g_n, g_q;  // the row being read by the accessors below
float key_at(int e) { return LOAD(kr_in, g_n * pc.kr_stride + pc.kr_offset + e); }
float query_at(int e) { return LOAD(q_in, g_q + pc.nope + e); }

void main() {
  const int WG = int(gl_WorkGroupSize.x);
  const int lid = int(gl_LocalInvocationID.x);
  const int token = int(gl_WorkGroupID.x), b = int(gl_WorkGroupID.y), T = pc.tokens;
  const int n = b * T + token;
  g_n = n;
  const int position = pc.first_position + token, context = pc.first_position + T;
  const int width = pc.kvr + pc.rope, hr = pc.rope / 2, rbase = token * pc.rope;
  const bool cached = position >= context - pc.slots;
  const int crow = (b * pc.slots + position % pc.slots) * width, rrow = n * width;

  float inv = 1.0;
  if (NORM) {
    float sq = 0.0;
    for (int e = lid; e < pc.kvr; e += WG) { const float x = latent(n, e); sq += x * x; }
    red[lid] = sq;
    barrier();
    for (int w = WG / 2; w > 0; w /= 2) {  // WG is a power of two
      if (lid < w) red[lid] += red[lid + w];
      barrier();
    }
    inv = inversesqrt(red[0] / float(pc.kvr) + 1e-6);
  }
  // The latent, STEP elements (one storage word) per lane.
  for (int e = lid * STEP; e < pc.kvr; e += WG * STEP) {
    const float c0 = NORM ? latent(n, e) * inv * kv_norm[e] : latent(n, e);
    float c1 = 0.0;
    if (STEP == 2) c1 = NORM ? latent(n, e + 1) * inv * kv_norm[e + 1] : latent(n, e + 1);
    if (pc.write_rows != 0) PUT(rows, rrow + e, c0, c1);
    if (cached) PUT(cache, crow + e, c0, c1);
  }
  // The rotated key.
  for (int e = lid * STEP; e < pc.rope; e += WG * STEP) {
    const float k0 = ROTATED(key_at, e, rbase, hr);
    float k1 = 0.0;
    if (STEP == 2) k1 = ROTATED(key_at, e + 1, rbase, hr);
    if (pc.write_rows != 0) PUT(rows, rrow + pc.kvr + e, k0, k1);
    if (cached) PUT(cache, crow + pc.kvr + e, k0, k1);
  }
  // The queries: every element (absorb 0) or the rope part (absorb 1).
  const int qk = pc.nope + pc.rope;
  const int part = ABSORB ? pc.rope : qk;
  for (int i = lid; i < pc.heads * part; i += WG) {
    const int head = i / part, e = i % part;
    g_q = (n * pc.heads + head) * qk;
    if (ABSORB) {
      q_out[(n * pc.heads + head) * width + pc.kvr + e] = ROTATED(query_at, e, rbase, hr) * pc.scale;
    } else {
      const float x = e < pc.nope ? LOAD(q_in, g_q + e) : ROTATED(query_at, e - pc.nope, rbase, hr);
      q_out[((b * pc.heads + head) * T + token) * qk + e] = x * pc.scale;
    }
  }
}
