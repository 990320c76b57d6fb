// dsa_attention.comp -- attention/dsa's sparse attention, absorbed: per query
// row n and head g, an online softmax over the cache rows [c | k_r] of the
// row's selected positions only (selected[n*kept + j], -1 skipped), keys the
// whole row (WIDTH = kvr + rope), values its first KVR elements:
//   out[(n*heads + g)*KVR + d] = sum_j softmax_j(q[n, g, :] . row_j) row_j[d]
// q is mla_prepare.comp + mla_heads.comp's prepared query (absorbed, rotated,
// scaled, f32 [rows, heads, WIDTH]); rows are [b, kv_rows, WIDTH] with
// position s at row s % kv_rows (the cache ring, or the prefill's rows);
// out is the storage type (then mla_heads.comp applies W_uv per head).
//
// Laid out as decode.comp (see there why it pays on llvmpipe): the workgroup
// is one full subgroup, its lanes are selected positions, the ROWS heads'
// queries and accumulators are per-lane registers, one load of a cache row
// element feeds ROWS FMAs, the running max is shared by the subgroup
// (subgroupMax per step, so the rescale is a uniform branch) and the lanes'
// sums merge with subgroupAdd at the end. No shared memory, no barriers: a
// 64-lane version with shared-memory phases ran ~0.1 GMAC/s on llvmpipe.
// Grid: (T, ceil(heads / ROWS), B).
#version 450
#extension GL_EXT_control_flow_attributes : enable
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x_id = 0) in;                 // = subgroup size
layout(constant_id = 1) const int WIDTH = 576;  // kvr + rope
layout(constant_id = 2) const int KVR = 512;
layout(constant_id = 3) const int ROWS = 1;     // heads per workgroup

layout(std430, set = 0, binding = 0) readonly buffer Q { float q[]; };
layout(std430, set = 0, binding = 1) readonly buffer Rows { ELEM rows[]; };
// The same rows, 4 elements per item (used when WIDTH and KVR % 4 == 0).
layout(std430, set = 0, binding = 1) readonly buffer Rows4 { ELEM4 rows4[]; };
layout(std430, set = 0, binding = 2) readonly buffer Selected { int selected[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Out { ELEM out_rows[]; };

layout(push_constant) uniform Push {
  int tokens, heads, kv_rows, kept;
} pc;

const float NEG = -1.0e30;

void main() {
  const int WG = int(gl_WorkGroupSize.x), lid = int(gl_LocalInvocationID.x);
  const int token = int(gl_WorkGroupID.x), h0 = int(gl_WorkGroupID.y) * ROWS, b = int(gl_WorkGroupID.z);
  const int n = b * pc.tokens + token;

  // Rows past the last head (an uneven last block) recompute it and are not written.
  float qr[ROWS][WIDTH];
  float acc[ROWS][KVR];
  float m[ROWS], l[ROWS];
  [[unroll]] for (int r = 0; r < ROWS; ++r) {
    const int head = min(h0 + r, pc.heads - 1);
    [[unroll]] for (int d = 0; d < WIDTH; ++d) qr[r][d] = q[(n * pc.heads + head) * WIDTH + d];
    [[unroll]] for (int d = 0; d < KVR; ++d) acc[r][d] = 0.0;
    m[r] = NEG;
    l[r] = 0.0;
  }

  for (int base = 0; base < pc.kept; base += WG) {
    const int j = base + lid;
    const int s = j < pc.kept ? selected[n * pc.kept + j] : -1;
    const bool valid = s >= 0;
    const int row = (b * pc.kv_rows + max(s, 0) % pc.kv_rows) * WIDTH;
    float x[ROWS];
    [[unroll]] for (int r = 0; r < ROWS; ++r) x[r] = 0.0;
    if (WIDTH % 4 == 0) {
      [[unroll]] for (int d = 0; d < WIDTH; d += 4) {
        const vec4 k = LOAD4(rows4, row + d);
        [[unroll]] for (int r = 0; r < ROWS; ++r)
          x[r] = fma(qr[r][d], k.x, fma(qr[r][d + 1], k.y, fma(qr[r][d + 2], k.z, fma(qr[r][d + 3], k.w, x[r]))));
      }
    } else {
      [[unroll]] for (int d = 0; d < WIDTH; ++d) {
        const float k = LOAD(rows, row + d);
        [[unroll]] for (int r = 0; r < ROWS; ++r) x[r] = fma(qr[r][d], k, x[r]);
      }
    }
    float p[ROWS];
    [[unroll]] for (int r = 0; r < ROWS; ++r) {
      const float score = valid ? x[r] : NEG;
      const float top = subgroupMax(score);  // uniform: the branch below is taken by all lanes or none
      if (top > m[r]) {
        const float alpha = exp(m[r] - top);
        l[r] *= alpha;
        [[unroll]] for (int d = 0; d < KVR; ++d) acc[r][d] *= alpha;
        m[r] = top;
      }
      p[r] = valid ? exp(score - m[r]) : 0.0;
      l[r] += p[r];
    }
    if (WIDTH % 4 == 0 && KVR % 4 == 0) {
      [[unroll]] for (int d = 0; d < KVR; d += 4) {
        const vec4 v = LOAD4(rows4, row + d);
        [[unroll]] for (int r = 0; r < ROWS; ++r) {
          acc[r][d] = fma(p[r], v.x, acc[r][d]);
          acc[r][d + 1] = fma(p[r], v.y, acc[r][d + 1]);
          acc[r][d + 2] = fma(p[r], v.z, acc[r][d + 2]);
          acc[r][d + 3] = fma(p[r], v.w, acc[r][d + 3]);
        }
      }
    } else {
      [[unroll]] for (int d = 0; d < KVR; ++d) {
        const float v = LOAD(rows, row + d);
        [[unroll]] for (int r = 0; r < ROWS; ++r) acc[r][d] = fma(p[r], v, acc[r][d]);
      }
    }
  }

  // m is common to the lanes: only the sums merge.
  [[unroll]] for (int r = 0; r < ROWS; ++r) {
    const bool stored = lid == 0 && h0 + r < pc.heads;
    const float inverse = 1.0 / subgroupAdd(l[r]);
    const int o = (n * pc.heads + h0 + r) * KVR;
    [[unroll]] for (int d = 0; d < KVR; d += STEP) {
      const float o0 = subgroupAdd(acc[r][d]) * inverse;
      const float o1 = STEP == 2 ? subgroupAdd(acc[r][d + STEP - 1]) * inverse : 0.0;
      if (stored) PUT(out_rows, o + d, o0, o1);
    }
  }
}
