// decode.comp -- split-KV decode ("flash-decoding"), pass 1 of 2.  The cache
// is f32, or bf16 built with BF16 (storage.glsl); arithmetic is f32.
//
// One new query per sequence at position i = seq against the KV-cache ring
// (k_cache [b, kvh, slots, HD], v_cache [b, kvh, slots, VHD], position p in
// slot p % slots; prepare.comp has already appended position seq).  The
// visible positions [first_visible(i), i] are cut into `splits` ranges of
// `chunk` positions; workgroup (split, kv head x row block, batch) computes an
// online-softmax partial over its range for ROWS query heads of one GQA group
// (row block rb holds heads rb*ROWS .. rb*ROWS+ROWS-1 of the group):
//   part_ml[((b*H + h)*splits + split)*2 + 0/1] = max / sum of exp(s - max),
//   part_o [((b*H + h)*splits + split)*VHD + d] = sum_j exp(s_j - max) v_j[d].
// Scores: q (prepared, already scaled) . k, softcap, ALiBi; no sink here
// (decode_combine.comp adds it once).  An empty range writes max -1e30, sum 0.
//
// Tiling: the prefill one (see prefill.comp), because on llvmpipe a per-lane
// buffer load costs the same whether the lanes share an address or not:
//  * the workgroup is exactly one subgroup; its lanes are KEYS: each step the
//    WG lanes take positions base+lane, so every K/V load brings in a
//    different useful element and feeds ROWS FMAs (the cache is read once per
//    row block; with ROWS = GROUP <= 4, once);
//  * the ROWS queries are UNIFORM (same in every lane) and held in registers,
//    each lane accumulates its own keys' p*v in ROWS x VHD registers; keep
//    ROWS <= 4 (llvmpipe slows down sharply past ~1K floats of lane state);
//  * the running max is shared by the subgroup (subgroupMax of each step's
//    scores), so the rescale of the accumulators is skipped whenever no lane
//    raised the max -- after the first steps, almost always -- and the end of
//    the range needs only subgroupAdd of sums and accumulators;
//  * K/V rows are read 4 elements per load when the width allows (a vec4, or
//    a uvec2 of bf16 pairs): each per-lane load is a loop over the lanes on
//    llvmpipe, so fewer, wider loads pay (~1.7x at the shape below).
// Measured at decode.s4096.h32.kvh8.hd128 f32 (2-core EPYC, lavapipe 22.3):
// ~11 ms, ~3 GB/s of cache; the "one lane per query head, uniform cache
// address" layout this replaced took 75-126 ms (0.3-0.45 GB/s).
#version 450
#extension GL_EXT_control_flow_attributes : enable
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x_id = 0) in;                    // = subgroup size
layout(constant_id = 1) const int HD = 128;
layout(constant_id = 2) const int VHD = 128;
layout(constant_id = 3) const int GROUP = 4;
layout(constant_id = 4) const int MASK = 0;        // 0 causal, 1 window, 2 chunk
layout(constant_id = 5) const bool SOFTCAP = false;
layout(constant_id = 6) const bool ALIBI = false;
layout(constant_id = 7) const int ROWS = 4;        // query heads per workgroup, <= GROUP
// Row stride of the value cache in elements (0: VHD). MLA's absorbed decode
// reads its values as the first VHD elements of each cache row [latent | rope key].
layout(constant_id = 8) const int VSTRIDE = 0;
const int VS = VSTRIDE > 0 ? VSTRIDE : VHD;

layout(std430, set = 0, binding = 0) readonly buffer Qbuf { float qb[]; };    // [b, kvh, 1, GROUP, HD]
layout(std430, set = 0, binding = 1) readonly buffer Kc { ELEM kc[]; };      // [b, kvh, slots, HD]
layout(std430, set = 0, binding = 2) readonly buffer Vc { ELEM vc[]; };      // [b, kvh, slots, VS]
// The same two bindings, 4 elements per item (used when HD / VHD % 4 == 0).
layout(std430, set = 0, binding = 1) readonly buffer Kc4 { ELEM4 kc4[]; };
layout(std430, set = 0, binding = 2) readonly buffer Vc4 { ELEM4 vc4[]; };
layout(std430, set = 0, binding = 3) readonly buffer Slopes { float slopes[]; };  // [heads]
layout(std430, set = 0, binding = 4) writeonly buffer PartML { float part_ml[]; }; // [b, h, splits, 2]
layout(std430, set = 0, binding = 5) writeonly buffer PartO { float part_o[]; };   // [b, h, splits, VHD]

layout(push_constant) uniform Push {
  int seq;       // position of the new token (= cached tokens before this step)
  int heads;
  int kv_heads;
  int span;
  float softcap;
  int slots;
  int splits;    // ranges per (b, kvh)
  int chunk;     // positions per range
} pc;

const float NEG = -1.0e30;

float capped(float s) {
  float x = s / pc.softcap;
  float e = exp(-2.0 * abs(x));
  return pc.softcap * sign(x) * (1.0 - e) / (1.0 + e);
}

void main() {
  const int WG = int(gl_WorkGroupSize.x);
  const int lid = int(gl_LocalInvocationID.x);
  const int split = int(gl_WorkGroupID.x);
  const int row_blocks = (GROUP + ROWS - 1) / ROWS;
  const int g = int(gl_WorkGroupID.y) / row_blocks;
  const int rb = int(gl_WorkGroupID.y) % row_blocks;
  const int b = int(gl_WorkGroupID.z);
  const int i = pc.seq;
  const int bg = b * pc.kv_heads + g;

  int first = 0;
  if (MASK == 1) first = max(0, i - pc.span + 1);
  if (MASK == 2) first = (i / pc.span) * pc.span;
  const int lo = first + split * pc.chunk;
  const int hi = min(i + 1, lo + pc.chunk);  // exclusive; may be <= lo

  // Rows past the group (last row block of an uneven split) recompute the
  // group's last head and are not written.
  float qr[ROWS][HD];
  float acc[ROWS][VHD];
  float m[ROWS], l[ROWS], slope[ROWS];
  [[unroll]] for (int r = 0; r < ROWS; ++r) {
    const int row = min(rb * ROWS + r, GROUP - 1);
    [[unroll]] for (int d = 0; d < HD; ++d) qr[r][d] = qb[(bg * GROUP + row) * HD + d];
    [[unroll]] for (int d = 0; d < VHD; ++d) acc[r][d] = 0.0;
    m[r] = NEG;
    l[r] = 0.0;
    slope[r] = ALIBI ? slopes[g * GROUP + row] : 0.0;
  }

  const int kbase = bg * pc.slots * HD, vbase = bg * pc.slots * VS;
  for (int base = lo; base < hi; base += WG) {
    const int j = base + lid;
    const bool valid = j < hi;
    const int slot = min(j, hi - 1) % pc.slots;
    float s[ROWS];
    [[unroll]] for (int r = 0; r < ROWS; ++r) s[r] = 0.0;
    if (HD % 4 == 0) {
      [[unroll]] for (int d = 0; d < HD; d += 4) {
        const vec4 kx = LOAD4(kc4, kbase + slot * HD + d);
        [[unroll]] for (int r = 0; r < ROWS; ++r)
          s[r] = fma(qr[r][d], kx.x, fma(qr[r][d + 1], kx.y, fma(qr[r][d + 2], kx.z, fma(qr[r][d + 3], kx.w, s[r]))));
      }
    } else {
      [[unroll]] for (int d = 0; d < HD; ++d) {
        const float kx = LOAD(kc, kbase + slot * HD + d);
        [[unroll]] for (int r = 0; r < ROWS; ++r) s[r] = fma(qr[r][d], kx, s[r]);
      }
    }
    float p[ROWS];
    [[unroll]] for (int r = 0; r < ROWS; ++r) {
      float x = s[r];
      if (SOFTCAP) x = capped(x);
      if (ALIBI) x -= slope[r] * float(i - j);
      x = valid ? x : NEG;
      const float mx = subgroupMax(x);  // uniform: the branch below is taken by all lanes or none
      if (mx > m[r]) {
        const float alpha = exp(m[r] - mx);
        l[r] *= alpha;
        [[unroll]] for (int d = 0; d < VHD; ++d) acc[r][d] *= alpha;
        m[r] = mx;
      }
      p[r] = valid ? exp(x - m[r]) : 0.0;
      l[r] += p[r];
    }
    if (VHD % 4 == 0 && VS % 4 == 0) {
      [[unroll]] for (int d = 0; d < VHD; d += 4) {
        const vec4 vx = LOAD4(vc4, vbase + slot * VS + d);
        [[unroll]] for (int r = 0; r < ROWS; ++r) {
          acc[r][d] = fma(p[r], vx.x, acc[r][d]);
          acc[r][d + 1] = fma(p[r], vx.y, acc[r][d + 1]);
          acc[r][d + 2] = fma(p[r], vx.z, acc[r][d + 2]);
          acc[r][d + 3] = fma(p[r], vx.w, acc[r][d + 3]);
        }
      }
    } else {
      [[unroll]] for (int d = 0; d < VHD; ++d) {
        const float vx = LOAD(vc, vbase + slot * VS + d);
        [[unroll]] for (int r = 0; r < ROWS; ++r) acc[r][d] = fma(p[r], vx, acc[r][d]);
      }
    }
  }

  // m is already common to the lanes: only the sums need merging.
  [[unroll]] for (int r = 0; r < ROWS; ++r) {
    const int row = rb * ROWS + r;
    const int part = (b * pc.heads + g * GROUP + min(row, GROUP - 1)) * pc.splits + split;
    const float total = subgroupAdd(l[r]);
    if (lid == 0 && row < GROUP) {
      part_ml[part * 2 + 0] = m[r];
      part_ml[part * 2 + 1] = total;
    }
    [[unroll]] for (int d = 0; d < VHD; ++d) {
      const float o = subgroupAdd(acc[r][d]);
      if (lid == 0 && row < GROUP) part_o[part * VHD + d] = o;
    }
  }
}
