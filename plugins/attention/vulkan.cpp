// Vulkan implementation of the attention family, the same stages as cpu.cpp,
// each a dispatch (shaders/README.md has every shader's interface):
//   1. layer-level only: the fused Q|K|V projection (the SDK's tiled matmul,
//      bias fused, weights packed at create time);
//   2. prepare.comp: QK-norm, RoPE, the query scale, queries laid out per K/V
//      head, new K/V written to the cache ring (and to a scratch when the ring
//      is shorter than the prompt);
//   3. prefill.comp (fused online-softmax prefill), or decode.comp +
//      decode_combine.comp (split-KV decode);
//   4. layer-level only: the output projection (tiled matmul, bias fused).
// Gated attention adds gate.comp between 3 and 4: the core's output times
// sigmoid of the gate logits, in place; at layer level W_g joins the fused
// projection (Q|K|V|G), whose last columns are then the logits.
// Every option of the CPU side is a specialization constant; shapes are push
// constants. Storage: f32, or bf16: the problem's tensors (x or q/k/v, the
// cache, out or y) and, at layer level, the projected Q|K|V and the attention
// output feeding the O projection are bf16 in the *_bf16 builds of the shaders
// (as the CPU backend keeps them on bf16 CPUs), while prepared queries,
// partials and all arithmetic stay f32. bf16 is stored in pairs, or as 16-bit
// elements when a row width is odd (vulkan_storage.hpp).
#include <archbench/sdk_vulkan_matmul.hpp>

#include "attention.hpp"
#include "vulkan_core_push.hpp"
#include "vulkan_projection.hpp"
#include "vulkan_storage.hpp"
#include "spirv/attention_decode.hpp"
#include "spirv/attention_decode_bf16.hpp"
#include "spirv/attention_decode_bf16_16bit.hpp"
#include "spirv/attention_decode_combine.hpp"
#include "spirv/attention_decode_combine_bf16.hpp"
#include "spirv/attention_decode_combine_bf16_16bit.hpp"
#include "spirv/attention_gate.hpp"
#include "spirv/attention_gate_bf16.hpp"
#include "spirv/attention_gate_bf16_16bit.hpp"
#include "spirv/attention_prefill.hpp"
#include "spirv/attention_prefill_bf16.hpp"
#include "spirv/attention_prefill_bf16_16bit.hpp"
#include "spirv/attention_prepare.hpp"
#include "spirv/attention_prepare_bf16.hpp"
#include "spirv/attention_prepare_bf16_16bit.hpp"

#include <algorithm>
#include <cmath>

namespace archbench::plugins::attention {
namespace {

namespace sv = sdk::vulkan;

struct PreparePush {
  int32_t tokens, heads, kv_heads, first_position, slots, write_scratch;
  int32_t q_offset, q_stride, k_offset, k_stride, v_offset, v_stride;
  float scale;
};
using vulkan_core::CombinePush;
using vulkan_core::DecodePush;
using vulkan_core::PrefillPush;

struct GatePush {
  int32_t rows, width, g_offset, g_stride;
};

uint32_t flag(bool on) { return on ? 1u : 0u; }

class AttentionVulkan : public sdk::Instance {
 public:
  AttentionVulkan(const Shape& shape, const ab_host& host, const sdk::Tensors& tensors)
      : s_(shape), device_(sv::Device::from(host)), dummy_(device_, 16) {
    // head_dim is even (RoPE rotates pairs); v_head_dim and d_model may not be.
    storage_ = choose_vulkan_storage(s_.dtype, s_.v_head_dim % 2 != 0 || (s_.layer() && s_.d_model % 2 != 0),
                                     device_, "attention");
    const bool bf16 = storage_ != VulkanStorage::f32;
    // prefill.comp and decode.comp merge their lanes with subgroupMax/subgroupAdd.
    // Their workgroup is one full subgroup: required of devices with several
    // subgroup sizes (AMD, Intel), given on devices with one (NVIDIA, lavapipe).
    lanes_ = device_.one_subgroup_workgroup();
    if (!device_.has(AB_VK_SUBGROUP_ARITHMETIC) || lanes_ == 0)
      throw sdk::Unimplemented(
          "attention on Vulkan: needs subgroup arithmetic and a workgroup of exactly one subgroup "
          "(a single subgroup size, or VK_EXT_subgroup_size_control with full subgroups)");
    const uint64_t element = bf16 ? 2 : 4;  // bytes per stored value of the problem's tensors
    const int64_t b = s_.batch, t = s_.tokens(), h = s_.heads, kvh = s_.kv_heads, hd = s_.head_dim,
                  vhd = s_.v_head_dim, group = s_.group();
    for (const char* cache : {"k_cache", "v_cache"}) device_.require_bindable(cache, tensors[cache].bytes);
    k_cache_ = sv::Binding::of(device_, tensors["k_cache"]);
    v_cache_ = sv::Binding::of(device_, tensors["v_cache"]);
    prepared_q_ = sv::Buffer(device_, uint64_t(b * kvh * t * group * hd) * 4);
    device_.require_bindable("the prepared queries", prepared_q_.bytes());

    // Where the attention core writes: the output itself, or the input of the O projection.
    sv::Binding core_out;
    if (s_.layer()) {
      build_projections(tensors);
      core_out = sv::Binding::of(attention_out_);
    } else {
      core_out = sv::Binding::of(device_, tensors["out"]);
    }

    // Host tables, computed in double like the CPU side's and rounded once.
    const int64_t rotary = s_.rotary_dims(), half = rotary / 2;
    if (half > 0) {
      std::vector<float> table(size_t(t * 2 * half));
      for (int64_t p = 0; p < t; ++p)
        for (int64_t k = 0; k < half; ++k) {
          const double angle = double(s_.first_position() + p) *
                               std::pow(s_.rope_theta, -2.0 * double(k) / double(rotary));
          table[size_t(p * 2 * half + k)] = float(std::cos(angle));
          table[size_t(p * 2 * half + half + k)] = float(std::sin(angle));
        }
      rope_ = sv::Buffer::with(device_, table);
    }
    if (s_.position == Position::alibi) {
      std::vector<float> slopes;
      for (double slope : alibi_slopes(h)) slopes.push_back(float(slope));
      slopes_ = sv::Buffer::with(device_, slopes);
    }
    const sv::Binding slopes = s_.position == Position::alibi ? sv::Binding::of(slopes_) : sv::Binding::of(dummy_);
    const sv::Binding sinks = s_.sinks ? sv::Binding::of(device_, tensors["sinks"]) : sv::Binding::of(dummy_);

    // Stage 2: prepare. In a causal prefill the cache ring holds every
    // position in order, so the core reads it directly; otherwise (window or
    // chunk ring shorter than the prompt) prepare also writes a full scratch.
    const bool prefill = s_.mode == Mode::prefill;
    const bool scratch = prefill && s_.slots() != t;
    if (scratch) {
      // Same storage as the cache: prefill.comp reads either.
      k_scratch_ = sv::Buffer(device_, uint64_t(b * kvh * t * hd) * element);
      v_scratch_ = sv::Buffer(device_, uint64_t(b * kvh * t * vhd) * element);
    }
    const int64_t width = h * hd + kvh * hd + kvh * vhd + (s_.gate && s_.layer() ? h * vhd : 0);
    sv::require_groups("attention prepare", t, b);
    prepare_push_ = {int32_t(t), int32_t(h), int32_t(kvh), int32_t(s_.first_position()), int32_t(s_.slots()),
                     int32_t(scratch), 0, int32_t(h * hd), 0, int32_t(kvh * hd), 0, int32_t(kvh * vhd),
                     float(s_.score_scale())};
    sv::Binding q_in, k_in, v_in;
    if (s_.layer()) {
      q_in = k_in = v_in = sv::Binding::of(qkv_);
      prepare_push_.q_stride = prepare_push_.k_stride = prepare_push_.v_stride = int32_t(width);
      prepare_push_.k_offset = int32_t(h * hd);
      prepare_push_.v_offset = int32_t(h * hd + kvh * hd);
    } else {
      q_in = sv::Binding::of(device_, tensors["q"]);
      k_in = sv::Binding::of(device_, tensors["k"]);
      v_in = sv::Binding::of(device_, tensors["v"]);
    }
    const bool normed = s_.qk_norm != QkNorm::none;
    const uint32_t qk_norm = s_.qk_norm == QkNorm::none ? 0 : s_.qk_norm == QkNorm::head ? 1 : 2;
    const sv::Spirv prepare = ATTENTION_STORAGE_SPIRV(prepare, storage_);
    prepare_ = std::make_unique<sv::Kernel>(
        device_, prepare, 11,
        sizeof(PreparePush), sv::Specialization{64, uint32_t(hd), uint32_t(vhd), qk_norm, uint32_t(half)});
    prepare_set_ = prepare_->bind(
        {q_in, k_in, v_in, normed ? sv::Binding::of(device_, tensors["q_norm"]) : sv::Binding::of(dummy_),
         normed ? sv::Binding::of(device_, tensors["k_norm"]) : sv::Binding::of(dummy_),
         half > 0 ? sv::Binding::of(rope_) : sv::Binding::of(dummy_), sv::Binding::of(prepared_q_),
         scratch ? sv::Binding::of(k_scratch_) : sv::Binding::of(dummy_),
         scratch ? sv::Binding::of(v_scratch_) : sv::Binding::of(dummy_), k_cache_, v_cache_});

    const uint32_t mask = uint32_t(s_.mask);
    if (prefill) {
      // One subgroup per workgroup (the shader merges its lanes with subgroup
      // ops); up to 4 query rows per workgroup keep llvmpipe's registers in check.
      tokens_per_group_ = uint32_t(std::max<int64_t>(1, 4 / group));
      // Groups of more than 4 heads: row blocks of at most 4 heads (as decode).
      prefill_row_blocks_ = uint32_t((group + 3) / 4);
      const auto rows = uint32_t((group + prefill_row_blocks_ - 1) / prefill_row_blocks_);
      const sv::Spirv prefill_spirv = ATTENTION_STORAGE_SPIRV(prefill, storage_);
      core_ = std::make_unique<sv::Kernel>(
          device_, prefill_spirv, 6, sizeof(PrefillPush),
          sv::Specialization{lanes_, uint32_t(hd), uint32_t(vhd), uint32_t(group), mask, flag(s_.softcap > 0),
                             flag(s_.position == Position::alibi), flag(s_.sinks), tokens_per_group_, rows},
          1, lanes_);
      sv::require_groups("attention prefill", sv::groups_for(t, tokens_per_group_), kvh * prefill_row_blocks_, b);
      prefill_push_ = {int32_t(t), int32_t(h), int32_t(kvh), int32_t(s_.span), float(s_.softcap),
                       int32_t(scratch ? t : s_.slots())};
      core_set_ = core_->bind({sv::Binding::of(prepared_q_), scratch ? sv::Binding::of(k_scratch_) : k_cache_,
                               scratch ? sv::Binding::of(v_scratch_) : v_cache_, slopes, sinks, core_out});
    } else {
      // Split-KV. A workgroup is one subgroup whose lanes walk the keys of a
      // range for up to 4 query heads (decode.comp): groups of more heads are
      // cut into equal row blocks, each reading the cache once. Ranges: about
      // 64 workgroups in all, so every core (or GPU multiprocessor) has work;
      // more measured no faster on lavapipe, where each range ends in
      // ROWS*VHD subgroup sums and adds to decode_combine's work. Each lane
      // sees >= 8 keys, and a range is whole subgroup steps.
      const int64_t visible = s_.seq - s_.first_visible(s_.seq) + 1;
      const int64_t lanes = lanes_;
      const int64_t row_blocks = (group + 3) / 4;
      decode_rows_ = uint32_t((group + row_blocks - 1) / row_blocks);
      decode_row_blocks_ = uint32_t(row_blocks);
      const int64_t wanted_groups = 64, per_sequence = b * kvh * row_blocks;
      int64_t chunk = std::max<int64_t>(8 * lanes, (visible * per_sequence + wanted_groups - 1) / wanted_groups);
      chunk = (chunk + lanes - 1) / lanes * lanes;  // whole subgroup steps
      splits_ = uint32_t((visible + chunk - 1) / chunk);
      sv::require_groups("attention decode", splits_, kvh * decode_row_blocks_, b);
      sv::require_groups("attention decode combine", h, b);
      decode_push_ = {int32_t(s_.seq), int32_t(h), int32_t(kvh), int32_t(s_.span), float(s_.softcap),
                      int32_t(s_.slots()), int32_t(splits_), int32_t(chunk)};
      part_ml_ = sv::Buffer(device_, uint64_t(b * h * splits_ * 2) * 4);
      part_o_ = sv::Buffer(device_, uint64_t(b * h * splits_ * vhd) * 4);
      const sv::Spirv decode = ATTENTION_STORAGE_SPIRV(decode, storage_),
                       combine = ATTENTION_STORAGE_SPIRV(decode_combine, storage_);
      core_ = std::make_unique<sv::Kernel>(
          device_, decode, 6, sizeof(DecodePush),
          sv::Specialization{lanes_, uint32_t(hd), uint32_t(vhd), uint32_t(group), mask, flag(s_.softcap > 0),
                             flag(s_.position == Position::alibi), decode_rows_},
          1, lanes_);
      core_set_ = core_->bind({sv::Binding::of(prepared_q_), k_cache_, v_cache_, slopes,
                               sv::Binding::of(part_ml_), sv::Binding::of(part_o_)});
      combine_ = std::make_unique<sv::Kernel>(
          device_, combine, 4,
          sizeof(CombinePush), sv::Specialization{32, uint32_t(vhd), flag(s_.sinks)});
      combine_set_ = combine_->bind({sv::Binding::of(part_ml_), sv::Binding::of(part_o_), sinks, core_out});
    }

    if (s_.gate) {
      const int64_t rows = b * t, o_width = h * vhd;
      gate_push_ = {int32_t(rows), int32_t(o_width), 0, int32_t(o_width)};
      if (s_.layer()) {  // the G columns of the fused projection
        gate_push_.g_offset = int32_t(width - o_width);
        gate_push_.g_stride = int32_t(width);
      }
      const sv::Binding logits = s_.layer() ? sv::Binding::of(qkv_) : sv::Binding::of(device_, tensors["gate"]);
      const int64_t per_invocation = storage_ == VulkanStorage::bf16_pairs ? 2 : 1;  // gate.comp's STEP
      gate_groups_ = {sv::groups_for(o_width / per_invocation, 64), uint32_t(std::min<int64_t>(rows, 65535))};
      gate_ = std::make_unique<sv::Kernel>(device_, ATTENTION_STORAGE_SPIRV(gate, storage_), 2, sizeof(GatePush));
      gate_set_ = gate_->bind({logits, core_out});
    }
  }

  void record(void* command_buffer) override {
    const auto cmd = static_cast<VkCommandBuffer>(command_buffer);
    const auto b = uint32_t(s_.batch), t = uint32_t(s_.tokens()), kvh = uint32_t(s_.kv_heads);
    if (qkv_projection_) {
      qkv_projection_->record(cmd);
      sv::compute_barrier(cmd);
    }
    prepare_->dispatch(cmd, prepare_set_, prepare_push_, t, b);
    sv::compute_barrier(cmd);
    if (s_.mode == Mode::prefill) {
      core_->dispatch(cmd, core_set_, prefill_push_, sv::groups_for(t, tokens_per_group_),
                      kvh * prefill_row_blocks_, b);
    } else {
      core_->dispatch(cmd, core_set_, decode_push_, splits_, kvh * decode_row_blocks_, b);
      sv::compute_barrier(cmd);
      combine_->dispatch(cmd, combine_set_, CombinePush{int32_t(s_.heads), int32_t(splits_)},
                         uint32_t(s_.heads), b);
    }
    if (gate_) {
      sv::compute_barrier(cmd);
      gate_->dispatch(cmd, gate_set_, gate_push_, gate_groups_.first, gate_groups_.second);
    }
    if (output_projection_) {
      sv::compute_barrier(cmd);
      output_projection_->record(cmd);
    }
  }

 private:
  // Fused Q|K|V weights [d_model, q+k+v widths] and the O projection, with
  // their biases concatenated the same way.
  void build_projections(const sdk::Tensors& tensors) {
    if (s_.dtype == AB_DTYPE_BF16) build_projections_as<uint16_t>(tensors);
    else build_projections_as<float>(tensors);
  }

  // E: the storage element of the weights and activations (float or bf16 bits).
  template <class E>
  void build_projections_as(const sdk::Tensors& tensors) {
    const int64_t rows = s_.batch * s_.tokens(), dm = s_.d_model, h = s_.heads, kvh = s_.kv_heads;
    const int64_t q_width = h * s_.head_dim, k_width = kvh * s_.head_dim, v_width = kvh * s_.v_head_dim;
    const int64_t o_width = h * s_.v_head_dim;
    const int64_t width = q_width + k_width + v_width + (s_.gate ? o_width : 0);  // W_g last when gated
    device_.require_bindable("the fused Q|K|V activations", uint64_t(rows * width) * sizeof(E));
    qkv_ = sv::Buffer(device_, uint64_t(rows * width) * sizeof(E));
    attention_out_ = sv::Buffer(device_, uint64_t(rows * o_width) * sizeof(E));
    std::vector<E> fused(size_t(dm * width));
    std::vector<float> fused_bias(size_t(width), 0.0f);  // biases are f32 in every dtype
    const std::pair<const char*, int64_t> parts[] = {
        {"w_q", q_width}, {"w_k", k_width}, {"w_v", v_width}, {"w_g", s_.gate ? o_width : 0}};
    int64_t column = 0;
    for (const auto& [name, part_width] : parts) {
      if (part_width == 0) continue;  // no gate
      const E* w = static_cast<const E*>(tensors[name].data);
      for (int64_t r = 0; r < dm; ++r)
        std::copy(w + r * part_width, w + (r + 1) * part_width, fused.begin() + r * width + column);
      if (s_.bias && name[2] != 'g') {  // the gate has no bias (Qwen3-Next)
        const char bias_name[4] = {'b', '_', name[2], '\0'};
        const float* bias = static_cast<const float*>(tensors[bias_name].data);
        std::copy(bias, bias + part_width, fused_bias.begin() + column);
      }
      column += part_width;
    }
    const sv::Spirv spirv = projection_spirv(storage_, s_.bias, device_);
    const sv::MatmulTiling& tiling = projection_tiling(storage_);
    if (s_.bias) qkv_bias_ = sv::Buffer::with(device_, fused_bias);
    qkv_projection_ = std::make_unique<sv::Matmul>(
        device_, spirv, tiling, fused.data(), nullptr, uint32_t(rows), uint32_t(dm),
        uint32_t(width), sv::Binding::of(device_, tensors["x"]), sv::Binding::of(qkv_),
        s_.bias ? sv::Binding::of(qkv_bias_) : sv::Binding::of(dummy_));
    output_projection_ = std::make_unique<sv::Matmul>(
        device_, spirv, tiling, static_cast<const E*>(tensors["w_o"].data), nullptr,
        uint32_t(rows), uint32_t(o_width), uint32_t(dm), sv::Binding::of(attention_out_),
        sv::Binding::of(device_, tensors["y"]),
        s_.bias ? sv::Binding::of(device_, tensors["b_o"]) : sv::Binding::of(dummy_));
  }

  Shape s_;
  sv::Device device_;
  VulkanStorage storage_ = VulkanStorage::f32;
  sv::Buffer dummy_, prepared_q_, rope_, slopes_, k_scratch_, v_scratch_, part_ml_, part_o_;
  sv::Buffer qkv_, qkv_bias_, attention_out_;
  sv::Binding k_cache_{}, v_cache_{};
  std::unique_ptr<sv::Matmul> qkv_projection_, output_projection_;
  std::unique_ptr<sv::Kernel> prepare_, core_, combine_, gate_;
  VkDescriptorSet prepare_set_ = VK_NULL_HANDLE, core_set_ = VK_NULL_HANDLE, combine_set_ = VK_NULL_HANDLE,
                  gate_set_ = VK_NULL_HANDLE;
  GatePush gate_push_{};
  std::pair<uint32_t, uint32_t> gate_groups_{1, 1};
  PreparePush prepare_push_{};
  PrefillPush prefill_push_{};
  DecodePush decode_push_{};
  uint32_t lanes_ = 0;  // workgroup size of prefill and decode: one full subgroup
  uint32_t tokens_per_group_ = 1, prefill_row_blocks_ = 1, splits_ = 1, decode_rows_ = 1, decode_row_blocks_ = 1;
};

}  // namespace

std::unique_ptr<sdk::Instance> make_vulkan_instance(const Shape& shape, const ab_host& host,
                                                    const sdk::Tensors& tensors) {
  return std::make_unique<AttentionVulkan>(shape, host, tensors);
}

std::unique_ptr<sdk::Instance> AttentionVariant::create_vulkan(const sdk::Problem& problem, const ab_host& host,
                                                               const sdk::Tensors& tensors) const {
  return make_vulkan_instance(shape_of(problem, heads()), host, tensors);
}

}  // namespace archbench::plugins::attention
