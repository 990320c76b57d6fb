// archbench plugin SDK, Vulkan part: the host side of the SDK's tiled matmul
// shader (include/archbench/shaders/matmul.glsl). A plugin compiles its own
// .comp that includes the shader, with the epilogue and tiling as defines, and
// hands the SPIR-V and the same tiling to sdk::vulkan::Matmul, which packs
// the constant B once, uploads it and records the dispatches:
//
//   C[M, N] = epilogue(A[M, K] B[K, N] + bias)      A, C: f32 storage buffers
//
// or, for shaders built with -DBF16 (tiling.bf16), A, B and C in bf16 storage
// (B given as bf16 bits; K, N and MM_TN even) with f32 arithmetic; built with
// -DBF16 -DBF16_16BIT as well (tiling.bf16_16bit), A and C are 16-bit arrays:
// any K, N and strides, on devices with storageBuffer16BitAccess.
//
// B larger than the device's maxStorageBufferRange (128 MiB on lavapipe) is
// split into slices of whole column panels, each its own buffer and dispatch.
#pragma once

#include <archbench/sdk_vulkan.hpp>
#include <archbench/shaders/matmul_pack.hpp>

#include <memory>
#include <vector>

namespace archbench::sdk::vulkan {

// The shader's default path exchanges A through subgroup shuffles among groups
// of 8 lanes; devices without shuffles, or with subgroups that are not a
// multiple of 8 lanes, take the plain shared-memory build (-DMM_SHARED_A).
inline bool matmul_uses_subgroups(const Device& device) {
  const uint32_t size = device.subgroup_size();
  return device.has(AB_VK_SUBGROUP_SHUFFLE) && size >= 8 && size <= 64 && size % 8 == 0;
}

// Row strides of A and C in elements when they are not K and N (A rows inside
// wider rows, e.g. the first K values of each cache row); 0 means K / N.
struct MatmulStrides {
  uint32_t lda = 0, ldc = 0;
};

class Matmul {
 public:
  // `b` (and `b_up` for GATED builds) are row-major [K, N] on the host: floats for f32
  // builds, bf16 bits (uint16_t) for BF16 builds (tiling.bf16).
  // `bias` is a binding of N floats, or any small buffer when the build has no HAS_BIAS.
  Matmul(const Device& device, Spirv spirv, const MatmulTiling& tiling, const float* b, const float* b_up,
         uint32_t m, uint32_t k, uint32_t n, Binding a, Binding c, Binding bias, MatmulStrides strides = {}) {
    init(device, spirv, tiling, b, b_up, m, k, n, a, c, bias, strides);
  }
  Matmul(const Device& device, Spirv spirv, const MatmulTiling& tiling, const uint16_t* b, const uint16_t* b_up,
         uint32_t m, uint32_t k, uint32_t n, Binding a, Binding c, Binding bias, MatmulStrides strides = {}) {
    if (tiling.bf16_16bit) {
      if (!device.has(AB_VK_STORAGE_16BIT))
        throw std::invalid_argument("sdk::vulkan::Matmul: BF16_16BIT builds need storageBuffer16BitAccess");
    } else if (tiling.tn % 2 || k % 2 || n % 2 || strides.lda % 2 || strides.ldc % 2) {
      // the paired build reads A and writes C in whole 32-bit words (pairs of bf16)
      throw std::invalid_argument("sdk::vulkan::Matmul: bf16 pairs need even K, N, strides and tiling.tn");
    }
    init(device, spirv, tiling, b, b_up, m, k, n, a, c, bias, strides);
  }

  void record(VkCommandBuffer cmd) const {
    for (const Step& s : steps_) kernel_->dispatch(cmd, s.set, s.push, s.groups_x, s.groups_y);
  }

 private:
  template <class T>
  void init(const Device& device, Spirv spirv, const MatmulTiling& tiling,
            const T* b, const T* b_up, uint32_t m, uint32_t k, uint32_t n, Binding a, Binding c, Binding bias,
            MatmulStrides strides) {
    const auto slices = matmul_dispatches(m, n, k, tiling, device.max_storage_range());
    kernel_ = std::make_unique<Kernel>(device, spirv, 4, sizeof(MatmulPushConstants),
                                       Specialization{}, uint32_t(slices.size()));
    const std::vector<T> packed = pack_matmul_b(b, b_up, k, n, tiling);
    const size_t panel_elements = matmul_panel_elements(k, tiling);
    for (const auto& slice : slices) {
      Step step;
      const auto first = packed.begin() + ptrdiff_t(slice.panel_begin * panel_elements);
      step.weights = Buffer::with(device, std::vector<T>(first, first + ptrdiff_t(slice.panel_count * panel_elements)));
      step.set = kernel_->bind({a, Binding::of(step.weights), c, bias});
      step.push = {m, n, k, strides.lda ? strides.lda : k, strides.ldc ? strides.ldc : n,
                   slice.panel_begin * tiling.panel_width()};
      require_groups("the matmul", slice.groups_x, slice.groups_y);
      step.groups_x = slice.groups_x;
      step.groups_y = slice.groups_y;
      steps_.push_back(std::move(step));
    }
  }

  struct Step {
    Buffer weights;
    VkDescriptorSet set = VK_NULL_HANDLE;
    MatmulPushConstants push{};
    uint32_t groups_x = 0, groups_y = 0;
  };
  std::unique_ptr<Kernel> kernel_;
  std::vector<Step> steps_;
};

}  // namespace archbench::sdk::vulkan
