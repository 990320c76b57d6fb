// archbench SDK: host side of archbench/shaders/matmul.glsl (header-only, C++17,
// no Vulkan headers). Packs the constant B matrix once (f32, or bf16 bits as
// uint16_t for BF16 builds: the packed weights are then half the bytes, as a
// bf16 kernel's weight traffic is), describes the push constants and computes
// dispatch sizes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace archbench::sdk::vulkan {

// Must match the MM_* defines the shader was compiled with.
struct MatmulTiling {
  uint32_t tm = 8;      // MM_TM: rows per 8-lane group (8 or 16)
  uint32_t tn = 3;      // MM_TN: columns per lane; a group covers 8*tn columns (one "panel")
  uint32_t wg_gm = 1;   // MM_WG_GM: groups along M per 64-invocation workgroup (1,2,4,8)
  bool gated = false;   // GATED: B = interleaved (gate, up)
  bool bf16 = false;    // BF16: A, packed B and C stored as bf16 (tn, K, N, lda, ldc even)
  bool bf16_16bit = false;  // and BF16_16BIT: A and C as 16-bit elements (any K, N, lda, ldc)

  uint32_t wg_gn() const { return 8 / wg_gm; }
  uint32_t panel_width() const { return 8 * tn; }             // columns per panel
  uint32_t nmat() const { return gated ? 2u : 1u; }
  uint32_t element_bytes() const { return bf16 ? 2u : 4u; }
};

// std430 push-constant block `MatmulPC` of matmul.glsl (24 bytes).
struct MatmulPushConstants {
  uint32_t M;       // rows of A / C
  uint32_t N;       // columns of C (total; stores are masked against it)
  uint32_t K;       // inner dimension
  uint32_t lda;     // row stride of A in elements
  uint32_t ldc;     // row stride of C in elements
  uint32_t n_base;  // first column of C this dispatch writes (= first panel bound * panel_width)
};

// Packed layout (elements: float, or uint16_t bf16 bits): panel p (columns [p*NP, p*NP+NP)),
// then k-block kb (4 k's), then column c within the panel, then matrix g (gate, up), then
// the 4 k values (one vec4, or one uvec2 of bf16 pairs, per lane and k-block):
//   packed[((((p * KB + kb) * NP + c) * nmat + g) * 4) + kk] = Bg[(kb*4+kk) * N + p*NP + c]
// zero-padded past K and N. KB = ceil(K/4). One panel is KB*NP*nmat*4 elements.
inline size_t matmul_panel_elements(uint32_t K, const MatmulTiling& t) {
  return size_t((K + 3) / 4) * t.panel_width() * t.nmat() * 4;
}
inline uint64_t matmul_panel_bytes(uint32_t K, const MatmulTiling& t) {
  return uint64_t(matmul_panel_elements(K, t)) * t.element_bytes();
}
inline uint32_t matmul_panels(uint32_t N, const MatmulTiling& t) {
  return (N + t.panel_width() - 1) / t.panel_width();
}

// B, B_up: row-major [K, N] of T = float (f32 builds) or uint16_t (bf16 bits, BF16 builds;
// a zero word is +0.0 in both). B_up must be given iff t.gated.
template <class T>
std::vector<T> pack_matmul_b(const T* B, const T* B_up, uint32_t K, uint32_t N, const MatmulTiling& t) {
  if (t.gated != (B_up != nullptr)) throw std::invalid_argument("pack_matmul_b: B_up iff gated");
  if (sizeof(T) != t.element_bytes()) throw std::invalid_argument("pack_matmul_b: element type vs tiling.bf16");
  const uint32_t NP = t.panel_width(), nm = t.nmat(), KB = (K + 3) / 4, P = matmul_panels(N, t);
  std::vector<T> out(size_t(P) * matmul_panel_elements(K, t), T(0));
  for (uint32_t p = 0; p < P; ++p)
    for (uint32_t kb = 0; kb < KB; ++kb)
      for (uint32_t c = 0; c < NP; ++c) {
        const uint32_t n = p * NP + c;
        if (n >= N) continue;
        for (uint32_t g = 0; g < nm; ++g) {
          const T* src = g ? B_up : B;
          T* dst = &out[((((size_t(p) * KB + kb) * NP + c) * nm + g) * 4)];
          for (uint32_t kk = 0; kk < 4; ++kk) {
            const uint32_t k = kb * 4 + kk;
            if (k < K) dst[kk] = src[size_t(k) * N + n];
          }
        }
      }
  return out;
}

// One dispatch covers panels [panel_begin, panel_begin + panel_count): bind packed B at
// byte offset panel_begin * matmul_panel_bytes (range panel_count * panel bytes),
// set n_base = panel_begin * panel_width. Split so each B range fits max_range bytes
// (VkPhysicalDeviceLimits::maxStorageBufferRange, 128 MiB on lavapipe) and every piece
// starts at a multiple of min_align (minStorageBufferOffsetAlignment, a power of two).
struct MatmulDispatch {
  uint32_t panel_begin, panel_count;
  uint32_t groups_x, groups_y, groups_z;
};

inline std::vector<MatmulDispatch> matmul_dispatches(uint32_t M, uint32_t N, uint32_t K,
                                                     const MatmulTiling& t,
                                                     uint64_t max_range = 1ull << 27,
                                                     uint64_t min_align = 256) {
  const uint64_t panel_bytes = matmul_panel_bytes(K, t);
  const uint32_t P = matmul_panels(N, t), gn = t.wg_gn();
  // panels per dispatch: a multiple of the workgroup's panel count, within max_range
  uint64_t per = std::max<uint64_t>(1, max_range / panel_bytes);
  if (per >= gn) per -= per % gn;
  while (per > gn && (per * panel_bytes) % min_align) per -= gn;
  if (per < gn || (P > per && (per * panel_bytes) % min_align))
    throw std::invalid_argument("matmul_dispatches: cannot split B within max_range / alignment");
  std::vector<MatmulDispatch> out;
  const uint32_t gx = (M + t.tm * t.wg_gm - 1) / (t.tm * t.wg_gm);
  for (uint32_t p = 0; p < P; p += uint32_t(per)) {
    const uint32_t cnt = uint32_t(std::min<uint64_t>(per, P - p));
    out.push_back({p, cnt, gx, (cnt + gn - 1) / gn, 1});
  }
  return out;
}

}  // namespace archbench::sdk::vulkan
