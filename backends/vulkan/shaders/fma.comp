// Calibration: peak f32 arithmetic. Each invocation runs eight independent
// vec4 FMA chains (enough to cover FMA latency on GPUs and llvmpipe alike)
// and stores their sum so the compiler cannot drop the work.
// flops per invocation = iterations * 8 chains * 4 lanes * 2.
#version 450
layout(local_size_x = 256) in;
layout(std430, binding = 0) writeonly buffer Out { vec4 result[]; };
layout(push_constant) uniform Push { uint iterations; float seed; } push;

void main() {
  const uint id = gl_GlobalInvocationID.x;
  vec4 a = vec4(push.seed + float(id & 7u)) * 1e-3;
  vec4 c0 = a, c1 = a + 1, c2 = a + 2, c3 = a + 3, c4 = a + 4, c5 = a + 5, c6 = a + 6, c7 = a + 7;
  const vec4 m = vec4(0.999999), k = vec4(1e-7);
  for (uint i = 0; i < push.iterations; ++i) {
    c0 = fma(c0, m, k); c1 = fma(c1, m, k); c2 = fma(c2, m, k); c3 = fma(c3, m, k);
    c4 = fma(c4, m, k); c5 = fma(c5, m, k); c6 = fma(c6, m, k); c7 = fma(c7, m, k);
  }
  result[id] = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7;
}
