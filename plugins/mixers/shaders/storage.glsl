// storage.glsl -- how the mixers' shaders read and write the problem's own
// tensors (q, k, v, conv_weight, conv_state in; out and the conv window out):
// f32, or bf16 when built with BF16 defined. bf16 values sit two per 32-bit
// word, element 2i in the low half (include/archbench/shaders/bf16.glsl), so
// those buffers are uint arrays and the host refuses odd widths in bf16.
// Gates, betas, decays, states and every scratch buffer are f32 in both
// builds, and all arithmetic is f32.
//
//   ELEM               storage word of a problem tensor (float or uint)
//   STEP               elements per store: 1 (f32) or 2 (a bf16 word)
//   LOAD(buf, e)       element e as f32
//   PUT(buf, e, a, b)  stores element e = a and, under BF16, e + 1 = b (e even)
#ifndef MIXERS_STORAGE_GLSL
#define MIXERS_STORAGE_GLSL
#include "archbench/shaders/bf16_storage.glsl"
#endif
