// storage.glsl -- how the attention shaders read and write the problem's
// tensors (q/k/v inputs, K/V scratch and cache, out): f32, or bf16 when built
// with BF16 defined.  bf16 values sit two per 32-bit word, element 2i in the
// low half (little-endian, as the host lays them out), so the buffers are
// uint arrays and every row of even width starts on a word; the host refuses
// odd widths in bf16.  Arithmetic is always f32; bf16 = the top 16 bits of an
// f32, stores round to nearest even exactly like sdk::f32_to_bf16 (NaN ->
// quiet NaN).  Prepared queries, partials and host tables stay f32.
//
//   ELEM            storage word of a tensor (float or uint)
//   ELEM4           four consecutive elements (vec4, or uvec2 of bf16 pairs),
//                   for 4-wide loads at element offsets that are multiples of 4
//   STEP            elements per store: 1 (f32) or 2 (a bf16 word)
//   LOAD(buf, e)    element e as f32
//   LOAD4(buf4, e)  elements e..e+3 as vec4 from an ELEM4 view (e % 4 == 0)
//   PUT(buf, e, a, b)  stores element e = a, and under BF16 e+1 = b (e even);
//                   in f32 `b` is not even expanded, so it may name x[d + 1]
//                   past the end of a row.
#ifdef BF16
#define ELEM uint
#define ELEM4 uvec2
const int STEP = 2;
#include "archbench/shaders/bf16.glsl"
#define LOAD(buf, e) (((e) & 1) == 0 ? bf16_lo(buf[(e) >> 1]) : bf16_hi(buf[(e) >> 1]))
#define LOAD4(buf4, e) bf16_quad(buf4[(e) >> 2])
#define PUT(buf, e, a, b) buf[(e) >> 1] = bf16_pair(a, b)
#else
#define ELEM float
#define ELEM4 vec4
const int STEP = 1;
#define LOAD(buf, e) buf[e]
#define LOAD4(buf4, e) buf4[(e) >> 2]
#define PUT(buf, e, a, b) buf[e] = (a)
#endif
