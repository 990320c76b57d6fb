// mla_heads.comp -- attention/mla's per-head matmuls, all heads in one dispatch:
//   C[m*ldc + g*c_head + n] = scale * sum_k A[m*lda + g*a_head + k] * B[(g*K + k)*N + n]
// for rows m < M, heads g < heads, columns n < N.  Used for the absorbed
// query (q_nope,h W_uk,h^T, into the prepared queries, scaled) and for the
// absorbed output (latent_out,h W_uv,h).  A is f32, or bf16 built with BF16
// (storage.glsl); B (the weights, packed per head at create) is f32; C is f32
// when OUT_F32 (the prepared queries) and else the storage type (even N,
// ldc, c_head in paired bf16: a lane stores whole words).
//
// Tiling: a lane computes 4 rows x 2 adjacent columns (8 accumulators); the
// grid is (column pairs / 64, rows / 4, heads).  These matmuls are small next
// to the attention (rows * heads * kv_lora_rank * width), so the shader is
// written for clarity; the large constant-weight matmuls (projections,
// decompression) use the SDK's tiled matmul.
#version 450
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const bool OUT_F32 = false;

layout(std430, set = 0, binding = 0) readonly buffer A { ELEM a[]; };
layout(std430, set = 0, binding = 1) readonly buffer B { float w[]; };  // [heads, K, N]
layout(std430, set = 0, binding = 2) writeonly buffer C { ELEM c[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Cf { float cf[]; };

layout(push_constant) uniform Push {
  int M, N, K;
  int lda, a_head, ldc, c_head;
  float scale;
} pc;

const int TM = 4;

void main() {
  const int n = int(gl_GlobalInvocationID.x) * 2;
  const int m0 = int(gl_WorkGroupID.y) * TM, g = int(gl_WorkGroupID.z);
  if (n >= pc.N) return;
  const bool pair = n + 1 < pc.N;
  int arow[TM];
  [[unroll]] for (int r = 0; r < TM; ++r) arow[r] = min(m0 + r, pc.M - 1) * pc.lda + g * pc.a_head;
  float acc0[TM], acc1[TM];
  [[unroll]] for (int r = 0; r < TM; ++r) { acc0[r] = 0.0; acc1[r] = 0.0; }
  const int wbase = g * pc.K * pc.N + n;
  for (int k = 0; k < pc.K; ++k) {
    const float b0 = w[wbase + k * pc.N];
    const float b1 = pair ? w[wbase + k * pc.N + 1] : 0.0;
    [[unroll]] for (int r = 0; r < TM; ++r) {
      const float x = LOAD(a, arow[r] + k);
      acc0[r] = fma(x, b0, acc0[r]);
      acc1[r] = fma(x, b1, acc1[r]);
    }
  }
  [[unroll]] for (int r = 0; r < TM; ++r) {
    const int m = m0 + r;
    if (m >= pc.M) break;
    const int dst = m * pc.ldc + g * pc.c_head + n;
    if (OUT_F32) {
      cf[dst] = acc0[r] * pc.scale;
      if (pair) cf[dst + 1] = acc1[r] * pc.scale;
    } else if (STEP == 2) {
      PUT(c, dst, acc0[r] * pc.scale, acc1[r] * pc.scale);
    } else {
      PUT(c, dst, acc0[r] * pc.scale, 0.0);
      if (pair) PUT(c, dst + 1, acc1[r] * pc.scale, 0.0);
    }
  }
}
