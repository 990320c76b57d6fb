// linear_chunk.comp -- mixer/linear and mixer/gla, prefill, pass 2 of 2: the
// chunked parallel form over the prepared rows of linear_prepare.comp.
// Workgroup (column block, head, sequence) owns COLS columns of its head's
// state S [DK, DV] and carries them through the chunks in order; columns of
// S never mix (each is its own recurrence), so blocks run independently and
// only the small causal score matrix is recomputed per block. Per chunk of
// L tokens, with S the state before it:
//
//   A      = tril(Qt Kt^T)                       [L, L], shared memory
//   O      = Qt S + A V   [/ (Qt z + rowsum A)]   the block's output columns
//   S      = end * (S + Kt^T V),   z = end * (z + colsum Kt)
//
// S lives in the final_state output itself (f32, zeroed first, so every
// replay starts fresh); z (normalize) in shared memory, written out by block 0.
#version 450
#extension GL_GOOGLE_include_directive : enable
#include "storage.glsl"

layout(local_size_x = 64) in;
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
layout(std430, set = 0, binding = 5) coherent buffer State { float state[]; };   // [b, H, DK, DV]
layout(std430, set = 0, binding = 6) writeonly buffer Norm { float norm[]; };    // [b, H, DK] (normalize)

layout(push_constant) uniform Push {
  uint tokens;
  uint heads;
  uint chunks;
} pc;

shared float scores[CHUNK * CHUNK];
shared float z[DK];
shared float denominator[CHUNK];

void main() {
  const uint lane = gl_LocalInvocationID.x, lanes = gl_WorkGroupSize.x;
  const uint block = gl_WorkGroupID.x, h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
  const uint c0 = block * COLS, cols = min(COLS, DV - c0), pairs = cols / STEP;
  const uint head = b * pc.heads + h;
  const uint rows = head * pc.tokens * DK;  // row t of qt/kt starts at rows + t * DK
  const uint s0 = head * DK * DV;

  for (uint x = lane; x < DK * cols; x += lanes) state[s0 + (x / cols) * DV + c0 + x % cols] = 0.0;
  if (NORMALIZE)
    for (uint d = lane; d < DK; d += lanes) z[d] = 0.0;
  memoryBarrierBuffer();
  barrier();

  for (uint n = 0; n < pc.chunks; ++n) {
    const uint t0 = n * CHUNK, count = min(CHUNK, pc.tokens - t0);
    const uint chunk_rows = rows + t0 * DK;
    // Causal scores of the chunk.
    for (uint x = lane; x < count * count; x += lanes) {
      const uint i = x / count, j = x % count;
      float s = 0.0;
      if (j <= i)
        for (uint d = 0; d < DK; ++d) s += qt[chunk_rows + i * DK + d] * kt[chunk_rows + j * DK + d];
      scores[i * CHUNK + j] = s;
    }
    barrier();
    if (NORMALIZE) {
      for (uint i = lane; i < count; i += lanes) {
        float den = 0.0;
        for (uint j = 0; j <= i; ++j) den += scores[i * CHUNK + j];
        for (uint d = 0; d < DK; ++d) den += qt[chunk_rows + i * DK + d] * z[d];
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
        for (uint d = 0; d < DK; ++d) sum += qt[chunk_rows + i * DK + d] * state[s0 + d * DV + e + s];
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
        sum += kt[chunk_rows + j * DK + d] * LOAD(v, ((b * pc.tokens + t0 + j) * pc.heads + h) * DV + e);
      const uint at = s0 + d * DV + e;
      state[at] = chunk_end[ends + d] * (state[at] + sum);
    }
    if (NORMALIZE)
      for (uint d = lane; d < DK; d += lanes) {
        float sum = 0.0;
        for (uint j = 0; j < count; ++j) sum += kt[chunk_rows + j * DK + d];
        z[d] = chunk_end[ends + d] * (z[d] + sum);
      }
    memoryBarrierBuffer();
    barrier();
  }
  if (NORMALIZE && block == 0)
    for (uint d = lane; d < DK; d += lanes) norm[head * DK + d] = z[d];
}
