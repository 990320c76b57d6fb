// Dynamic Tanh, one invocation per element: y = gamma * tanh(alpha * h) + beta
// with h = x (+ residual, also written out). Workgroups of 256 over x and y.
#version 450
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Residual { float residual[]; };
layout(std430, binding = 2) readonly buffer Gamma { float gamma[]; };
layout(std430, binding = 3) readonly buffer Beta { float beta[]; };
layout(std430, binding = 4) writeonly buffer Y { float y[]; };
layout(std430, binding = 5) writeonly buffer ResidualOut { float residual_out[]; };
layout(push_constant) uniform Push { uint elements; uint width; uint has_residual; float alpha; };

void main() {
  const uint i = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 256 + gl_LocalInvocationID.x;
  if (i >= elements) return;
  float h = x[i];
  if (has_residual != 0) {
    h += residual[i];
    residual_out[i] = h;
  }
  const uint c = i % width;
  y[i] = gamma[c] * tanh(alpha * h) + beta[c];
}
