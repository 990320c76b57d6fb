// bf16_storage.glsl -- a problem tensor stored as f32, or as bf16 when the shader
// is built with BF16 defined. bf16 values sit two per 32-bit word, element 2i in
// the low half (bf16.glsl), so such buffers are uint arrays and a store writes a
// whole word: two adjacent elements at once. For shaders whose invocations own
// pairs of elements (the mixers' and the SSMs'); arithmetic stays f32.
//
//   ELEM               storage word (float or uint)
//   STEP               elements per store: 1 (f32) or 2 (a bf16 word)
//   LOAD(buf, e)       element e as f32
//   PUT(buf, e, a, b)  stores element e = a and, under BF16, e + 1 = b (e even)
#ifndef ARCHBENCH_BF16_STORAGE_GLSL
#define ARCHBENCH_BF16_STORAGE_GLSL
#ifdef BF16
#include "archbench/shaders/bf16.glsl"
#define ELEM uint
const uint STEP = 2;
#define LOAD(buf, e) ((((e) & 1u) == 0u) ? bf16_lo(buf[(e) >> 1]) : bf16_hi(buf[(e) >> 1]))
#define PUT(buf, e, a, b) buf[(e) >> 1] = bf16_pair(a, b)
#else
#define ELEM float
const uint STEP = 1;
#define LOAD(buf, e) buf[e]
#define PUT(buf, e, a, b) buf[e] = (a)
#endif
#endif
