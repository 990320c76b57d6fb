// storage.glsl -- how the attention shaders read and write the problem's
// tensors (q/k/v inputs, K/V scratch and cache, out): f32, or bf16 when built
// with BF16 defined, in one of two layouts:
//   BF16 alone: two values per 32-bit word, element 2i in the low half
//     (little-endian, as the host lays them out), so the buffers are uint
//     arrays and a store writes a whole word (a pair).  Every row of even
//     width starts on a word; the host takes this build when every row width
//     is even, since whole-word stores and 4-wide loads are the cheap ones.
//   BF16 and BF16_16BIT: uint16_t arrays (GL_EXT_shader_16bit_storage, the
//     device's storageBuffer16BitAccess), one element per store.  For odd
//     widths, whose rows start mid-word: there two invocations writing the two
//     halves of one word would race in the paired layout.
// Both store the same bits.  Arithmetic is always f32; bf16 = the top 16 bits
// of an f32, stores round to nearest even exactly like sdk::f32_to_bf16 (NaN
// -> quiet NaN).  Prepared queries, partials and host tables stay f32.
//
//   ELEM            storage element of a tensor (float, uint pair or uint16_t)
//   ELEM4           four consecutive elements (vec4, uvec2 of bf16 pairs or
//                   u16vec4), for 4-wide loads at element offsets that are
//                   multiples of 4
//   STEP            elements per store: 1, or 2 in the paired layout
//   BF16_PAIRS      defined in the paired layout, for code that stores pairs
//   LOAD(buf, e)    element e as f32
//   LOAD4(buf4, e)  elements e..e+3 as vec4 from an ELEM4 view (e % 4 == 0)
//   PUT(buf, e, a, b)  stores element e = a, and in the paired layout
//                   e+1 = b (e even); otherwise `b` is not even expanded, so
//                   it may name x[d + 1] past the end of a row.
#if defined(BF16) && defined(BF16_16BIT)
#extension GL_EXT_shader_16bit_storage : require
#define ELEM uint16_t
#define ELEM4 u16vec4
const int STEP = 1;
#include "archbench/shaders/bf16.glsl"
#define LOAD(buf, e) uintBitsToFloat(uint(buf[e]) << 16)
#define LOAD4(buf4, e) uintBitsToFloat(uvec4(buf4[(e) >> 2]) << 16)
#define PUT(buf, e, a, b) buf[e] = uint16_t(bf16_bits(a))
#elif defined(BF16)
#define BF16_PAIRS
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
