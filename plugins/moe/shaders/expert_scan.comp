#version 450
// expert_scan.comp -- step 2 of the counting sort: one invocation per expert
// turns its column of per-chunk counts into exclusive offsets (where each
// chunk's first assignment to the expert ranks among all of them, in token
// order) and keeps min(total, capacity) rows for it.
//
// Bindings: 0 chunk_count uint[chunks, experts] (counts in, offsets out),
// 1 kept uint[experts].
layout(local_size_x = 64) in;

layout(push_constant) uniform Push { uint experts, chunks, capacity; } pc;

layout(std430, set = 0, binding = 0) buffer ChunkCount { uint counts[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Kept { uint kept[]; };

void main() {
  const uint e = gl_GlobalInvocationID.x;
  if (e >= pc.experts) return;
  uint running = 0u;
  for (uint c = 0; c < pc.chunks; ++c) {
    const uint n = counts[c * pc.experts + e];
    counts[c * pc.experts + e] = running;
    running += n;
  }
  kept[e] = min(running, pc.capacity);
}
