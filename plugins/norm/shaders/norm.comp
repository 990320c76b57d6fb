// RMSNorm / LayerNorm, one row per workgroup, with the optional fused
// residual add (h = x + residual, also written out as residual_out).
//
// Defines: LAYER (LayerNorm: subtract the mean, add beta), RESIDUAL, BF16
// (x, residual, y, residual_out stored as bf16, two per 32-bit word, so rows
// must have an even width; gamma and beta stay f32).
// Push constants: rows, d_model, eps. Dispatch: one workgroup per row, rows
// spread over x and y (x <= 65535); surplus workgroups return at once.
//
// The op is memory-bound and a row is small, so a workgroup reads its row
// from memory once and from cache afterwards: pass 1 sums (writing h when
// fusing the residual), pass 2 sums squared deviations, pass 3 writes y.
// Row sums use subgroupAdd plus one shared slot per subgroup: two barriers per
// reduction whatever the subgroup size (8 on lavapipe, 32/64 on GPUs).
#version 450
#extension GL_KHR_shader_subgroup_arithmetic : require

// 64 invocations: llvmpipe runs a workgroup as one coroutine per 8 lanes and
// switches through all of them at every barrier, so fewer is faster there
// (256 measured 15-30% slower); 64 still fills a GPU warp/wave twice over.
layout(local_size_x = 64) in;

#ifdef BF16
#define UNIT uint   // one storage word = two bf16 values
#else
#define UNIT float
#endif

layout(std430, binding = 0) readonly buffer X { UNIT x[]; };
layout(std430, binding = 1) readonly buffer Residual { UNIT residual[]; };
layout(std430, binding = 2) readonly buffer Gamma { float gamma[]; };
layout(std430, binding = 3) readonly buffer Beta { float beta[]; };
layout(std430, binding = 4) writeonly buffer Y { UNIT y[]; };
layout(std430, binding = 5) writeonly buffer ResidualOut { UNIT residual_out[]; };

layout(push_constant) uniform Push {
  uint rows;
  uint d_model;
  float eps;
} push;

shared float partial[gl_WorkGroupSize.x];

// Values per storage unit, and unit <-> vec2 conversions (the f32 path uses .x only).
#ifdef BF16
const uint PER_UNIT = 2;
vec2 unpack(uint w) { return vec2(uintBitsToFloat(w << 16), uintBitsToFloat(w & 0xFFFF0000u)); }
uint bf16_bits(float f) {  // round to nearest even, as the host does
  uint b = floatBitsToUint(f);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u) return (b >> 16) | 0x40u;
  return (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16;
}
uint pack(vec2 v) { return bf16_bits(v.x) | (bf16_bits(v.y) << 16); }
#else
const uint PER_UNIT = 1;
vec2 unpack(float f) { return vec2(f, 0.0); }
float pack(vec2 v) { return v.x; }
#endif

float workgroup_sum(float value) {
  value = subgroupAdd(value);
  if (gl_SubgroupInvocationID == 0) partial[gl_SubgroupID] = value;
  barrier();
  float total = 0.0;
  for (uint s = 0; s < gl_NumSubgroups; ++s) total += partial[s];
  barrier();  // partial[] is reused by the next reduction
  return total;
}

// h for storage unit u: x (+ residual), unrounded (re-read from cache rather
// than from residual_out, whose bf16 rounding the reference does not apply).
vec2 load_h(uint u) {
#ifdef RESIDUAL
  return unpack(x[u]) + unpack(residual[u]);
#else
  return unpack(x[u]);
#endif
}

void main() {
  const uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (row >= push.rows) return;  // uniform across the workgroup: no barrier is skipped by some only
  const uint units = push.d_model / PER_UNIT;
  const uint base = row * units;
  const uint lane = gl_LocalInvocationID.x, step = gl_WorkGroupSize.x;

  float sum = 0.0;
  for (uint u = lane; u < units; u += step) {
    const vec2 h = load_h(base + u);
#ifdef RESIDUAL
    residual_out[base + u] = pack(h);
#endif
    sum += h.x + h.y;
  }
  float mean = 0.0;
#ifdef LAYER
  mean = workgroup_sum(sum) / float(push.d_model);
#endif

  float squares = 0.0;
  for (uint u = lane; u < units; u += step) {
    const vec2 d = load_h(base + u) - mean;
    squares += d.x * d.x + (PER_UNIT == 2 ? d.y * d.y : 0.0);
  }
  const float inverse = inversesqrt(workgroup_sum(squares) / float(push.d_model) + push.eps);

  for (uint u = lane; u < units; u += step) {
    const vec2 h = load_h(base + u);
    const uint e = u * PER_UNIT;
    vec2 out_value;
    out_value.x = (h.x - mean) * inverse * gamma[e];
#ifdef LAYER
    out_value.x += beta[e];
#endif
    if (PER_UNIT == 2) {
      out_value.y = (h.y - mean) * inverse * gamma[e + 1];
#ifdef LAYER
      out_value.y += beta[e + 1];
#endif
    }
    y[base + u] = pack(out_value);
  }
}
