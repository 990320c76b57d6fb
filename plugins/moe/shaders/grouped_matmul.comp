#version 450
// grouped_matmul.comp -- the MoE's expert GEMMs: the tiled matmul of the SDK
// (include/archbench/shaders/matmul.glsl: same tiling, same packed B, same
// subgroup exchange of A) with its rows grouped by expert, the groups decided
// on the device:
//
//   for each tile (expert e, first row r0) of the plan built by plan.comp:
//     C[r, :] = epilogue(A[row(r), :] B_e)     r in [r0, r0 + MM_TM) within e's rows
//
// where row(r) = row_token[r] (GATHER: the token a row of e came from, so x is
// read in place, no gathered copy) or r itself (the expert's rows of the
// hidden activations, already contiguous), and B_e is expert e's weights,
// packed once by the host (matmul_pack.hpp's layout) and stored expert after
// expert. The tile list is as long as the routing makes it; the grid is the
// longest it can be and workgroups past the list's end return at once, so
// record() replays the same dispatches whatever the routing (no host round trip).
//
// Dense mode (dense_rows > 0): one "expert" over rows 0..dense_rows-1 in order,
// for the router logits and the shared experts; the tables are not read.
//
// Defines: GATED (B interleaves gate and up; the epilogue applies ACT), B_BF16
// (B holds bf16 bits, 4 k per uvec2), MM_TN, MM_DIRECT_A (no subgroup ops:
// each lane reads the group's A rows itself), MM_TM (rows per tile: 8, or
// with MM_DIRECT_A also 1, for decodes where an expert gets one row and an
// 8-row tile would do 8 times the FMAs). A and C are f32.
// Specialization: 0 ACT (0 none, 1 SwiGLU, 2 GeGLU tanh, 3 gpt-oss clamped
// SwiGLU), 1 GATHER, 2 SCALE_INPUT (gate and up times row_weight[r]: Llama 4's
// routing weight on the expert input, which passes through the linear
// projections unchanged).
//
// Bindings: 0 A float[], 1 B (vec4[] | uvec2[]), 2 C float[], 3 first_row
// uint[experts + 1], 4 first_tile uint[experts + 1], 5 tiles uvec2[] (expert,
// first row), 6 row_token uint[], 7 row_weight float[].
// Grid: x * z = tiles (tile = z * groups_x + x), y = ceil(slice_panels / 8).
#extension GL_EXT_control_flow_attributes : require
#ifndef MM_DIRECT_A
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
#include "archbench/shaders/bf16.glsl"

#ifndef MM_TM
#define MM_TM 8
#endif
#if !defined(MM_DIRECT_A) && MM_TM != 8
#error "the subgroup path exchanges A among 8 lanes: MM_TM must be 8"
#endif
#ifndef MM_TN
#define MM_TN 3
#endif
#ifdef GATED
#define MM_NMAT 2
#else
#define MM_NMAT 1
#endif
#define MM_S (MM_TN * MM_NMAT)
#define MM_NP (8 * MM_TN)

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const bool GATHER = false;
layout(constant_id = 2) const bool SCALE_INPUT = false;

layout(push_constant) uniform Push {
  uint N, K, lda, ldc;
  uint n_base;         // first column of C this slice of B covers
  uint slice_panels;   // panels of each expert held by this slice
  uint expert_begin;   // the slice holds experts [expert_begin, expert_end)
  uint expert_end;
  uint dense_rows;     // > 0: dense mode
} pc;

layout(std430, set = 0, binding = 0) readonly buffer MatA { float a_data[]; };
#ifdef B_BF16
layout(std430, set = 0, binding = 1) readonly buffer MatB { uvec2 b_data[]; };
vec4 mm_load_b(uint i) { return bf16_quad(b_data[i]); }
#else
layout(std430, set = 0, binding = 1) readonly buffer MatB { vec4 b_data[]; };
vec4 mm_load_b(uint i) { return b_data[i]; }
#endif
layout(std430, set = 0, binding = 2) writeonly buffer MatC { float c_data[]; };
layout(std430, set = 0, binding = 3) readonly buffer FirstRow { uint first_row[]; };
layout(std430, set = 0, binding = 4) readonly buffer FirstTile { uint first_tile[]; };
layout(std430, set = 0, binding = 5) readonly buffer Tiles { uvec2 tiles[]; };
layout(std430, set = 0, binding = 6) readonly buffer RowToken { uint row_token[]; };
layout(std430, set = 0, binding = 7) readonly buffer RowWeight { float row_weight[]; };

float sigmoid(float v) { return 1.0 / (1.0 + exp(-v)); }

// The expert activation on a gate and an up value (moe.hpp's activate()).
float activate(float g, float u) {
  if (ACT == 1u) return g * sigmoid(g) * u;
  if (ACT == 2u) return 0.5 * g * (1.0 + tanh(0.7978845608 * (g + 0.044715 * g * g * g))) * u;
  if (ACT == 3u) {
    const float gc = min(g, 7.0), uc = clamp(u, -7.0, 7.0);
    return (uc + 1.0) * gc * sigmoid(1.702 * gc);
  }
  return g;
}

vec4 load_a4(uint i) { return vec4(a_data[i], a_data[i + 1u], a_data[i + 2u], a_data[i + 3u]); }
// The K tail (K % 4 != 0): k valid, k + 1 and k + 2 guarded.
vec4 load_a_tail(uint row, uint k, uint K) {
  return vec4(a_data[row + k], k + 1u < K ? a_data[row + min(k + 1u, K - 1u)] : 0.0,
              k + 2u < K ? a_data[row + min(k + 2u, K - 1u)] : 0.0, 0.0);
}

#ifdef MM_DIRECT_A
#define MM_AROW(R) a_rows[R]
#else
#define MM_AROW(R) subgroupShuffle(av, sg_base | uint(R))
#endif
#define MM_ROW(R)                                              \
  {                                                            \
    const vec4 ar = MM_AROW(R);                                \
    [[unroll]] for (uint s = 0; s < MM_S; ++s) {               \
      acc[R][s] = fma(ar.x, bv[s].x, acc[R][s]);               \
      acc[R][s] = fma(ar.y, bv[s].y, acc[R][s]);               \
      acc[R][s] = fma(ar.z, bv[s].z, acc[R][s]);               \
      acc[R][s] = fma(ar.w, bv[s].w, acc[R][s]);               \
    }                                                          \
  }
#ifdef MM_DIRECT_A
#define MM_ROWS [[unroll]] for (uint row = 0; row < MM_TM; ++row) MM_ROW(row)
#else
#define MM_ROWS MM_ROW(0) MM_ROW(1) MM_ROW(2) MM_ROW(3) MM_ROW(4) MM_ROW(5) MM_ROW(6) MM_ROW(7)
#endif

void main() {
  // Which expert and rows: workgroup-uniform, so an early return keeps
  // whole subgroups together.
  const uint tile = gl_WorkGroupID.z * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint expert, row0, row_end;
  if (pc.dense_rows > 0u) {
    expert = 0u;
    row0 = tile * MM_TM;
    row_end = pc.dense_rows;
    if (row0 >= row_end) return;
  } else {
    const uint t = first_tile[pc.expert_begin] + tile;
    if (t >= first_tile[pc.expert_end]) return;
    expert = tiles[t].x - pc.expert_begin;
    row0 = tiles[t].y;
    row_end = first_row[tiles[t].x + 1u];
  }

#ifdef MM_DIRECT_A
  const uint lane = gl_LocalInvocationIndex & 7u;
  const uint group = gl_LocalInvocationIndex >> 3;
#else
  const uint lane = gl_SubgroupInvocationID & 7u;
  const uint sg_base = gl_SubgroupInvocationID & ~7u;
  const uint group = (gl_SubgroupID * gl_SubgroupSize + gl_SubgroupInvocationID) >> 3;
#endif
  const uint panel = gl_WorkGroupID.y * 8u + group;
  // panels past this slice read its last one; their stores are skipped
  const uint panel_ld = min(panel, pc.slice_panels - 1u);
  const uint K = pc.K, KB = (K + 3u) >> 2;

  // Rows past the expert's end repeat its last row (results discarded at the store).
#ifdef MM_DIRECT_A
  uint arow[MM_TM];
  [[unroll]] for (uint r = 0; r < MM_TM; ++r) {
    const uint m = min(row0 + r, row_end - 1u);
    arow[r] = (GATHER ? row_token[m] : m) * pc.lda;
  }
#else
  const uint m_own = min(row0 + lane, row_end - 1u);
  const uint arow = (GATHER ? row_token[m_own] : m_own) * pc.lda;
#endif

  float acc[MM_TM][MM_S];
  [[unroll]] for (uint r = 0; r < MM_TM; ++r)
    [[unroll]] for (uint s = 0; s < MM_S; ++s) acc[r][s] = 0.0;

  const uint bstride = MM_NP * MM_NMAT;
  uint bidx = ((expert * pc.slice_panels + panel_ld) * KB * MM_NP + lane * MM_TN) * MM_NMAT;
  // One k-block: A values from `load` (whole blocks, then the guarded K tail).
#ifdef MM_DIRECT_A
#define MM_STEP(load)                                                                   \
  {                                                                                     \
    vec4 a_rows[MM_TM];                                                                 \
    [[unroll]] for (uint r = 0; r < MM_TM; ++r) a_rows[r] = load(arow[r]);              \
    vec4 bv[MM_S];                                                                      \
    [[unroll]] for (uint s = 0; s < MM_S; ++s) bv[s] = mm_load_b(bidx + s);             \
    bidx += bstride;                                                                    \
    MM_ROWS                                                                             \
  }
#else
#define MM_STEP(load)                                                                   \
  {                                                                                     \
    const vec4 av = load(arow);                                                         \
    vec4 bv[MM_S];                                                                      \
    [[unroll]] for (uint s = 0; s < MM_S; ++s) bv[s] = mm_load_b(bidx + s);             \
    bidx += bstride;                                                                    \
    MM_ROWS                                                                             \
  }
#endif
  uint k = 0;
#define MM_WHOLE(row) load_a4((row) + k)
#define MM_TAIL(row) load_a_tail(row, k, K)
  for (; k + 4u <= K; k += 4u) MM_STEP(MM_WHOLE)
  if (k < K) MM_STEP(MM_TAIL)

  if (panel >= pc.slice_panels) return;
  const uint n0 = pc.n_base + panel * MM_NP + lane * MM_TN;
  [[unroll]] for (uint r = 0; r < MM_TM; ++r) {
    const uint m = row0 + r;
    if (m >= row_end) break;
    const float scale = SCALE_INPUT ? row_weight[m] : 1.0;
    [[unroll]] for (uint t = 0; t < MM_TN; ++t) {
      const uint n = n0 + t;
      if (n >= pc.N) break;
#ifdef GATED
      const float value = activate(scale * acc[r][2u * t], scale * acc[r][2u * t + 1u]);
#else
      const float value = activate(scale * acc[r][t], 0.0);
#endif
      c_data[m * pc.ldc + n] = value;
    }
  }
}
