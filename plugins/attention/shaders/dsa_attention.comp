// dsa_attention.comp -- attention/dsa's sparse attention, absorbed: per query
// row n and head g, an online softmax over the cache rows [c | k_r] of the
// row's selected positions only (selected[n*kept + j], -1 skipped), keys the
// whole row (width = kvr + rope), values its first kvr elements:
//   out[(n*heads + g)*kvr + d] = sum_j softmax_j(q[n, g, :] . row_j) row_j[d]
// q is mla_prepare.comp + mla_heads.comp's prepared query (absorbed, rotated,
// scaled, f32 [rows, heads, width]); rows are [b, kv_rows, width] with
// position s at row s % kv_rows (the cache ring, or the prefill's rows);
// out is the storage type (then mla_heads.comp applies W_uv per head).
//
// A workgroup takes HEADS heads of one row (their queries in shared memory)
// and walks the selection WG positions at a time: lanes = positions for the
// scores (each lane reads its own cache row), then lanes = output dims
// (DIMS words of STEP elements each) for the weighted sum, so every load a
// lane makes is a different useful element (what pays on llvmpipe).
// Grid: (T, ceil(heads / HEADS), B).
#version 450
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int HEADS = 1;   // heads per workgroup
layout(constant_id = 2) const int WIDTH = 1;   // kvr + rope
layout(constant_id = 3) const int DIMS = 1;    // output words per lane: ceil(kvr / (WG * STEP))

layout(std430, set = 0, binding = 0) readonly buffer Q { float q[]; };
layout(std430, set = 0, binding = 1) readonly buffer Rows { ELEM rows[]; };
layout(std430, set = 0, binding = 2) readonly buffer Selected { int selected[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Out { ELEM out_rows[]; };

layout(push_constant) uniform Push {
  int tokens, heads, kvr, kv_rows, kept;
} pc;

shared float qs[HEADS * WIDTH];
shared float weight[HEADS][gl_WorkGroupSize.x];
shared int position[gl_WorkGroupSize.x];

#define kNegInf uintBitsToFloat(0xff800000u)

void main() {
  const int WG = int(gl_WorkGroupSize.x), lid = int(gl_LocalInvocationID.x);
  const int token = int(gl_WorkGroupID.x), g0 = int(gl_WorkGroupID.y) * HEADS, b = int(gl_WorkGroupID.z);
  const int n = b * pc.tokens + token;
  const int heads = min(HEADS, pc.heads - g0);
  for (int e = lid; e < HEADS * WIDTH; e += WG)
    qs[e] = e < heads * WIDTH ? q[(n * pc.heads + g0) * WIDTH + e] : 0.0;

  float m[HEADS], l[HEADS], acc[HEADS * DIMS * STEP];
  [[unroll]] for (int h = 0; h < HEADS; ++h) { m[h] = kNegInf; l[h] = 0.0; }
  for (int a = 0; a < HEADS * DIMS * STEP; ++a) acc[a] = 0.0;

  for (int base = 0; base < pc.kept; base += WG) {  // uniform trip count
    barrier();  // qs written, or the previous chunk's weights read
    // Lanes = positions: the scores of this chunk.
    const int j = base + lid;
    const int s = j < pc.kept ? selected[n * pc.kept + j] : -1;
    position[lid] = s;
    float dot[HEADS];
    [[unroll]] for (int h = 0; h < HEADS; ++h) dot[h] = 0.0;
    if (s >= 0) {
      const int r = (b * pc.kv_rows + s % pc.kv_rows) * WIDTH;
      for (int e = 0; e < WIDTH; ++e) {
        const float k = LOAD(rows, r + e);
        [[unroll]] for (int h = 0; h < HEADS; ++h) dot[h] = fma(qs[h * WIDTH + e], k, dot[h]);
      }
    }
    [[unroll]] for (int h = 0; h < HEADS; ++h) weight[h][lid] = s >= 0 ? dot[h] : kNegInf;
    barrier();
    // Every lane: the chunk's max per head, the running max and the rescale.
    float next[HEADS];
    [[unroll]] for (int h = 0; h < HEADS; ++h) {
      float top = m[h];
      for (int c = 0; c < WG; ++c) top = max(top, weight[h][c]);
      next[h] = top;
    }
    barrier();  // every lane has read the scores
    [[unroll]] for (int h = 0; h < HEADS; ++h)
      weight[h][lid] = next[h] == kNegInf ? 0.0 : exp(weight[h][lid] - next[h]);
    barrier();
    [[unroll]] for (int h = 0; h < HEADS; ++h) {
      const float rescale = m[h] == kNegInf ? 0.0 : exp(m[h] - next[h]);
      m[h] = next[h];
      float sum = 0.0;
      for (int c = 0; c < WG; ++c) sum += weight[h][c];
      l[h] = l[h] * rescale + sum;
      for (int a = 0; a < DIMS * STEP; ++a) acc[h * DIMS * STEP + a] *= rescale;
    }
    // Lanes = output dims: the weighted values.
    for (int c = 0; c < WG; ++c) {
      const int sc = position[c];
      if (sc < 0) continue;
      const int r = (b * pc.kv_rows + sc % pc.kv_rows) * WIDTH;
      for (int w = 0; w < DIMS; ++w)
        for (int t = 0; t < STEP; ++t) {
          const int d = (lid + w * WG) * STEP + t;
          if (d >= pc.kvr) break;
          const float v = LOAD(rows, r + d);
          [[unroll]] for (int h = 0; h < HEADS; ++h)
            acc[(h * DIMS + w) * STEP + t] = fma(weight[h][c], v, acc[(h * DIMS + w) * STEP + t]);
        }
    }
  }
  for (int h = 0; h < heads; ++h) {
    const float inverse = 1.0 / l[h];
    const int o = (n * pc.heads + g0 + h) * pc.kvr;
    for (int w = 0; w < DIMS; ++w) {
      const int d = (lid + w * WG) * STEP;
      if (d >= pc.kvr) break;
      const int a = (h * DIMS + w) * STEP;
      PUT(out_rows, o + d, acc[a] * inverse, acc[a + STEP - 1] * inverse);
    }
  }
}
