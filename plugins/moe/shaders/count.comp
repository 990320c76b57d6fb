#version 450
// count.comp -- step 1 of the counting sort of the (token, slot) assignments
// by expert: one invocation per chunk of consecutive assignments counts how
// many go to each expert. Integer counts, one writer per chunk: the result
// (and the placement built on it) is the same on every run, in token order,
// which the capacity's "first assignments kept" needs.
//
// Bindings: 0 experts int[assignments], 1 chunk_count uint[chunks, experts].
layout(local_size_x = 64) in;

layout(push_constant) uniform Push { uint experts, assignments, chunk, chunks; } pc;

layout(std430, set = 0, binding = 0) readonly buffer Experts { int expert_of[]; };
layout(std430, set = 0, binding = 1) buffer ChunkCount { uint counts[]; };  // a chunk's row is its own

void main() {
  const uint c = gl_GlobalInvocationID.x;
  if (c >= pc.chunks) return;
  const uint base = c * pc.experts;
  for (uint e = 0; e < pc.experts; ++e) counts[base + e] = 0u;
  const uint end = min((c + 1u) * pc.chunk, pc.assignments);
  for (uint a = c * pc.chunk; a < end; ++a) counts[base + uint(expert_of[a])] += 1u;
}
