#version 450
// combine.comp -- y[t] = shared[t] + sum over t's kept slots of weight * expert
// output, each token summing its own slots in slot order (cpu.cpp's combine):
// no float atomics, so the sum is the same on every run.
//
// Bindings: 0 expert_out float[rows, d_model], 1 shared_out float[tokens,
// d_model] (SHARED), 2 row_of int[tokens, K], 3 chosen weights float[tokens,
// K], 4 y float[] (or uint[] of bf16 pairs, BF16).
// f32 grid: 64 lanes over d of one token; x = ceil(d_model / 64), y * z covers
// the tokens. BF16: one lane per storage word of y, i.e. the flat elements
// 2w and 2w + 1, which belong to two tokens where a row of odd width ends
// mid-word: every word has one writer at any d_model. Grid: x * y * 64 lanes
// cover ceil(tokens * d_model / 2) words, in rows of x workgroups.
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint K = 1;
layout(constant_id = 1) const bool SHARED = false;
layout(constant_id = 2) const bool WEIGHTED = true;  // false: Llama 4 scaled the input instead

layout(push_constant) uniform Push { uint tokens, d_model; } pc;

layout(std430, set = 0, binding = 0) readonly buffer ExpertOut { float expert_out[]; };
layout(std430, set = 0, binding = 1) readonly buffer SharedOut { float shared_out[]; };
layout(std430, set = 0, binding = 2) readonly buffer RowOf { int row_of[]; };
layout(std430, set = 0, binding = 3) readonly buffer Chosen { float chosen_weight[]; };
#ifdef BF16
#include "archbench/shaders/bf16.glsl"
layout(std430, set = 0, binding = 4) writeonly buffer Y { uint y[]; };
#else
layout(std430, set = 0, binding = 4) writeonly buffer Y { float y[]; };
#endif

// Flat element `at` = token t, column at - t * d_model: the shared experts'
// output plus each kept slot's weighted expert output, in slot order.
float combined(uint t, uint at) {
  const uint d = at - t * pc.d_model;
  float sum = SHARED ? shared_out[at] : 0.0;
  for (uint j = 0; j < K; ++j) {
    const int row = row_of[t * K + j];
    if (row < 0) continue;
    const float w = WEIGHTED ? chosen_weight[t * K + j] : 1.0;
    sum += w * expert_out[uint(row) * pc.d_model + d];
  }
  return sum;
}

void main() {
#ifdef BF16
  const uint w = gl_WorkGroupID.y * gl_NumWorkGroups.x * 64u + gl_GlobalInvocationID.x;
  const uint total = pc.tokens * pc.d_model, first = 2u * w;
  if (first >= total) return;
  const float a = combined(first / pc.d_model, first);
  // Past the last element (an odd total) the word's high half is padding.
  const float b = first + 1u < total ? combined((first + 1u) / pc.d_model, first + 1u) : 0.0;
  y[w] = bf16_pair(a, b);
#else
  const uint t = gl_WorkGroupID.z * gl_NumWorkGroups.y + gl_WorkGroupID.y;
  const uint d = gl_GlobalInvocationID.x;
  if (t >= pc.tokens || d >= pc.d_model) return;
  y[t * pc.d_model + d] = combined(t, t * pc.d_model + d);
#endif
}
