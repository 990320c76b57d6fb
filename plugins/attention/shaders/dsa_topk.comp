// dsa_topk.comp -- attention/dsa's selection: per query row n (position i)
// the top_k of its index scores over the visible positions [lo, i], written
// to selected[n*kept, (n+1)*kept) in position order, -1 padded (kept =
// min(top_k, context); a row seeing n <= top_k positions keeps them all).
// The k-th largest score is found exactly by a radix select over the score's
// bits mapped to an order-preserving uint (32 rounds, each counting the
// scores at or above a candidate threshold: the MSB-first binary search);
// then the positions above it and, in position order, as many ties at it as
// the top_k still needs (as the CPU's nth_element path keeps ties). Scores
// are f32 (dsa_indexer.comp); -0 counts as +0.
// The workgroup is exactly one full subgroup and every count and prefix sum
// a subgroup operation: a 64-lane workgroup with shared-memory reductions
// spent ~7 ms per row in barriers on llvmpipe (5.5 of 7 s at
// dsa:prefill.s1024.h1.ih8.k256).
// Grid: (T, B), one workgroup per query row.
#version 450
#extension GL_KHR_shader_subgroup_arithmetic : enable

layout(local_size_x_id = 0) in;  // the subgroup size
layout(constant_id = 1) const int MASK = 0;  // 0 causal, 1 window, 2 chunk

layout(std430, set = 0, binding = 0) readonly buffer Scores { float scores[]; };  // [rows, context]
layout(std430, set = 0, binding = 1) writeonly buffer Selected { int selected[]; };  // [rows, kept]

layout(push_constant) uniform Push {
  int tokens, first_position, context, span;
  int top_k, kept;
} pc;

int first_visible(int i) {
  if (MASK == 1) return max(0, i - pc.span + 1);
  if (MASK == 2) return (i / pc.span) * pc.span;
  return 0;
}

// Larger scores map to larger keys.
uint order_key(float x) {
  const uint bits = x == 0.0 ? 0u : floatBitsToUint(x);
  return (bits & 0x80000000u) != 0u ? ~bits : bits | 0x80000000u;
}

void main() {
  const int WG = int(gl_WorkGroupSize.x), lid = int(gl_LocalInvocationID.x);
  const int token = int(gl_WorkGroupID.x), b = int(gl_WorkGroupID.y), n = b * pc.tokens + token;
  const int i = pc.first_position + token, lo = first_visible(i), count = i - lo + 1;
  const int row = n * pc.context + lo, out_row = n * pc.kept;
  if (count <= pc.top_k) {  // uniform: every visible position, then padding
    for (int c = lid; c < pc.kept; c += WG) selected[out_row + c] = c < count ? lo + c : -1;
    return;
  }
  const uint k = uint(pc.top_k);
  uint threshold = 0u;  // the largest key with at least k scores at or above it
  for (int bit = 31; bit >= 0; --bit) {
    const uint candidate = threshold | (1u << uint(bit));
    uint at_least = 0u;
    for (int c = lid; c < count; c += WG) at_least += order_key(scores[row + c]) >= candidate ? 1u : 0u;
    if (subgroupAdd(at_least) >= k) threshold = candidate;
  }
  uint above = 0u;
  for (int c = lid; c < count; c += WG) above += order_key(scores[row + c]) > threshold ? 1u : 0u;
  const uint ties = k - subgroupAdd(above);  // >= 1 by the threshold's definition

  uint written = 0u, ties_taken = 0u;
  for (int base = 0; base < count; base += WG) {  // uniform trip count
    const int c = base + lid;
    const uint key = c < count ? order_key(scores[row + c]) : 0u;
    const bool tie = c < count && key == threshold;
    const uint tie_before = subgroupExclusiveAdd(tie ? 1u : 0u);
    const bool take = c < count && (key > threshold || (tie && ties_taken + tie_before < ties));
    const uint at = written + subgroupExclusiveAdd(take ? 1u : 0u);
    if (take) selected[out_row + int(at)] = lo + c;
    written += subgroupAdd(take ? 1u : 0u);
    ties_taken += subgroupAdd(tie ? 1u : 0u);
  }
}
