// Host side of shaders/grouped_matmul.comp: every expert's weights packed once
// (the SDK's matmul_pack.hpp layout, expert after expert), cut into slices
// that fit one storage binding, one dispatch per slice. Routed: the shader
// finds its expert and rows in the plan tables the routing shaders wrote on
// the device, so the dispatch sizes are bounds and nothing is read back.
// Dense (dense_rows > 0): one "expert", rows 0..dense_rows-1 (router, shared experts).
// tiling.tm is the build's MM_TM: 8, or 1 for one-row builds (plan.comp's
// TILE_ROWS must agree for routed ones).
#pragma once

#include <archbench/sdk_vulkan_matmul.hpp>

#include <algorithm>
#include <memory>
#include <vector>

namespace archbench::plugins::moe {

namespace sv = sdk::vulkan;

// The tables plan.comp and place.comp fill (any small buffer in dense mode).
struct PlanBindings {
  sv::Binding first_row, first_tile, tiles, row_token, row_weight;
};

struct GroupedMatmulShape {
  uint32_t experts, k, n;     // B_e is [k, n] for e < experts
  uint32_t dense_rows;        // > 0: dense mode over these rows
  uint32_t rows_per_expert;   // routed: the most rows one expert can get
  uint32_t rows;              // routed: the most rows all experts together can get
};

class GroupedMatmul {
 public:
  // b (and b_up, gated) hold the experts' row-major [k, n] matrices one after
  // another: floats, or bf16 bits (uint16_t) for B_BF16 builds.
  template <class T>
  GroupedMatmul(const sv::Device& device, sv::Spirv spirv, const sv::MatmulTiling& tiling,
                const sv::Specialization& constants, const GroupedMatmulShape& shape, const T* b, const T* b_up,
                sv::Binding a, sv::Binding c, const PlanBindings& plan) {
    const uint64_t panel_bytes = sv::matmul_panel_bytes(shape.k, tiling);
    const uint32_t panels = sv::matmul_panels(shape.n, tiling);
    const size_t panel_elements = sv::matmul_panel_elements(shape.k, tiling);
    const std::vector<Slice> slices = cut(shape.experts, panels, panel_bytes, device.max_storage_range());
    kernel_ = std::make_unique<sv::Kernel>(device, spirv, 8, sizeof(Push), constants, uint32_t(slices.size()));

    std::vector<T> packed;  // the last expert packed, reused by its panel slices
    uint32_t packed_expert = UINT32_MAX;
    for (const Slice& slice : slices) {
      std::vector<T> data;
      data.reserve(size_t(slice.expert_end - slice.expert_begin) * slice.panel_count * panel_elements);
      for (uint32_t e = slice.expert_begin; e < slice.expert_end; ++e) {
        if (e != packed_expert) {
          const size_t offset = size_t(e) * shape.k * shape.n;
          packed = sv::pack_matmul_b(b + offset, b_up ? b_up + offset : nullptr, shape.k, shape.n, tiling);
          packed_expert = e;
        }
        const auto first = packed.begin() + ptrdiff_t(slice.panel_begin * panel_elements);
        data.insert(data.end(), first, first + ptrdiff_t(slice.panel_count * panel_elements));
      }
      Step step;
      step.weights = sv::Buffer::with(device, data);
      step.set = kernel_->bind({a, sv::Binding::of(step.weights), c, plan.first_row, plan.first_tile, plan.tiles,
                                plan.row_token, plan.row_weight});
      step.push = {shape.n, shape.k, shape.k, shape.n, slice.panel_begin * tiling.panel_width(), slice.panel_count,
                   slice.expert_begin, slice.expert_end, shape.dense_rows};
      // Workgroups: one per tile (tiling.tm rows, the shader's MM_TM, x 8
      // panels), as many as the slice's experts can need: each at most its
      // rows / tm rounded up, so all of them at most rows / tm + one per
      // expert. x is folded into z past 32768.
      const uint64_t experts = slice.expert_end - slice.expert_begin;
      const uint64_t tiles =
          shape.dense_rows > 0 ? ceil_div(shape.dense_rows, tiling.tm)
                               : std::min(ceil_div(shape.rows, tiling.tm) + experts,
                                          experts * ceil_div(shape.rows_per_expert, tiling.tm));
      step.groups_x = uint32_t(std::clamp<uint64_t>(tiles, 1, 32768));
      step.groups_z = uint32_t((std::max<uint64_t>(tiles, 1) + step.groups_x - 1) / step.groups_x);
      step.groups_y = (slice.panel_count + 7) / 8;
      sv::require_groups("the moe grouped matmul", step.groups_x, step.groups_y, step.groups_z);
      steps_.push_back(std::move(step));
    }
  }

  void record(VkCommandBuffer cmd) const {
    for (const Step& s : steps_) kernel_->dispatch(cmd, s.set, s.push, s.groups_x, s.groups_y, s.groups_z);
  }

 private:
  static uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

  // push_constant block of grouped_matmul.comp.
  struct Push {
    uint32_t n, k, lda, ldc, n_base, slice_panels, expert_begin, expert_end, dense_rows;
  };
  struct Slice {
    uint32_t expert_begin, expert_end, panel_begin, panel_count;
  };
  struct Step {
    sv::Buffer weights;
    VkDescriptorSet set = VK_NULL_HANDLE;
    Push push{};
    uint32_t groups_x = 0, groups_y = 0, groups_z = 0;
  };

  // Whole experts per slice where one fits a binding; else each expert's panels
  // in runs of whole workgroups (8 panels).
  static std::vector<Slice> cut(uint32_t experts, uint32_t panels, uint64_t panel_bytes, uint64_t max_range) {
    std::vector<Slice> out;
    const uint64_t expert_bytes = panels * panel_bytes;
    if (expert_bytes <= max_range) {
      const auto per = uint32_t(std::min<uint64_t>(experts, max_range / expert_bytes));
      for (uint32_t e = 0; e < experts; e += per) out.push_back({e, std::min(experts, e + per), 0, panels});
      return out;
    }
    uint64_t per = max_range / panel_bytes;
    if (per >= 8) per -= per % 8;
    if (per == 0)
      throw sdk::Unimplemented("moe on Vulkan: one column panel of an expert's weights (" +
                               std::to_string(panel_bytes) + " bytes) exceeds the device's storage binding limit");
    for (uint32_t e = 0; e < experts; ++e)
      for (uint32_t p = 0; p < panels; p += uint32_t(per))
        out.push_back({e, e + 1, p, uint32_t(std::min<uint64_t>(per, panels - p))});
    return out;
  }

  std::unique_ptr<sv::Kernel> kernel_;
  std::vector<Step> steps_;
};

}  // namespace archbench::plugins::moe
