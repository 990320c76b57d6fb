// prefill.comp -- fused FlashAttention-style prefill (online softmax).  K, V
// and out are f32, or bf16 built with BF16 (storage.glsl); arithmetic is f32.
//
// out[b, i, h, :] = sum_j p_j V[j], p = softmax over visible keys j (plus the
// head's sink logit, no value) of s_j = q_i . k_j (q pre-scaled by prepare),
// then softcap*tanh(s/softcap), then - slope_h*(i - j) (ALiBi).
// visible(i, j): j <= i and (window) i - j < span | (chunk) j >= span*floor(i/span).
//
// Tiling (chosen by measurement on llvmpipe, where a workgroup is one CPU
// thread running 8 lanes in SIMD and only per-lane data is cheap):
//  * one workgroup = TT query tokens x all GROUP heads of one K/V head:
//    R = TT*GROUP query rows, held UNIFORM (same in every lane) in registers;
//  * the lanes are KEYS: each step the WG lanes take keys base+lane, so every
//    K/V load fetches WG different useful elements and feeds R FMAs -- each K/V
//    row is read once per workgroup and shared by all heads of the group;
//  * every lane keeps its own online-softmax state (max, sum, R x VHD
//    accumulators) over its subset of keys; the WG partial softmaxes are
//    merged once at the end with subgroupMax/subgroupAdd (WG must equal the
//    subgroup size);
//  * only the union of the rows' visible key range is walked; masks are
//    per-lane selects; no barrier, no shared memory;
//  * K/V rows are read 4 elements per load when the width allows (a vec4, or
//    a uvec2 of bf16 pairs): llvmpipe turns each per-lane load into a loop
//    over the lanes, so fewer, wider loads pay.
// Measured (2-core EPYC, lavapipe 22.3): 5.1 GFLOP/s at 32/8/128, seq 1024;
// the "lanes = query rows, K/V broadcast" design reached 1.0-1.4 GFLOP/s.
// Keep R = TT*GROUP <= 4: llvmpipe slows down >50x when the per-lane state
// (R*(HD+VHD) floats) grows past that.
#version 450
#extension GL_EXT_control_flow_attributes : enable
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int HD = 128;
layout(constant_id = 2) const int VHD = 128;
layout(constant_id = 3) const int GROUP = 4;
layout(constant_id = 4) const int MASK = 0;
layout(constant_id = 5) const bool SOFTCAP = false;
layout(constant_id = 6) const bool ALIBI = false;
layout(constant_id = 7) const bool SINKS = false;
layout(constant_id = 8) const int TT = 1;    // query tokens per workgroup
// Heads of the group per workgroup (0: all GROUP). Groups of more than 4 heads
// run as row blocks of ROWS heads (the last one padded, its extra rows
// computed on a clamped head and never stored), so a lane never holds more
// than 4 query rows; the grid's y is then kv_heads * ceil(GROUP / ROWS).
layout(constant_id = 9) const int ROWS = 0;
// Row stride of V in elements (0: VHD). MLA's absorbed attention reads its
// values as the first VHD elements of each wider cache row [latent | rope key].
layout(constant_id = 10) const int VSTRIDE = 0;
const int VS = VSTRIDE > 0 ? VSTRIDE : VHD;
const int GH = ROWS > 0 ? ROWS : GROUP;
const int BLOCKS = (GROUP + GH - 1) / GH;
const int R = TT * GH;
layout(std430, set = 0, binding = 0) readonly buffer Qbuf { float qb[]; };
layout(std430, set = 0, binding = 1) readonly buffer Kbuf { ELEM kb[]; };
layout(std430, set = 0, binding = 2) readonly buffer Vbuf { ELEM vb[]; };
// The same two bindings, 4 elements per item (used when HD / VHD % 4 == 0).
layout(std430, set = 0, binding = 1) readonly buffer Kbuf4 { ELEM4 kb4[]; };
layout(std430, set = 0, binding = 2) readonly buffer Vbuf4 { ELEM4 vb4[]; };
layout(std430, set = 0, binding = 3) readonly buffer Slopes { float slopes[]; };
layout(std430, set = 0, binding = 4) readonly buffer Sinks { float sinks[]; };
layout(std430, set = 0, binding = 5) writeonly buffer Obuf { ELEM ob[]; };
layout(push_constant) uniform Push { int tokens; int heads; int kv_heads; int span; float softcap; int kv_rows; } pc;
const float NEG = -1.0e30;
int first_visible(int i) {
  if (MASK == 1) return max(0, i - pc.span + 1);
  if (MASK == 2) return (i / pc.span) * pc.span;
  return 0;
}
float capped(float s) { float x = s / pc.softcap; float e = exp(-2.0 * abs(x)); return pc.softcap * sign(x) * (1.0 - e) / (1.0 + e); }
void main() {
  const int WG = int(gl_WorkGroupSize.x);
  const int lid = int(gl_LocalInvocationID.x);
  const int g = int(gl_WorkGroupID.y) / BLOCKS, b = int(gl_WorkGroupID.z), T = pc.tokens;
  const int head0 = (int(gl_WorkGroupID.y) % BLOCKS) * GH;  // first head of the block, within the group
  const int bg = b * pc.kv_heads + g;
  const int t0 = int(gl_WorkGroupID.x) * TT;
  const int lo = first_visible(t0);
  const int hi = min(T, t0 + TT);
  float qr[R][HD];
  float acc[R][VHD];
  float m[R], l[R];
  [[unroll]] for (int r = 0; r < R; ++r) {
    int tok = min(t0 + r / GH, T - 1);
    int qbase = ((bg * T + tok) * GROUP + min(head0 + r % GH, GROUP - 1)) * HD;
    [[unroll]] for (int d = 0; d < HD; ++d) qr[r][d] = qb[qbase + d];
    [[unroll]] for (int d = 0; d < VHD; ++d) acc[r][d] = 0.0;
    m[r] = NEG; l[r] = 0.0;
  }
  const int kbase = bg * pc.kv_rows * HD, vbase = bg * pc.kv_rows * VS;
  for (int base = lo; base < hi; base += WG) {
    const int j = base + lid;
    const int jc = min(j, hi - 1);
    float s[R];
    [[unroll]] for (int r = 0; r < R; ++r) s[r] = 0.0;
    if (HD % 4 == 0) {
      [[unroll]] for (int d = 0; d < HD; d += 4) {
        vec4 kx = LOAD4(kb4, kbase + jc * HD + d);
        [[unroll]] for (int r = 0; r < R; ++r)
          s[r] = fma(qr[r][d], kx.x, fma(qr[r][d + 1], kx.y, fma(qr[r][d + 2], kx.z, fma(qr[r][d + 3], kx.w, s[r]))));
      }
    } else {
      [[unroll]] for (int d = 0; d < HD; ++d) {
        float kx = LOAD(kb, kbase + jc * HD + d);
        [[unroll]] for (int r = 0; r < R; ++r) s[r] = fma(qr[r][d], kx, s[r]);
      }
    }
    float p[R];
    [[unroll]] for (int r = 0; r < R; ++r) {
      int tok = t0 + r / GH;
      bool vis = j <= tok && j >= first_visible(tok) && j < hi;
      float x = s[r];
      if (SOFTCAP) x = capped(x);
      if (ALIBI) x -= slopes[g * GROUP + min(head0 + r % GH, GROUP - 1)] * float(tok - j);
      float mx = vis ? max(m[r], x) : m[r];
      float alpha = exp(m[r] - mx);
      p[r] = vis ? exp(x - mx) : 0.0;
      l[r] = l[r] * alpha + p[r];
      m[r] = mx;
      [[unroll]] for (int d = 0; d < VHD; ++d) acc[r][d] *= alpha;
    }
    if (VHD % 4 == 0 && VS % 4 == 0) {
      [[unroll]] for (int d = 0; d < VHD; d += 4) {
        vec4 vx = LOAD4(vb4, vbase + jc * VS + d);
        [[unroll]] for (int r = 0; r < R; ++r) {
          acc[r][d] = fma(p[r], vx.x, acc[r][d]);
          acc[r][d + 1] = fma(p[r], vx.y, acc[r][d + 1]);
          acc[r][d + 2] = fma(p[r], vx.z, acc[r][d + 2]);
          acc[r][d + 3] = fma(p[r], vx.w, acc[r][d + 3]);
        }
      }
    } else {
      [[unroll]] for (int d = 0; d < VHD; ++d) {
        float vx = LOAD(vb, vbase + jc * VS + d);
        [[unroll]] for (int r = 0; r < R; ++r) acc[r][d] = fma(p[r], vx, acc[r][d]);
      }
    }
  }
  [[unroll]] for (int r = 0; r < R; ++r) {
    const int hg = head0 + r % GH;  // head within the group; >= GROUP only in a padded block
    int tok = t0 + r / GH, h = g * GROUP + min(hg, GROUP - 1);
    float M = subgroupMax(m[r]);
    float keep = exp(m[r] - M);
    float L = subgroupAdd(l[r] * keep);
    if (SINKS) { float sk = sinks[h]; float mn = max(M, sk); L = L * exp(M - mn) + exp(sk - mn); keep *= exp(M - mn); }
    float inv = keep / L;
    [[unroll]] for (int d = 0; d < VHD; d += STEP) {
      float o0 = subgroupAdd(acc[r][d] * inv);
#ifdef BF16_PAIRS
      float o1 = subgroupAdd(acc[r][d + 1] * inv);
#endif
      if (lid == 0 && tok < T && hg < GROUP) PUT(ob, ((b * T + tok) * pc.heads + h) * VHD + d, o0, o1);
    }
  }
}
