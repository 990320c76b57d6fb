// archbench SDK: bf16 storage helpers for GLSL (no extension needed).
// bf16 is the top half of an f32; values sit two per 32-bit word, element 2i
// in the low half (little-endian, as the host stores uint16 arrays). Stores
// round to nearest even exactly as the host's sdk::f32_to_bf16 does, NaN kept
// (made quiet), so a shader's bf16 output matches the host's rounding bit for bit.
#ifndef ARCHBENCH_BF16_GLSL
#define ARCHBENCH_BF16_GLSL

float bf16_lo(uint w) { return uintBitsToFloat(w << 16); }
float bf16_hi(uint w) { return uintBitsToFloat(w & 0xFFFF0000u); }
vec2 bf16_unpack2(uint w) { return vec2(bf16_lo(w), bf16_hi(w)); }
vec4 bf16_quad(uvec2 w) { return vec4(bf16_unpack2(w.x), bf16_unpack2(w.y)); }

uint bf16_bits(float f) {
  const uint b = floatBitsToUint(f);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u) return (b >> 16) | 0x40u;  // NaN: keep it, quiet
  return (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16;
}
uint bf16_pair(float lo, float hi) { return bf16_bits(lo) | (bf16_bits(hi) << 16); }
uvec2 bf16_pack4(vec4 v) { return uvec2(bf16_pair(v.x, v.y), bf16_pair(v.z, v.w)); }

#endif
