// decode.comp -- split-KV decode ("flash-decoding"), pass 1 of 2. f32.
//
// One new query per sequence at position i = seq against the KV-cache ring
// (k_cache [b, kvh, slots, HD], v_cache [b, kvh, slots, VHD], position p in
// slot p % slots; prepare.comp has already appended position seq).  The
// visible positions [first_visible(i), i] are cut into `splits` ranges of
// `chunk` positions; workgroup (split, kv head x row block, batch) computes an
// online-softmax partial over its range for the query heads of one GQA group:
//   part_ml[((b*H + h)*splits + split)*2 + 0/1] = running max / sum of exp,
//   part_o [((b*H + h)*splits + split)*VHD + d] = unnormalized sum p_j v_j.
// Scores: q (prepared, already scaled) . k, softcap, ALiBi; no sink here
// (decode_combine.cpp adds it once).  Empty ranges write max -1e30, sum 0.
//
// Tiling: one invocation per query head of the group (the group's heads are
// the workgroup's lanes, WG >= group or several row blocks), query and
// accumulator in registers; positions walked KB at a time with
// workgroup-uniform cache addresses, so on llvmpipe each cached K/V element is
// loaded once (scalar load + broadcast) and used by every head of the group:
// the cache is streamed exactly once per row block.  No barriers.
#version 450
#extension GL_EXT_control_flow_attributes : enable

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int HD = 128;
layout(constant_id = 2) const int VHD = 128;
layout(constant_id = 3) const int GROUP = 4;
layout(constant_id = 4) const int MASK = 0;        // 0 causal, 1 window, 2 chunk
layout(constant_id = 5) const bool SOFTCAP = false;
layout(constant_id = 6) const bool ALIBI = false;

#ifndef KB
#define KB 4
#endif

layout(std430, set = 0, binding = 0) readonly buffer Qbuf { float qb[]; };    // [b, kvh, 1, GROUP, HD]
layout(std430, set = 0, binding = 1) readonly buffer Kc { float kc[]; };      // [b, kvh, slots, HD]
layout(std430, set = 0, binding = 2) readonly buffer Vc { float vc[]; };      // [b, kvh, slots, VHD]
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
  const int row_blocks = (GROUP + WG - 1) / WG;
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

  const int row_raw = rb * WG + lid;
  const int row = min(row_raw, GROUP - 1);
  const int h = g * GROUP + row;
  float qr[HD];
  float acc[VHD];
  [[unroll]] for (int d = 0; d < HD; ++d) qr[d] = qb[(bg * GROUP + row) * HD + d];
  [[unroll]] for (int d = 0; d < VHD; ++d) acc[d] = 0.0;
  float m = NEG, l = 0.0;
  const float slope = ALIBI ? slopes[h] : 0.0;

  const int kbase = bg * pc.slots * HD, vbase = bg * pc.slots * VHD;
  for (int p0 = lo; p0 < hi; p0 += KB) {
    int koff[KB], voff[KB];
    [[unroll]] for (int u = 0; u < KB; ++u) {
      int slot = min(p0 + u, hi - 1) % pc.slots;
      koff[u] = kbase + slot * HD;
      voff[u] = vbase + slot * VHD;
    }
    float s[KB];
    [[unroll]] for (int u = 0; u < KB; ++u) s[u] = 0.0;
    [[unroll]] for (int d = 0; d < HD; ++d)
      [[unroll]] for (int u = 0; u < KB; ++u) s[u] = fma(qr[d], kc[koff[u] + d], s[u]);
    float mx = m;
    [[unroll]] for (int u = 0; u < KB; ++u) {
      float x = s[u];
      if (SOFTCAP) x = capped(x);
      if (ALIBI) x -= slope * float(i - (p0 + u));
      x = (p0 + u < hi) ? x : NEG;
      s[u] = x;
      mx = max(mx, x);
    }
    float alpha = exp(m - mx);
    float p[KB];
    float sum = 0.0;
    [[unroll]] for (int u = 0; u < KB; ++u) {
      p[u] = (p0 + u < hi) ? exp(s[u] - mx) : 0.0;
      sum += p[u];
    }
    l = l * alpha + sum;
    m = mx;
    [[unroll]] for (int d = 0; d < VHD; ++d) {
      float a = acc[d] * alpha;
      [[unroll]] for (int u = 0; u < KB; ++u) a = fma(p[u], vc[voff[u] + d], a);
      acc[d] = a;
    }
  }

  if (row_raw < GROUP) {
    const int part = (b * pc.heads + h) * pc.splits + split;
    part_ml[part * 2 + 0] = m;
    part_ml[part * 2 + 1] = l;
    [[unroll]] for (int d = 0; d < VHD; ++d) part_o[part * VHD + d] = acc[d];
  }
}
