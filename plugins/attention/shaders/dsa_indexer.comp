// dsa_indexer.comp -- attention/dsa's lightning indexer scores: for query row
// n = b*T + token (position i = first_position + token) and every position s
// of the context,
//   scores[n*context + s] = sum_j w[n, j] * ReLU(q[n, j, :] . k_s)   if s is visible
//                         = -inf                                    otherwise
// where k_s is this step's key (ik_rows, f32, s >= first_position) or the
// index cache's row (slot s % slots, f32 or bf16 with BF16). The query's
// heads sit in shared memory a pass of heads at a time; lanes are positions
// (on llvmpipe a load pays per lane whether or not the lanes share the
// address, so each lane reads its own keys): KEYS positions per lane and 8
// heads per tile, so a query element read from shared memory feeds KEYS
// FMAs and a key element 8.
// Grid: (ceil(context / (WG * KEYS)), T, B); a block no query position sees
// only writes its -inf.
#version 450
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int MASK = 0;  // 0 causal, 1 window, 2 chunk

layout(std430, set = 0, binding = 0) readonly buffer Q { float iq[]; };      // [rows, ih, id]
layout(std430, set = 0, binding = 1) readonly buffer W { float iw[]; };      // [rows, ih]
layout(std430, set = 0, binding = 2) readonly buffer K { float ik_rows[]; }; // [rows, id]
layout(std430, set = 0, binding = 3) readonly buffer Cache { ELEM cache[]; }; // [b, slots, id]
layout(std430, set = 0, binding = 4) writeonly buffer Scores { float scores[]; };  // [rows, context]

layout(push_constant) uniform Push {
  int tokens, first_position, slots, context;
  int ih, id, span;
} pc;

const int kQueryFloats = 3072;  // 12 KiB of shared memory for a pass of heads (16 KiB is the
                                // portable limit, with the weights' 2 KiB)
const int kMaxPassHeads = 512;
const int kHeadTile = 8;
const int KEYS = 4;  // positions per lane
shared float qs[kQueryFloats];
shared float ws[kMaxPassHeads];

int first_visible(int i) {
  if (MASK == 1) return max(0, i - pc.span + 1);
  if (MASK == 2) return (i / pc.span) * pc.span;
  return 0;
}

int key_row(int b, int s) {  // where position s's index key sits
  return s < pc.first_position ? (b * pc.slots + s % pc.slots) * pc.id
                               : (b * pc.tokens + s - pc.first_position) * pc.id;
}
float key_at(int row, bool cached, int d) { return cached ? LOAD(cache, row + d) : ik_rows[row + d]; }

void main() {
  const int WG = int(gl_WorkGroupSize.x), lid = int(gl_LocalInvocationID.x);
  const int token = int(gl_WorkGroupID.y), b = int(gl_WorkGroupID.z), n = b * pc.tokens + token;
  const int i = pc.first_position + token, lo = first_visible(i), id = pc.id, ih = pc.ih;
  const int block = int(gl_WorkGroupID.x) * WG * KEYS;
  const int out_row = n * pc.context;
  const float NEG_INF = uintBitsToFloat(0xff800000u);
  if (block > i || block + WG * KEYS <= lo) {  // uniform: nothing visible here
    [[unroll]] for (int k = 0; k < KEYS; ++k)
      if (block + lid + k * WG < pc.context) scores[out_row + block + lid + k * WG] = NEG_INF;
    return;
  }
  // The lane's positions s_k = block + lid + k*WG; invisible ones read any
  // valid row (position i's) and drop the result.
  int row[KEYS];
  bool cached[KEYS];
  [[unroll]] for (int k = 0; k < KEYS; ++k) {
    const int s = block + lid + k * WG;
    const int at = s >= lo && s <= i ? s : i;
    row[k] = key_row(b, at);
    cached[k] = at < pc.first_position;
  }

  const int heads_per_pass = min(ih, min(kQueryFloats / id, kMaxPassHeads));
  float score[KEYS];
  [[unroll]] for (int k = 0; k < KEYS; ++k) score[k] = 0.0;
  for (int h0 = 0; h0 < ih; h0 += heads_per_pass) {
    const int heads = min(heads_per_pass, ih - h0);
    barrier();  // the previous pass's reads are done
    for (int e = lid; e < heads * id; e += WG) qs[e] = iq[(n * ih + h0) * id + e];
    for (int j = lid; j < heads; j += WG) ws[j] = iw[n * ih + h0 + j];
    barrier();
    for (int j0 = 0; j0 < heads; j0 += kHeadTile) {
      float dot[kHeadTile][KEYS];
      [[unroll]] for (int j = 0; j < kHeadTile; ++j)
        [[unroll]] for (int k = 0; k < KEYS; ++k) dot[j][k] = 0.0;
      const int tile = min(kHeadTile, heads - j0);
      for (int d = 0; d < id; ++d) {
        float key[KEYS];
        [[unroll]] for (int k = 0; k < KEYS; ++k) key[k] = key_at(row[k], cached[k], d);
        [[unroll]] for (int j = 0; j < kHeadTile; ++j)
          if (j < tile) {
            const float qd = qs[(j0 + j) * id + d];
            [[unroll]] for (int k = 0; k < KEYS; ++k) dot[j][k] = fma(qd, key[k], dot[j][k]);
          }
      }
      [[unroll]] for (int j = 0; j < kHeadTile; ++j)
        if (j < tile)
          [[unroll]] for (int k = 0; k < KEYS; ++k) score[k] = fma(ws[j0 + j], max(dot[j][k], 0.0), score[k]);
    }
  }
  [[unroll]] for (int k = 0; k < KEYS; ++k) {
    const int s = block + lid + k * WG;
    if (s < pc.context) scores[out_row + s] = s >= lo && s <= i ? score[k] : NEG_INF;
  }
}
