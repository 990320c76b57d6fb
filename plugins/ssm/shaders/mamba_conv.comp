// mamba_conv.comp -- ssm/mamba's layer level: the causal depthwise conv and
// its SiLU over one segment of rows (b * T + t), and the conv window a decode
// carries to the next token:
//
//   u[t, c] = SiLU(conv_b[c] + sum_k conv_w[c, k] x_in[t - (K-1) + k, c])
//
// where x_in before the first token is the given window (decode: conv_state)
// or zero (prefill). The invocation of a sequence's last token also writes
// conv_out, the K-1 inputs the next token's conv needs, so a decode chain
// carries the window exactly as the CPU layer does. An invocation owns STEP
// adjacent channels of one row (bf16 stores whole words). Rows come in
// segments of at most 65535 workgroups (the portable grid limit), one
// dispatch each. Workgroups: (channel block, row in the segment).
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer X { ELEM x_in[]; };            // [b, T, DI]
layout(std430, set = 0, binding = 1) readonly buffer W { float conv_w[]; };         // [DI, K]
layout(std430, set = 0, binding = 2) readonly buffer Bias { float conv_b[]; };      // [DI]
layout(std430, set = 0, binding = 3) readonly buffer S { float conv_state[]; };     // [b, DI, K-1] (decode)
layout(std430, set = 0, binding = 4) writeonly buffer U { ELEM u[]; };              // [b, T, DI]
layout(std430, set = 0, binding = 5) writeonly buffer S2 { float conv_out[]; };     // [b, DI, K-1]

layout(push_constant) uniform Push {
  uint tokens;     // T: the rows of each sequence
  uint d_inner;    // DI (even under BF16)
  uint d_conv;     // K
  uint first_row;  // this segment's first row
  uint has_state;  // 1: inputs before the first token come from conv_state
} pc;

float silu(float v) { return v / (1.0 + exp(-v)); }

// x_in at token j (negative: the window before the first token) of sequence b.
float input_at(uint b, int j, uint c) {
  const uint window = pc.d_conv - 1u;
  if (j >= 0) return LOAD(x_in, (b * pc.tokens + uint(j)) * pc.d_inner + c);
  return pc.has_state != 0u ? conv_state[(b * pc.d_inner + c) * window + uint(int(window) + j)] : 0.0;
}

void main() {
  const uint c0 = gl_GlobalInvocationID.x * STEP, DI = pc.d_inner;
  if (c0 >= DI) return;
  const uint row = pc.first_row + gl_WorkGroupID.y, T = pc.tokens, b = row / T, t = row % T;
  const int window = int(pc.d_conv) - 1;
  float acc[STEP];
  for (uint s = 0; s < STEP; ++s) acc[s] = conv_b[c0 + s];
  for (uint k = 0; k < pc.d_conv; ++k) {
    const int j = int(t) - window + int(k);
    for (uint s = 0; s < STEP; ++s) acc[s] += conv_w[(c0 + s) * pc.d_conv + k] * input_at(b, j, c0 + s);
  }
  PUT(u, row * DI + c0, silu(acc[0]), silu(acc[STEP - 1]));
  if (t + 1u == T)
    for (int i = 0; i < window; ++i)
      for (uint s = 0; s < STEP; ++s)
        conv_out[(b * DI + c0 + s) * uint(window) + uint(i)] = input_at(b, int(T) - window + i, c0 + s);
}
