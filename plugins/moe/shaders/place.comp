#version 450
// place.comp -- step 4 of the counting sort: one invocation per chunk walks
// its assignments in token order and gives each its row within its expert's
// block (the chunk's offset plus what the chunk already placed there), or -1
// where the expert's capacity is used up (Switch-style drop). Rows record
// their token (the grouped GEMM reads x through it) and routing weight.
//
// Bindings: 0 experts int[assignments], 1 chunk offsets uint[chunks, experts]
// (advanced in place), 2 first_row uint[experts + 1], 3 chosen weights
// float[assignments], 4 row_of int[assignments] (out), 5 row_token uint[rows]
// (out), 6 row_weight float[rows] (out).
layout(local_size_x = 64) in;

layout(push_constant) uniform Push { uint experts, top_k, assignments, chunk, chunks, capacity; } pc;

layout(std430, set = 0, binding = 0) readonly buffer Experts { int expert_of[]; };
layout(std430, set = 0, binding = 1) buffer ChunkOffset { uint offsets[]; };
layout(std430, set = 0, binding = 2) readonly buffer FirstRow { uint first_row[]; };
layout(std430, set = 0, binding = 3) readonly buffer Chosen { float chosen_weight[]; };
layout(std430, set = 0, binding = 4) writeonly buffer RowOf { int row_of[]; };
layout(std430, set = 0, binding = 5) writeonly buffer RowToken { uint row_token[]; };
layout(std430, set = 0, binding = 6) writeonly buffer RowWeight { float row_weight[]; };

void main() {
  const uint c = gl_GlobalInvocationID.x;
  if (c >= pc.chunks) return;
  const uint end = min((c + 1u) * pc.chunk, pc.assignments);
  for (uint a = c * pc.chunk; a < end; ++a) {
    const uint e = uint(expert_of[a]);
    const uint rank = offsets[c * pc.experts + e]++;
    if (rank >= pc.capacity) {
      row_of[a] = -1;
      continue;
    }
    const uint row = first_row[e] + rank;
    row_of[a] = int(row);
    row_token[row] = a / pc.top_k;
    row_weight[row] = chosen_weight[a];
  }
}
