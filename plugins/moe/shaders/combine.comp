#version 450
// combine.comp -- y[t] = shared[t] + sum over t's kept slots of weight * expert
// output, each token summing its own slots in slot order (cpu.cpp's combine):
// no float atomics, so the sum is the same on every run. Workgroup: 64 lanes
// over d (pairs of d in bf16, one storage word each) of one token.
//
// Bindings: 0 expert_out float[rows, d_model], 1 shared_out float[tokens,
// d_model] (SHARED), 2 row_of int[tokens, K], 3 chosen weights float[tokens,
// K], 4 y float[] (or uint[] of bf16 pairs, BF16; d_model even).
// Grid: x = ceil(d_model / (64 * STEP)), y * z covers the tokens.
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
const uint STEP = 2;
#else
layout(std430, set = 0, binding = 4) writeonly buffer Y { float y[]; };
const uint STEP = 1;
#endif

void main() {
  const uint t = gl_WorkGroupID.z * gl_NumWorkGroups.y + gl_WorkGroupID.y;
  const uint d = gl_GlobalInvocationID.x * STEP;
  if (t >= pc.tokens || d >= pc.d_model) return;
  const uint at = t * pc.d_model + d;
  vec2 sum = SHARED ? vec2(shared_out[at], STEP == 2u ? shared_out[at + 1u] : 0.0) : vec2(0.0);
  for (uint j = 0; j < K; ++j) {
    const int row = row_of[t * K + j];
    if (row < 0) continue;
    const float w = WEIGHTED ? chosen_weight[t * K + j] : 1.0;
    const uint from = uint(row) * pc.d_model + d;
    sum.x += w * expert_out[from];
    if (STEP == 2u) sum.y += w * expert_out[from + 1u];
  }
#ifdef BF16
  y[at >> 1] = bf16_pair(sum.x, sum.y);
#else
  y[at] = sum.x;
#endif
}
