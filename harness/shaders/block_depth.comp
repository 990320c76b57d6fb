#version 450
// A block's mixture of depths on Vulkan (harness/block_vulkan.cpp), one pass per
// build (PASS), one lane per row of the hidden stream [batch x tokens, d_model]:
//   0 scores   score = x . router
//   1 select   kept = 1 where the row ranks among its sequence's top `kept` by
//              (score, then earlier position), else 0
//   2 gather   a kept row's slot = kept rows before it in its sequence: its
//              position goes to chosen, its values to the inner stream
//   3 scatter  y = x + sigmoid(score) * (inner_y - inner_x) on kept rows, x elsewhere
// bf16 (-DBF16) rows are whole words: the host requires an even d_model there.
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 64) in;
layout(push_constant) uniform Push {
  uint batch;
  uint tokens;
  uint kept;
  uint d_model;
} p;

#include "archbench/shaders/bf16_storage.glsl"

layout(std430, set = 0, binding = 0) readonly buffer X { ELEM x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Router { ELEM router[]; };
layout(std430, set = 0, binding = 2) buffer Scores { float scores[]; };
layout(std430, set = 0, binding = 3) buffer Chosen { int chosen[]; };
layout(std430, set = 0, binding = 4) buffer Kept { int kept_rows[]; };
layout(std430, set = 0, binding = 5) buffer InnerX { ELEM inner_x[]; };
layout(std430, set = 0, binding = 6) readonly buffer InnerY { ELEM inner_y[]; };
layout(std430, set = 0, binding = 7) buffer Y { ELEM y[]; };

void main() {
  const uint r = gl_GlobalInvocationID.y * (gl_NumWorkGroups.x * 64u) + gl_GlobalInvocationID.x;
  if (r >= p.batch * p.tokens) return;
  const uint base = (r / p.tokens) * p.tokens, t = r - base;
  const uint words = p.d_model / STEP;  // per row
#if PASS == 0
  float sum = 0.0;
  for (uint c = 0; c < p.d_model; ++c) sum += LOAD(x, r * p.d_model + c) * LOAD(router, c);
  scores[r] = sum;
#elif PASS == 1
  const float mine = scores[r];
  uint rank = 0;
  for (uint u = 0; u < p.tokens; ++u) {
    const float other = scores[base + u];
    if (other > mine || (other == mine && u < t)) ++rank;
  }
  kept_rows[r] = rank < p.kept ? 1 : 0;
#elif PASS == 2
  if (kept_rows[r] == 0) return;
  uint slot = 0;
  for (uint u = 0; u < t; ++u) slot += uint(kept_rows[base + u]);
  slot += (base / p.tokens) * p.kept;
  chosen[slot] = int(t);
  for (uint w = 0; w < words; ++w) inner_x[slot * words + w] = x[r * words + w];
#else
  if (kept_rows[r] == 0) {
    for (uint w = 0; w < words; ++w) y[r * words + w] = x[r * words + w];
    return;
  }
  // The row's slot: its position among the sequence's kept ones (ascending).
  const uint first = (base / p.tokens) * p.kept;
  uint lo = 0, hi = p.kept;
  while (hi - lo > 1) {
    const uint mid = (lo + hi) / 2;
    if (uint(chosen[first + mid]) <= t) lo = mid; else hi = mid;
  }
  const uint slot = first + lo;
  const float gate = 1.0 / (1.0 + exp(-scores[r]));
  for (uint e = 0; e < p.d_model; e += STEP) {
    const float a = LOAD(x, r * p.d_model + e) + gate * (LOAD(inner_y, slot * p.d_model + e) - LOAD(inner_x, slot * p.d_model + e));
#ifdef BF16
    const float b = LOAD(x, r * p.d_model + e + 1) +
                    gate * (LOAD(inner_y, slot * p.d_model + e + 1) - LOAD(inner_x, slot * p.d_model + e + 1));
#else
    const float b = 0.0;
#endif
    PUT(y, r * p.d_model + e, a, b);
  }
#endif
}
