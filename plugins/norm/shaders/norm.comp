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
// Rows whose width is a multiple of 4 move 4 values per load and store (vec4,
// or a uvec2 of bf16): llvmpipe turns every load into a per-lane loop, so
// fewer, wider loads are what make it faster there (and GPUs like them too).
// Row sums use subgroupAdd plus one shared slot per subgroup: two barriers per
// reduction whatever the subgroup size (8 on lavapipe, 32/64 on GPUs).
#version 450
#extension GL_KHR_shader_subgroup_arithmetic : require
#include "archbench/shaders/bf16.glsl"

// 64 invocations: llvmpipe runs a workgroup as one coroutine per 8 lanes and
// switches through all of them at every barrier, so fewer is faster there
// (256 measured 15-30% slower); 64 still fills a GPU warp/wave twice over.
layout(local_size_x = 64) in;

#ifdef BF16
#define UNIT uint    // two bf16 values
#define QUAD uvec2   // four bf16 values
#else
#define UNIT float
#define QUAD vec4
#endif

// Each buffer is declared twice on its binding: by unit and by quad of 4 values.
layout(std430, binding = 0) readonly buffer X { UNIT x[]; };
layout(std430, binding = 0) readonly buffer X4 { QUAD x4[]; };
layout(std430, binding = 1) readonly buffer Residual { UNIT residual[]; };
layout(std430, binding = 1) readonly buffer Residual4 { QUAD residual4[]; };
layout(std430, binding = 2) readonly buffer Gamma { float gamma[]; };
layout(std430, binding = 2) readonly buffer Gamma4 { vec4 gamma4[]; };
layout(std430, binding = 3) readonly buffer Beta { float beta[]; };
layout(std430, binding = 3) readonly buffer Beta4 { vec4 beta4[]; };
layout(std430, binding = 4) writeonly buffer Y { UNIT y[]; };
layout(std430, binding = 4) writeonly buffer Y4 { QUAD y4[]; };
layout(std430, binding = 5) writeonly buffer ResidualOut { UNIT residual_out[]; };
layout(std430, binding = 5) writeonly buffer ResidualOut4 { QUAD residual_out4[]; };

layout(push_constant) uniform Push {
  uint rows;
  uint d_model;
  float eps;
} push;

shared float partial[gl_WorkGroupSize.x];

// Storage <-> f32. A unit holds PER_UNIT values, returned in .x (and .y).
#ifdef BF16
const uint PER_UNIT = 2;
vec2 unpack(uint w) { return bf16_unpack2(w); }
uint pack(vec2 v) { return bf16_pair(v.x, v.y); }
vec4 unpack4(uvec2 w) { return bf16_quad(w); }
uvec2 pack4(vec4 v) { return bf16_pack4(v); }
#else
const uint PER_UNIT = 1;
vec2 unpack(float f) { return vec2(f, 0.0); }
float pack(vec2 v) { return v.x; }
vec4 unpack4(vec4 v) { return v; }
vec4 pack4(vec4 v) { return v; }
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

// Item i of a row is a quad (4 values) when `quads`, else a unit; values an
// item does not have read as 0 and are masked out of the sums.
bool quads;
uint row_items;  // items per row

vec4 load_h(uint row, uint i) {
  const uint at = row * row_items + i;
  if (quads) {
#ifdef RESIDUAL
    return unpack4(x4[at]) + unpack4(residual4[at]);
#else
    return unpack4(x4[at]);
#endif
  }
#ifdef RESIDUAL
  return vec4(unpack(x[at]) + unpack(residual[at]), 0.0, 0.0);
#else
  return vec4(unpack(x[at]), 0.0, 0.0);
#endif
}

void store(uint row, uint i, vec4 value, bool residual_stream) {
  const uint at = row * row_items + i;
  if (quads) {
    if (residual_stream) residual_out4[at] = pack4(value);
    else y4[at] = pack4(value);
  } else {
    if (residual_stream) residual_out[at] = pack(value.xy);
    else y[at] = pack(value.xy);
  }
}

vec4 real_values() { return quads ? vec4(1.0) : (PER_UNIT == 2 ? vec4(1.0, 1.0, 0.0, 0.0) : vec4(1.0, 0.0, 0.0, 0.0)); }

vec4 gamma_of(uint i) {
  if (quads) return gamma4[i];
  const uint e = i * PER_UNIT;
  return vec4(gamma[e], PER_UNIT == 2 ? gamma[e + 1] : 0.0, 0.0, 0.0);
}

vec4 beta_of(uint i) {
  if (quads) return beta4[i];
  const uint e = i * PER_UNIT;
  return vec4(beta[e], PER_UNIT == 2 ? beta[e + 1] : 0.0, 0.0, 0.0);
}

void main() {
  const uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (row >= push.rows) return;  // uniform across the workgroup: no barrier is skipped by some only
  quads = push.d_model % 4 == 0;
  row_items = quads ? push.d_model / 4 : push.d_model / PER_UNIT;
  const uint lane = gl_LocalInvocationID.x, step = gl_WorkGroupSize.x;
  const vec4 real = real_values();

  float sum = 0.0;
  for (uint i = lane; i < row_items; i += step) {
    const vec4 h = load_h(row, i);
#ifdef RESIDUAL
    store(row, i, h, true);
#endif
    sum += dot(h, vec4(1.0));
  }
  float mean = 0.0;
#ifdef LAYER
  mean = workgroup_sum(sum) / float(push.d_model);
#endif

  float squares = 0.0;
  for (uint i = lane; i < row_items; i += step) {
    const vec4 d = (load_h(row, i) - mean) * real;
    squares += dot(d, d);
  }
  const float inverse = inversesqrt(workgroup_sum(squares) / float(push.d_model) + push.eps);

  for (uint i = lane; i < row_items; i += step) {
    vec4 value = (load_h(row, i) - mean) * inverse * gamma_of(i);
#ifdef LAYER
    value += beta_of(i);
#endif
    store(row, i, value, false);
  }
}
