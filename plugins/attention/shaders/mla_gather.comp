// mla_gather.comp -- attention/mla absorb 0: lays out the decompressed keys and
// values per head, as prefill.comp / decode.comp read them.
//   dec [b*n, heads*nope | heads*vhd]   the latents x [W_uk | W_uv] (SDK matmul)
//   src [b*n, kvr + rope]               the rows decompressed (cache or this step's rows)
//   keys   [b, heads, n, nope + rope] = [ dec K part of the head | src's RoPE key ]
//   values [b, heads, n, vhd]         =   dec V part of the head
// All f32, or bf16 built with BF16 (storage.glsl: in pairs nope + rope and vhd
// are even and each lane moves whole words).  One workgroup per (row j, batch b); a copy.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Dec { ELEM dec[]; };
layout(std430, set = 0, binding = 1) readonly buffer Src { ELEM src[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Keys { ELEM keys[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Values { ELEM values[]; };

layout(push_constant) uniform Push { int n, heads, nope, rope, vhd, kvr; } pc;

void main() {
  const int WG = int(gl_WorkGroupSize.x);
  const int lid = int(gl_LocalInvocationID.x);
  const int j = int(gl_WorkGroupID.x), b = int(gl_WorkGroupID.y);
  const int row = b * pc.n + j, qk = pc.nope + pc.rope, dw = pc.heads * (pc.nope + pc.vhd);
  const int dec_row = row * dw, src_row = row * (pc.kvr + pc.rope);
  for (int i = lid * STEP; i < pc.heads * qk; i += WG * STEP) {
    const int head = i / qk, d = i % qk;  // d even in bf16, so d + 1 is in the same head
    const float x0 = d < pc.nope ? LOAD(dec, dec_row + head * pc.nope + d) : LOAD(src, src_row + pc.kvr + d - pc.nope);
    float x1 = 0.0;
    if (STEP == 2)
      x1 = d + 1 < pc.nope ? LOAD(dec, dec_row + head * pc.nope + d + 1) : LOAD(src, src_row + pc.kvr + d + 1 - pc.nope);
    PUT(keys, ((b * pc.heads + head) * pc.n + j) * qk + d, x0, x1);
  }
  const int vbase = dec_row + pc.heads * pc.nope;
  for (int i = lid * STEP; i < pc.heads * pc.vhd; i += WG * STEP) {
    const int head = i / pc.vhd, d = i % pc.vhd;
    const float x1 = STEP == 2 ? LOAD(dec, vbase + i + 1) : 0.0;
    PUT(values, ((b * pc.heads + head) * pc.n + j) * pc.vhd + d, LOAD(dec, vbase + i), x1);
  }
}
