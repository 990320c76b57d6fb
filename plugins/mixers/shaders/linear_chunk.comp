// linear_chunk.comp -- mixer/linear and mixer/gla, prefill, pass 2: one chunk
// of the chunked parallel form over the prepared rows of linear_prepare.comp.
// The host records one dispatch per chunk, in order, with a barrier between:
// the state is what passes from one to the next. (Not one long-running
// workgroup walking every chunk: llvmpipe caps the loop iterations of one
// shader invocation at 65535 and silently leaves loops past that.)
// Workgroup (column block, head, sequence) owns COLS columns of its head's
// state S [DK, DV]; columns of S never mix (each is its own recurrence), so
// blocks run independently and only the causal scores are recomputed per
// block. For chunk n of L tokens, S the state before it:
//
//   A      = tril(Qt Kt^T)                       [L, L], shared memory
//   O      = Qt S + A V   [/ (Qt z + rowsum A)]   the block's output columns
//   S      = end * (S + Kt^T V),   z = end * (z + colsum Kt)
//
// S lives in the final_state output itself; chunk 0 takes it as zero, so
// every replay starts fresh. Each block keeps its own copy of z (normalize)
// in a scratch, so no block reads what another is writing; block 0 writes
// final_norm after the last chunk.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

// Lanes: the host's pick, up to 256, so that each lane's share of a chunk
// stays far below llvmpipe's cap at every head width.
layout(local_size_x_id = 5) in;
layout(constant_id = 0) const uint DK = 64;
layout(constant_id = 1) const uint DV = 64;
layout(constant_id = 2) const uint CHUNK = 64;  // L: tokens per chunk (<= the prompt)
layout(constant_id = 3) const uint COLS = 32;   // state columns per workgroup (even)
layout(constant_id = 4) const bool NORMALIZE = false;

layout(std430, set = 0, binding = 0) readonly buffer Qt { float qt[]; };         // [b, H, T, DK]
layout(std430, set = 0, binding = 1) readonly buffer Kt { float kt[]; };         // [b, H, T, DK]
layout(std430, set = 0, binding = 2) readonly buffer End { float chunk_end[]; }; // [b, H, chunks, DK]
layout(std430, set = 0, binding = 3) readonly buffer V { ELEM v[]; };            // [b, T, H, DV]
layout(std430, set = 0, binding = 4) writeonly buffer Out { ELEM o[]; };         // [b, T, H, DV]
layout(std430, set = 0, binding = 5) buffer State { float state[]; };            // [b, H, DK, DV]
layout(std430, set = 0, binding = 6) buffer Z { float z[]; };                    // [b, H, blocks, DK] (normalize)
layout(std430, set = 0, binding = 7) writeonly buffer Norm { float norm[]; };    // [b, H, DK] (normalize)

layout(push_constant) uniform Push {
  uint tokens;
  uint heads;
  uint chunks;
  uint chunk;  // n: this dispatch's chunk
} pc;

shared float scores[CHUNK * CHUNK];
shared float denominator[CHUNK];

// Row products over DK, four terms an iteration (fewer loop trips on llvmpipe).
float dot_qk(uint a, uint b) {
  float s = 0.0;
  uint d = 0;
  for (; d + 4 <= DK; d += 4)
    s += qt[a + d] * kt[b + d] + qt[a + d + 1] * kt[b + d + 1] + qt[a + d + 2] * kt[b + d + 2] +
         qt[a + d + 3] * kt[b + d + 3];
  for (; d < DK; ++d) s += qt[a + d] * kt[b + d];
  return s;
}

void main() {
  const uint lane = gl_LocalInvocationID.x, lanes = gl_WorkGroupSize.x;
  const uint block = gl_WorkGroupID.x, h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
  const uint c0 = block * COLS, cols = min(COLS, DV - c0), pairs = cols / STEP;
  const uint head = b * pc.heads + h;
  const uint n = pc.chunk, t0 = n * CHUNK, count = min(CHUNK, pc.tokens - t0);
  const uint rows = (head * pc.tokens + t0) * DK;  // row i of the chunk's qt/kt at rows + i * DK
  const uint s0 = head * DK * DV;
  const uint z0 = (head * gl_NumWorkGroups.x + block) * DK;
  const bool first = n == 0;

  // Causal scores of the chunk.
  for (uint x = lane; x < count * count; x += lanes) {
    const uint i = x / count, j = x % count;
    scores[i * CHUNK + j] = j <= i ? dot_qk(rows + i * DK, rows + j * DK) : 0.0;
  }
  barrier();
  if (NORMALIZE) {
    for (uint i = lane; i < count; i += lanes) {
      float den = 0.0;
      for (uint j = 0; j <= i; ++j) den += scores[i * CHUNK + j];
      if (!first)
        for (uint d = 0; d < DK; ++d) den += qt[rows + i * DK + d] * z[z0 + d];
      denominator[i] = den;
    }
    barrier();
  }
  // Outputs: the earlier chunks through S, this chunk through A.
  for (uint x = lane; x < count * pairs; x += lanes) {
    const uint i = x / pairs, e = c0 + (x % pairs) * STEP;
    float acc[2] = float[2](0.0, 0.0);
    for (uint s = 0; s < STEP; ++s) {
      float sum = 0.0;
      if (!first)
        for (uint d = 0; d < DK; ++d) sum += qt[rows + i * DK + d] * state[s0 + d * DV + e + s];
      for (uint j = 0; j <= i; ++j)
        sum += scores[i * CHUNK + j] * LOAD(v, ((b * pc.tokens + t0 + j) * pc.heads + h) * DV + e + s);
      acc[s] = NORMALIZE ? sum / denominator[i] : sum;
    }
    PUT(o, ((b * pc.tokens + t0 + i) * pc.heads + h) * DV + e, acc[0], acc[1]);
  }
  memoryBarrierBuffer();
  barrier();  // every read of the state before this chunk is done
  const uint ends = (head * pc.chunks + n) * DK;
  for (uint x = lane; x < DK * cols; x += lanes) {
    const uint d = x / cols, e = c0 + x % cols;
    float sum = 0.0;
    for (uint j = 0; j < count; ++j)
      sum += kt[rows + j * DK + d] * LOAD(v, ((b * pc.tokens + t0 + j) * pc.heads + h) * DV + e);
    const uint at = s0 + d * DV + e;
    state[at] = chunk_end[ends + d] * ((first ? 0.0 : state[at]) + sum);
  }
  if (NORMALIZE)
    for (uint d = lane; d < DK; d += lanes) {
      float sum = 0.0;
      for (uint j = 0; j < count; ++j) sum += kt[rows + j * DK + d];
      const float next = chunk_end[ends + d] * ((first ? 0.0 : z[z0 + d]) + sum);
      z[z0 + d] = next;
      if (n + 1 == pc.chunks && block == 0) norm[head * DK + d] = next;
    }
}
