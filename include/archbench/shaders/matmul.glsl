// archbench SDK: tiled matmul core.   C[M,N] = epilogue(A[M,K] * B[K,N] + bias[N])
// f32 storage, or bf16 storage (-DBF16) with f32 arithmetic.
//
// Include from a .comp after `#version 450` (glslc -I <repo>/include), e.g.
//   glslc --target-env=vulkan1.2 -O -I include -DGATED -DACT_SILU -DMM_TN=2 ffn_matmul.comp
// Defines:
//   epilogue : (none) plain | ACT_SILU | ACT_GELU_TANH | ACT_SOFTPLUS ; HAS_BIAS (bias[n] added
//              before the activation) ; GATED (C = act(A*Bg [+bias]) * (A*Bu), Bg/Bu interleaved in B)
//   tiling   : MM_TM (8 or 16, rows per 8-lane group), MM_TN (columns per lane),
//              MM_WG_GM (1,2,4,8: groups stacked along M in a workgroup). The host must use
//              the same numbers in archbench/shaders/matmul_pack.hpp (MatmulTiling).
//   Measured best on lavapipe: plain MM_TM=8 MM_TN=3; GATED MM_TM=8 MM_TN=2 (both 32 or
//   fewer accumulators, MM_WG_GM=1); BF16 plain MM_TN=4 (~15% faster than 2).
//   storage  : BF16 - A, packed B and C hold bf16 (two per 32-bit word, element 2i in the
//              low half), unpacked to f32 for the FMAs and rounded to nearest even at the
//              store, as the host's sdk::f32_to_bf16. A lane stores whole words, so MM_TN
//              must be even, and K, lda, N, ldc even (the host checks). Bias stays f32.
//              BF16 with BF16_16BIT - A and C are uint16_t arrays instead
//              (GL_EXT_shader_16bit_storage; the device's storageBuffer16BitAccess), read
//              and written one element at a time like f32: any K, lda, N, ldc, for rows
//              of odd width, which start mid-word, where two lanes storing the halves
//              of one word would race. B stays packed in pairs (host-padded).
// Bindings (set 0, std430 storage buffers): 0 A float[] (row stride lda), 1 packed B vec4[]
//   (layout: matmul_pack.hpp), 2 C float[] (row stride ldc), 3 bias float[] (dummy if unused);
//   with BF16, A and C are uint[] (uint16_t[] with BF16_16BIT; strides still in elements)
//   and B is uvec2[] (4 bf16 k's).
// Push constants: M, N, K, lda, ldc, n_base (uint each, 24 bytes). Workgroup: 64 x 1 x 1.
// Dispatch: x = ceil(M / (MM_TM*MM_WG_GM)), y = ceil(panels / (8/MM_WG_GM)); see
//   matmul_dispatches() - B is split into <= maxStorageBufferRange pieces (128 MiB on
//   lavapipe), each a separate dispatch with B bound at that piece and n_base set.
// Default path requires subgroup basic + shuffle ops, subgroup size 8..64 and a multiple
//   of 8, whole subgroups in the 64-invocation workgroup (true on lavapipe, NVIDIA, AMD,
//   Intel). Otherwise compile with -DMM_SHARED_A (no subgroup ops needed).
//
// Tiling. The workgroup is 8 groups of 8 consecutive subgroup lanes. A group computes an
// MM_TM x (8*MM_TN) block of C: every lane owns MM_TN adjacent columns (one "panel" of
// 8*MM_TN columns per group) and all MM_TM rows, so a lane holds MM_TM*MM_TN(*2 gated)
// accumulators in registers. K is walked 4 at a time:
//   - B: each lane reads its own MM_TN(*2) vec4s (BF16: uvec2s) = 4 consecutive k of each
//     of its columns; the host packed B as [panel][k/4][column][gate,up][4 k] so a group's
//     reads for one k-block are one contiguous run (coalesced on GPUs, streaming on CPUs),
//     zero-padded in K and N so the inner loop has no bounds checks.
//   - A: lane L of the group reads 4 consecutive k of row m0+L (+8j) - 8 rows per group
//     read cooperatively, once - and the values are exchanged with subgroupShuffle within
//     the group (lane sg_base|r, r a compile-time constant), so every A element read from
//     memory feeds 8*MM_TN (x2) FMAs and every B element MM_TM FMAs.
// A rows past M are clamped (results discarded at the store), the K tail (K % 4) is one
// extra guarded step, panels past the bound B range are clamped to the last one.
//
// Why this shape (Mesa lavapipe / llvmpipe, 8-wide SIMD, one workgroup per CPU thread):
//   - llvmpipe scalarises every non-uniform SSBO/shared load into a per-lane loop with an
//     exec-mask and a bounds test per component (~5-8 instructions per lane per float), so
//     the cost of a matmul there is counted in "loaded floats per FMA". Reading A once per
//     group and exchanging it with register shuffles (constant lane index after unrolling)
//     and holding 24-32 accumulators per lane (32 did not spill badly here, so LLVM
//     presumably uses AVX-512VL's 32 ymm registers) brings it to ~0.17 loaded floats/FMA.
//     In measurements subgroupShuffle(v, sg_base|r) was much faster than
//     subgroupBroadcast(v, r) on lavapipe 22.3 (27.6 vs 16.1 GFLOP/s); MM_TM=16 variants
//     and MM_WG_GM>1 measured slower.
//   - Shared memory: the default path keeps the A tile in registers and exchanges it with
//     subgroupShuffle; define MM_SHARED_A for the classic shared-memory tile instead (each
//     group stages MM_TM rows x 4*MM_KC k of A in shared memory, two barrier()s per
//     MM_KC k-blocks, lanes read the values back as group-uniform loads). Use it where
//     subgroup shuffle is missing or the subgroup size is < 8 / not a multiple of 8. On
//     llvmpipe it is ~3.5x slower (a shared load is the same per-lane scalar loop as an
//     SSBO load, plus the stores and the barriers, which are coroutine switches); on GPUs
//     both paths are reasonable (warp shuffle from registers vs shared-memory broadcast).
//   - No barriers in the default path, so llvmpipe runs each 8-lane group start to
//     finish; the groups of a workgroup share A rows (MM_WG_GM=1) and workgroup x walks M,
//     so consecutive workgroups reuse the same B panels from cache. (Chunking K with
//     barriers to interleave the groups was tried: no gain.)
//   - On GPUs: B reads per group are contiguous 8*MM_TN*16 (BF16: 8) bytes (gated x2) per k-block,
//     A reads are 16-byte vectors per lane, FMAs on registers, no shared memory or
//     barriers; occupancy is limited by ~40 registers/lane, fine for these tile sizes.
//   - BF16 halves the words loaded per FMA (A and B) and the weight bytes streamed; the
//     unpack is a shift or a mask per value. On lavapipe the FFN quick shape (128 tokens,
//     1024 -> 2816) ran ~1.4-1.6x faster than f32.
#extension GL_EXT_control_flow_attributes : require
#if defined(BF16) && defined(BF16_16BIT)
#extension GL_EXT_shader_16bit_storage : require
#elif defined(BF16)
#define MM_PAIRS  // A and C in 32-bit words of two bf16
#endif
#ifndef MM_SHARED_A
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#endif

#ifndef MM_TM
#define MM_TM 8
#endif
#ifndef MM_TN
#define MM_TN 3
#endif
#ifndef MM_WG_GM
#define MM_WG_GM 1
#endif
#define MM_WG_GN (8 / MM_WG_GM)

#ifdef GATED
#define MM_NMAT 2
#else
#define MM_NMAT 1
#endif
#define MM_S (MM_TN * MM_NMAT)
#define MM_NP (8 * MM_TN)
#define MM_TJ (MM_TM / 8)
#if defined(MM_PAIRS) && (MM_TN % 2) != 0
#error "BF16 needs an even MM_TN: each lane stores whole 32-bit words (two columns)"
#endif

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout(push_constant) uniform MatmulPC {
  uint M, N, K, lda, ldc, n_base;
} pc;

#if defined(MM_PAIRS)
layout(std430, set = 0, binding = 0) readonly buffer MatA { uint a_data[]; };
layout(std430, set = 0, binding = 1) readonly buffer MatB { uvec2 b_data[]; };
layout(std430, set = 0, binding = 2) writeonly buffer MatC { uint c_data[]; };
#elif defined(BF16)
layout(std430, set = 0, binding = 0) readonly buffer MatA { uint16_t a_data[]; };
layout(std430, set = 0, binding = 1) readonly buffer MatB { uvec2 b_data[]; };
layout(std430, set = 0, binding = 2) writeonly buffer MatC { uint16_t c_data[]; };
#else
layout(std430, set = 0, binding = 0) readonly buffer MatA { float a_data[]; };
layout(std430, set = 0, binding = 1) readonly buffer MatB { vec4 b_data[]; };
layout(std430, set = 0, binding = 2) writeonly buffer MatC { float c_data[]; };
#endif
layout(std430, set = 0, binding = 3) readonly buffer Bias { float bias_data[]; };

#include "archbench/shaders/bf16.glsl"

// Storage access. i is an element index; A's 4-value loads start at an element that is a
// multiple of 4 (k) in a row of even stride, so with pairs they are two whole words.
// mm_a / mm_put: one element of A / C, in the element-wise layouts (f32, BF16_16BIT).
#if defined(MM_PAIRS)
vec4 mm_load_a4(uint i) { return vec4(bf16_unpack2(a_data[i >> 1]), bf16_unpack2(a_data[(i >> 1) + 1u])); }
vec4 mm_load_b(uint i) { return bf16_quad(b_data[i]); }
uint mm_pack(float lo, float hi) { return bf16_pair(lo, hi); }
#else
#if defined(BF16)
float mm_a(uint i) { return uintBitsToFloat(uint(a_data[i]) << 16); }
vec4 mm_load_b(uint i) { return bf16_quad(b_data[i]); }
#define mm_put(i, v) c_data[i] = uint16_t(bf16_bits(v))
#else
float mm_a(uint i) { return a_data[i]; }
vec4 mm_load_b(uint i) { return b_data[i]; }
#define mm_put(i, v) c_data[i] = (v)
#endif
vec4 mm_load_a4(uint i) { return vec4(mm_a(i), mm_a(i + 1u), mm_a(i + 2u), mm_a(i + 3u)); }
#endif

float mm_act(float v) {
#if defined(ACT_SILU)
  return v / (1.0 + exp(-v));
#elif defined(ACT_GELU_TANH)
  float u = 0.7978845608028654 * (v + 0.044715 * v * v * v);
  return 0.5 * v * (1.0 + tanh(u));
#elif defined(ACT_SOFTPLUS)
  // log(1 + e^v) = max(v, 0) + log1p(e^-|v|): no overflow for large v. Mamba's dt
  // sits at v ~ -7 (softplus ~ 1e-3), where log(1.0 + e) would lose ~1e-4 of it to
  // the rounding of 1 + e; log(u) e / (u - 1) with u = 1 + e cancels that rounding.
  const float e = exp(-abs(v)), u = 1.0 + e;
  return max(v, 0.0) + (u == 1.0 ? e : log(u) * (e / (u - 1.0)));
#else
  return v;
#endif
}

#define MM_BC(v, R) subgroupShuffle(v, sg_base | uint(R))

#ifdef MM_SHARED_A
#ifndef MM_KC
#define MM_KC 8
#endif
// A tile per 8-lane group: MM_TM rows x MM_KC k-blocks of 4 (8 KiB at TM=8, KC=8)
shared vec4 mm_sa[8][MM_TM][MM_KC];
#endif

#define MM_ROW(R)                                                        \
  [[unroll]] for (uint j = 0; j < MM_TJ; ++j) {                          \
    vec4 ar = MM_BC(av[j], R);                                           \
    [[unroll]] for (uint s = 0; s < MM_S; ++s) {                         \
      acc[R + 8 * j][s] = fma(ar.x, bv[s].x, acc[R + 8 * j][s]);         \
      acc[R + 8 * j][s] = fma(ar.y, bv[s].y, acc[R + 8 * j][s]);         \
      acc[R + 8 * j][s] = fma(ar.z, bv[s].z, acc[R + 8 * j][s]);         \
      acc[R + 8 * j][s] = fma(ar.w, bv[s].w, acc[R + 8 * j][s]);         \
    }                                                                    \
  }

void main() {
#ifdef MM_SHARED_A
  const uint lane = gl_LocalInvocationIndex & 7u;
  const uint grp = gl_LocalInvocationIndex >> 3;
#else
  const uint lane = gl_SubgroupInvocationID & 7u;
  const uint sg_base = gl_SubgroupInvocationID & ~7u;
  const uint grp = (gl_SubgroupID * gl_SubgroupSize + gl_SubgroupInvocationID) >> 3;
#endif
  const uint gm = grp % MM_WG_GM;
  const uint gn = grp / MM_WG_GM;
  const uint m0 = (gl_WorkGroupID.x * MM_WG_GM + gm) * MM_TM;
  const uint panel = gl_WorkGroupID.y * MM_WG_GN + gn;
  // panels past the bound B range (last workgroup of the last dispatch) read the last valid panel
  const uint panel_ld = min(panel, (pc.N - pc.n_base - 1u) / MM_NP);
  const uint K = pc.K;
  const uint KB = (K + 3u) >> 2;
  const uint Mlast = pc.M - 1u;

  uint arow[MM_TJ];
  [[unroll]] for (uint j = 0; j < MM_TJ; ++j) arow[j] = min(m0 + lane + 8u * j, Mlast) * pc.lda;

  float acc[MM_TM][MM_S];
  [[unroll]] for (uint r = 0; r < MM_TM; ++r)
    [[unroll]] for (uint s = 0; s < MM_S; ++s) acc[r][s] = 0.0;

  uint bidx = (panel_ld * KB * MM_NP + lane * MM_TN) * MM_NMAT;
  const uint bstride = MM_NP * MM_NMAT;
#ifndef MM_SHARED_A
  // --- subgroup path: A tile exchanged through registers (subgroupShuffle) ---
  const uint kfull = K >> 2;
  for (uint kb = 0; kb < kfull; ++kb) {
    const uint k = kb * 4u;
    vec4 av[MM_TJ];
    [[unroll]] for (uint j = 0; j < MM_TJ; ++j)
      av[j] = mm_load_a4(arow[j] + k);
    vec4 bv[MM_S];
    [[unroll]] for (uint s = 0; s < MM_S; ++s) bv[s] = mm_load_b(bidx + s);
    bidx += bstride;
    MM_ROW(0) MM_ROW(1) MM_ROW(2) MM_ROW(3) MM_ROW(4) MM_ROW(5) MM_ROW(6) MM_ROW(7)
  }
  if (kfull < KB) {
    const uint k = kfull * 4u;
    vec4 av[MM_TJ];
    [[unroll]] for (uint j = 0; j < MM_TJ; ++j) {
#ifdef MM_PAIRS
      av[j] = vec4(bf16_unpack2(a_data[(arow[j] + k) >> 1]), 0.0, 0.0);  // K even: the tail is one pair
#else
      float a0 = mm_a(arow[j] + k);
      float a1 = k + 1u < K ? mm_a(arow[j] + min(k + 1u, K - 1u)) : 0.0;
      float a2 = k + 2u < K ? mm_a(arow[j] + min(k + 2u, K - 1u)) : 0.0;
      av[j] = vec4(a0, a1, a2, 0.0);
#endif
    }
    vec4 bv[MM_S];
    [[unroll]] for (uint s = 0; s < MM_S; ++s) bv[s] = mm_load_b(bidx + s);
    MM_ROW(0) MM_ROW(1) MM_ROW(2) MM_ROW(3) MM_ROW(4) MM_ROW(5) MM_ROW(6) MM_ROW(7)
  }
#else
  // --- shared-memory path: each group stages its MM_TM x (4*MM_KC) A tile in shared
  // memory, then every lane reads the (group-uniform) A values back as broadcasts ---
  for (uint kb0 = 0; kb0 < KB; kb0 += MM_KC) {
    barrier();
    [[unroll]] for (uint kc = 0; kc < MM_KC; ++kc) {
      const uint k = (kb0 + kc) * 4u;
      [[unroll]] for (uint j = 0; j < MM_TJ; ++j) {
        vec4 v;
#ifdef MM_PAIRS
        const uint w = (arow[j] + k) >> 1;  // K even: pairs are all in or all out
        v = vec4(k < K ? bf16_unpack2(a_data[w]) : vec2(0.0),
                 k + 2u < K ? bf16_unpack2(a_data[w + 1u]) : vec2(0.0));
#else
        [[unroll]] for (uint q = 0; q < 4u; ++q) {
          const uint kq = k + q;
          v[q] = kq < K ? mm_a(arow[j] + kq) : 0.0;
        }
#endif
        mm_sa[grp][lane + 8u * j][kc] = v;
      }
    }
    barrier();
    const uint kcn = min(uint(MM_KC), KB - kb0);
    for (uint kc = 0; kc < kcn; ++kc) {
      vec4 bv[MM_S];
      [[unroll]] for (uint s = 0; s < MM_S; ++s) bv[s] = mm_load_b(bidx + s);
      bidx += bstride;
      [[unroll]] for (uint r = 0; r < MM_TM; ++r) {
        const vec4 ar = mm_sa[grp][r][kc];
        [[unroll]] for (uint s = 0; s < MM_S; ++s) {
          acc[r][s] = fma(ar.x, bv[s].x, acc[r][s]);
          acc[r][s] = fma(ar.y, bv[s].y, acc[r][s]);
          acc[r][s] = fma(ar.z, bv[s].z, acc[r][s]);
          acc[r][s] = fma(ar.w, bv[s].w, acc[r][s]);
        }
      }
    }
  }
#endif

#ifdef GATED
#define MM_OUT(r, t, bn) (mm_act(acc[r][2 * (t)] + (bn)) * acc[r][2 * (t) + 1])
#else
#define MM_OUT(r, t, bn) mm_act(acc[r][t] + (bn))
#endif
  const uint nl0 = pc.n_base + panel * MM_NP + lane * MM_TN;
#ifdef MM_PAIRS
  // nl0 and N are even, so a column pair is all in or all out and one word of C
  [[unroll]] for (uint t = 0; t < MM_TN; t += 2) {
    const uint n = nl0 + t;
    if (n < pc.N) {
#ifdef HAS_BIAS
      vec2 bn = vec2(bias_data[n], bias_data[n + 1u]);
#else
      vec2 bn = vec2(0.0);
#endif
      [[unroll]] for (uint r = 0; r < MM_TM; ++r) {
        const uint m = m0 + r;
        if (m < pc.M) c_data[(m * pc.ldc + n) >> 1] = mm_pack(MM_OUT(r, t, bn.x), MM_OUT(r, t + 1u, bn.y));
      }
    }
  }
#else
  [[unroll]] for (uint t = 0; t < MM_TN; ++t) {
    const uint n = nl0 + t;
    if (n < pc.N) {
#ifdef HAS_BIAS
      float bn = bias_data[n];
#else
      float bn = 0.0;
#endif
      [[unroll]] for (uint r = 0; r < MM_TM; ++r) {
        const uint m = m0 + r;
        if (m < pc.M) mm_put(m * pc.ldc + n, MM_OUT(r, t, bn));
      }
    }
  }
#endif
}
