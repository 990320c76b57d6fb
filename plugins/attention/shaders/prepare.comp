// prepare.comp -- stage 2 of the attention step: QK-norm, RoPE, query scale,
// prepared-query layout, K/V scratch and KV-cache ring writes.  q/k/v inputs,
// K/V scratch and cache are f32, or bf16 built with BF16 (storage.glsl: in
// pairs the widths are even and each lane writes whole words); prepared
// queries are always f32.
//
// Input rows: for (b, token) row n = b*t + token the query heads start at
// q_in[n*q_stride + q_offset], keys at k_in[n*k_stride + k_offset], values at
// v_in[n*v_stride + v_offset].  Core level: q/k/v tensors with strides h*hd,
// kvh*hd, kvh*vhd and offsets 0; layer level: the fused projection output
// qkv [b*t, h*hd + kvh*hd + kvh*vhd] bound three times with offsets
// 0, h*hd, h*hd + kvh*hd and all strides h*hd + kvh*hd + kvh*vhd.
//
// Per query head: (QK_NORM == 1: RMSNorm over hd with q_norm[hd]) or
// (QK_NORM == 2: RMSNorm over the whole h*hd query row with q_norm[h*hd]),
// RoPE NeoX half-split on the first 2*ROT_HALF dims at position
// first_position + token (cos/sin from the host table), times `scale`,
// stored to q_out [b, kvh, t, group, hd].  Keys: the same norm (k_norm of
// width hd or kvh*hd) and RoPE, no scale.  K/V go to the scratch
// [b, kvh, t, dim] when write_scratch != 0, and to the cache ring
// [b, kvh, slots, dim] at slot = position % slots when position >=
// context - slots (only the last `slots` positions: each slot has one writer).
//
// Tiling: one workgroup per (token, batch) row, one invocation per head
// vector (query heads, then K/V heads), the vector held in registers.  The
// projection-level norm needs a sum over the whole row: a shared-memory
// reduction, the only two barriers.  This stage is O(tokens * width): small
// next to the attention core, so it is written for clarity.
#version 450
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int HD = 128;
layout(constant_id = 2) const int VHD = 128;
layout(constant_id = 3) const int QK_NORM = 0;   // 0 none, 1 per head, 2 whole projection
layout(constant_id = 4) const int ROT_HALF = 0;  // rotary_dims / 2 (0: no RoPE)

layout(std430, set = 0, binding = 0) readonly buffer Qin { ELEM q_in[]; };
layout(std430, set = 0, binding = 1) readonly buffer Kin { ELEM k_in[]; };
layout(std430, set = 0, binding = 2) readonly buffer Vin { ELEM v_in[]; };
layout(std430, set = 0, binding = 3) readonly buffer Qnorm { float q_norm[]; };  // [hd] or [h*hd]
layout(std430, set = 0, binding = 4) readonly buffer Knorm { float k_norm[]; };  // [hd] or [kvh*hd]
layout(std430, set = 0, binding = 5) readonly buffer Rope { float rope[]; };     // [t][2][ROT_HALF]: cos row, sin row
layout(std430, set = 0, binding = 6) writeonly buffer Qout { float q_out[]; };   // [b, kvh, t, group, hd]
layout(std430, set = 0, binding = 7) writeonly buffer Kscr { ELEM k_scratch[]; }; // [b, kvh, t, hd]
layout(std430, set = 0, binding = 8) writeonly buffer Vscr { ELEM v_scratch[]; }; // [b, kvh, t, vhd]
layout(std430, set = 0, binding = 9) writeonly buffer Kc { ELEM k_cache[]; };     // [b, kvh, slots, hd]
layout(std430, set = 0, binding = 10) writeonly buffer Vc { ELEM v_cache[]; };    // [b, kvh, slots, vhd]

layout(push_constant) uniform Push {
  int tokens;          // t
  int heads;
  int kv_heads;
  int first_position;  // prefill 0, decode seq
  int slots;
  int write_scratch;   // 1: also write k_scratch / v_scratch
  int q_offset, q_stride;
  int k_offset, k_stride;
  int v_offset, v_stride;
  float scale;         // 1/sqrt(hd)
} pc;

shared float red_q[gl_WorkGroupSize.x];
shared float red_k[gl_WorkGroupSize.x];

void main() {
  const int WG = int(gl_WorkGroupSize.x);
  const int lid = int(gl_LocalInvocationID.x);
  const int token = int(gl_WorkGroupID.x);
  const int b = int(gl_WorkGroupID.y);
  const int T = pc.tokens, H = pc.heads, KVH = pc.kv_heads, group = H / KVH;
  const int n = b * T + token;
  const int position = pc.first_position + token;
  const int context = pc.first_position + T;
  const int vectors = H + 2 * KVH;  // q heads, k heads, v heads

  float inv_q = 1.0, inv_k = 1.0;
  if (QK_NORM == 2) {
    float sq = 0.0, sk = 0.0;
    for (int e = lid; e < H * HD; e += WG) { float x = LOAD(q_in, n * pc.q_stride + pc.q_offset + e); sq += x * x; }
    for (int e = lid; e < KVH * HD; e += WG) { float x = LOAD(k_in, n * pc.k_stride + pc.k_offset + e); sk += x * x; }
    red_q[lid] = sq;
    red_k[lid] = sk;
    barrier();
    for (int w = WG / 2; w > 0; w /= 2) {  // WG is a power of two
      if (lid < w) { red_q[lid] += red_q[lid + w]; red_k[lid] += red_k[lid + w]; }
      barrier();
    }
    inv_q = inversesqrt(red_q[0] / float(H * HD) + 1e-6);
    inv_k = inversesqrt(red_k[0] / float(KVH * HD) + 1e-6);
  }

  const int slot = position % pc.slots;
  const bool cached = position >= context - pc.slots;
  const int rbase = token * 2 * ROT_HALF;

  for (int vec = lid; vec < vectors; vec += WG) {
    if (vec < H + KVH) {
      const bool is_q = vec < H;
      const int hv = is_q ? vec : vec - H;  // head index within q or k
      float x[HD];
      const int src = is_q ? n * pc.q_stride + pc.q_offset + hv * HD : n * pc.k_stride + pc.k_offset + hv * HD;
      [[unroll]] for (int d = 0; d < HD; ++d) x[d] = is_q ? LOAD(q_in, src + d) : LOAD(k_in, src + d);
      if (QK_NORM == 1) {
        float ss = 0.0;
        [[unroll]] for (int d = 0; d < HD; ++d) ss += x[d] * x[d];
        float inv = inversesqrt(ss / float(HD) + 1e-6);
        [[unroll]] for (int d = 0; d < HD; ++d) x[d] *= inv * (is_q ? q_norm[d] : k_norm[d]);
      } else if (QK_NORM == 2) {
        float inv = is_q ? inv_q : inv_k;
        [[unroll]] for (int d = 0; d < HD; ++d) x[d] *= inv * (is_q ? q_norm[hv * HD + d] : k_norm[hv * HD + d]);
      }
      [[unroll]] for (int k = 0; k < ROT_HALF; ++k) {
        float c = rope[rbase + k], s = rope[rbase + ROT_HALF + k];
        float a = x[k], bb = x[k + ROT_HALF];
        x[k] = a * c - bb * s;
        x[k + ROT_HALF] = bb * c + a * s;
      }
      if (is_q) {
        const int kvg = hv / group, j = hv % group;
        const int dst = (((b * KVH + kvg) * T + token) * group + j) * HD;
        [[unroll]] for (int d = 0; d < HD; ++d) q_out[dst + d] = x[d] * pc.scale;
      } else {
        if (pc.write_scratch != 0) {
          const int dst = ((b * KVH + hv) * T + token) * HD;
          [[unroll]] for (int d = 0; d < HD; d += STEP) PUT(k_scratch, dst + d, x[d], x[d + 1]);
        }
        if (cached) {
          const int dst = ((b * KVH + hv) * pc.slots + slot) * HD;
          [[unroll]] for (int d = 0; d < HD; d += STEP) PUT(k_cache, dst + d, x[d], x[d + 1]);
        }
      }
    } else {
      const int hv = vec - H - KVH;
      const int src = n * pc.v_stride + pc.v_offset + hv * VHD;
      if (pc.write_scratch != 0) {
        const int dst = ((b * KVH + hv) * T + token) * VHD;
        for (int d = 0; d < VHD; d += STEP) PUT(v_scratch, dst + d, LOAD(v_in, src + d), LOAD(v_in, src + d + 1));
      }
      if (cached) {
        const int dst = ((b * KVH + hv) * pc.slots + slot) * VHD;
        for (int d = 0; d < VHD; d += STEP) PUT(v_cache, dst + d, LOAD(v_in, src + d), LOAD(v_in, src + d + 1));
      }
    }
  }
}
