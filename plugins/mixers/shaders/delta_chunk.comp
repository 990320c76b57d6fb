// delta_chunk.comp -- mixer/gated-deltanet, prefill, pass 2: one chunk of
// the chunked gated delta rule over the prepared rows of delta_prepare.comp
// (q and k normalized, q scaled, v convolved). The host records one dispatch
// per chunk, in order, with a barrier between (llvmpipe caps one
// invocation's loop iterations at 65535, so no workgroup walks them all).
// Workgroup (column block, head, sequence) owns COLS columns of its head's
// state S [DK, DV]: the delta rule's k^T S is per column, so columns never
// mix and blocks run independently. For chunk n of L tokens,
// gamma_i the product of alpha from the chunk's start to token i, S the
// state before the chunk (cpu_chunked.cpp's WY form with the UT transform
// applied to the right-hand side instead of built as a matrix):
//
//   R      = V - diag(gamma) K S                                 [L, COLS]
//   X      = (I + M)^-1 diag(beta) R,  M_ip = beta_i (k_i.k_p) gamma_i/gamma_p, p < i
//            (forward substitution, each lane down its own columns)
//   O      = diag(gamma) Q S + tril(Q K^T * Gamma) X
//   S      = gamma_L S + (K * gamma_L / gamma)^T X
//
// X is V_new of the CPU code (T V - W S); S lives in the final_state output,
// taken as zero by chunk 0, so every replay starts fresh.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

// Lanes: the host's pick, up to 256, so that each lane's share of a chunk
// stays far below llvmpipe's cap at every head width.
layout(local_size_x_id = 4) in;
layout(constant_id = 0) const uint DK = 64;
layout(constant_id = 1) const uint DV = 64;
layout(constant_id = 2) const uint CHUNK = 64;  // L (<= the prompt)
layout(constant_id = 3) const uint COLS = 32;   // state columns per workgroup (even)

layout(std430, set = 0, binding = 0) readonly buffer Mixed { float mixed[]; };  // [b, T, channels]
layout(std430, set = 0, binding = 1) readonly buffer Beta { float beta[]; };    // [b, T, H]
layout(std430, set = 0, binding = 2) readonly buffer Alpha { float alpha[]; };  // [b, T, H]
layout(std430, set = 0, binding = 3) writeonly buffer Out { ELEM o[]; };        // [b, T, H, DV]
layout(std430, set = 0, binding = 4) buffer State { float state[]; };           // [b, H, DK, DV]

layout(push_constant) uniform Push {
  uint tokens;
  uint heads;
  uint qk_heads;
  uint chunks;
  uint chunk;  // n: this dispatch's chunk
} pc;

shared float square[CHUNK * CHUNK];  // K K^T (strictly lower), then tril(Q K^T * Gamma)
shared float x[CHUNK * COLS];         // R, then X
shared float gamma[CHUNK], betas[CHUNK];

// Products of two DK-wide rows of `mixed`, four terms an iteration (fewer
// loop trips on llvmpipe).
float dot_rows(uint a, uint b) {
  float s = 0.0;
  uint d = 0;
  for (; d + 4 <= DK; d += 4)
    s += mixed[a + d] * mixed[b + d] + mixed[a + d + 1] * mixed[b + d + 1] + mixed[a + d + 2] * mixed[b + d + 2] +
         mixed[a + d + 3] * mixed[b + d + 3];
  for (; d < DK; ++d) s += mixed[a + d] * mixed[b + d];
  return s;
}

void main() {
  const uint lane = gl_LocalInvocationID.x, lanes = gl_WorkGroupSize.x;
  const uint block = gl_WorkGroupID.x, h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
  const uint c0 = block * COLS, cols = min(COLS, DV - c0), pairs = cols / STEP;
  const uint g = h / (pc.heads / pc.qk_heads);
  const uint qk = pc.qk_heads * DK, channels = 2 * qk + pc.heads * DV;
  const uint q_at = g * DK, k_at = qk + g * DK, v_at = 2 * qk + h * DV;  // channel offsets in a row
  const uint s0 = (b * pc.heads + h) * DK * DV;

  const uint n = pc.chunk;
  const bool first = n == 0;
  const uint t0 = n * CHUNK, count = min(CHUNK, pc.tokens - t0);
  const uint rows = (b * pc.tokens + t0) * channels;  // row i of the chunk at rows + i * channels
  for (uint i = lane; i < count; i += lanes) {
    float cum = 1.0;  // the same product, in the same order, as a running one
    for (uint p = 0; p <= i; ++p) cum *= alpha[(b * pc.tokens + t0 + p) * pc.heads + h];
    gamma[i] = cum;
    betas[i] = beta[(b * pc.tokens + t0 + i) * pc.heads + h];
  }
  for (uint e = lane; e < count * count; e += lanes) {
    const uint i = e / count, p = e % count;
    float s = 0.0;
    if (p < i) s = dot_rows(rows + i * channels + k_at, rows + p * channels + k_at);
    square[i * CHUNK + p] = s;
  }
  barrier();
  // R = V - diag(gamma) K S
  for (uint e = lane; e < count * cols; e += lanes) {
    const uint i = e / cols, c = e % cols;
    float ks = 0.0;
    if (!first)
      for (uint d = 0; d < DK; ++d) ks += mixed[rows + i * channels + k_at + d] * state[s0 + d * DV + c0 + c];
    x[i * COLS + c] = mixed[rows + i * channels + v_at + c0 + c] - gamma[i] * ks;
  }
  barrier();
  // Forward substitution down each column: rows p < i are final when row i starts.
  for (uint c = lane; c < cols; c += lanes)
    for (uint i = 0; i < count; ++i) {
      float sum = x[i * COLS + c];
      for (uint p = 0; p < i; ++p) sum -= square[i * CHUNK + p] * (gamma[i] / gamma[p]) * x[p * COLS + c];
      x[i * COLS + c] = betas[i] * sum;
    }
  barrier();
  for (uint e = lane; e < count * count; e += lanes) {
    const uint i = e / count, p = e % count;
    float s = 0.0;
    if (p <= i) s = dot_rows(rows + i * channels + q_at, rows + p * channels + k_at) * (gamma[i] / gamma[p]);
    square[i * CHUNK + p] = s;
  }
  barrier();
  for (uint e = lane; e < count * pairs; e += lanes) {
    const uint i = e / pairs, c = (e % pairs) * STEP;
    float acc[2] = float[2](0.0, 0.0);
    for (uint s = 0; s < STEP; ++s) {
      float earlier = 0.0;
      if (!first)
        for (uint d = 0; d < DK; ++d) earlier += mixed[rows + i * channels + q_at + d] * state[s0 + d * DV + c0 + c + s];
      float sum = gamma[i] * earlier;
      for (uint p = 0; p <= i; ++p) sum += square[i * CHUNK + p] * x[p * COLS + c + s];
      acc[s] = sum;
    }
    PUT(o, ((b * pc.tokens + t0 + i) * pc.heads + h) * DV + c0 + c, acc[0], acc[1]);
  }
  memoryBarrierBuffer();
  barrier();  // every read of the state before this chunk is done
  const float end = gamma[count - 1];
  for (uint e = lane; e < DK * cols; e += lanes) {
    const uint d = e / cols, c = e % cols;
    float sum = 0.0;
    for (uint i = 0; i < count; ++i) sum += mixed[rows + i * channels + k_at + d] * (end / gamma[i]) * x[i * COLS + c];
    const uint at = s0 + d * DV + c0 + c;
    state[at] = (first ? 0.0 : end * state[at]) + sum;
  }
}
