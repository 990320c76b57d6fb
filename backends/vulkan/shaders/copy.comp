// Calibration: memory bandwidth, as a vec4 copy (bytes = read + write).
// A grid-stride loop keeps the dispatch size fixed whatever the buffer size.
#version 450
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer Source { vec4 source[]; };
layout(std430, binding = 1) writeonly buffer Target { vec4 target[]; };
layout(push_constant) uniform Push { uint count; } push;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < push.count; i += stride) target[i] = source[i];
}
