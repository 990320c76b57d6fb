// storage.glsl -- how the ssm shaders read and write the problem's activations
// (u, delta, B, C, z, y; x, dt for Mamba-2): f32, or bf16 when built with BF16
// defined. bf16 values sit two per 32-bit word, element 2i in the low half
// (include/archbench/shaders/bf16.glsl), so those buffers are uint arrays and
// each invocation owns STEP adjacent channels: a bf16 store writes a whole word,
// never half of one another invocation also writes. Weights (a_log, D), the
// states and all arithmetic are f32 in both builds.
//
//   ELEM               storage word of an activation tensor (float or uint)
//   STEP               channels per invocation: 1 (f32) or 2 (one bf16 word)
//   LOAD(buf, e)       element e as f32
//   PUT(buf, e, a, b)  stores element e = a and, under BF16, e + 1 = b (e even)
#ifndef SSM_STORAGE_GLSL
#define SSM_STORAGE_GLSL
#include "archbench/shaders/bf16_storage.glsl"

// Where a segment's starting state comes from (push constant `source`): zero
// (a prefill's first segment), the problem's `state` (a decode), or state_out,
// which the previous segment of the same invocation's channels left there.
const uint FROM_ZERO = 0u, FROM_STATE = 1u, FROM_STATE_OUT = 2u;
#endif
