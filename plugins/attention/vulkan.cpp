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
// Every option of the CPU side is a specialization constant; shapes are push
// constants. f32 storage only: other dtypes are recorded as unimplemented.
#include <archbench/sdk_vulkan_matmul.hpp>

#include "attention.hpp"
#include "spirv/attention_decode.hpp"
#include "spirv/attention_decode_combine.hpp"
#include "spirv/attention_prefill.hpp"
#include "spirv/attention_prepare.hpp"
#include "spirv/attention_projection_bias_shared.hpp"
#include "spirv/attention_projection_bias_subgroup.hpp"
#include "spirv/attention_projection_shared.hpp"
#include "spirv/attention_projection_subgroup.hpp"

#include <algorithm>
#include <cmath>

namespace archbench::plugins::attention {
namespace {

namespace sv = sdk::vulkan;

// Must match the MM_* defines of the projection shaders in CMakeLists.txt.
constexpr sv::MatmulTiling kProjectionTiling{ATTENTION_MM_TM, ATTENTION_MM_TN, 1, false};

struct PreparePush {
  int32_t tokens, heads, kv_heads, first_position, slots, write_scratch;
  int32_t q_offset, q_stride, k_offset, k_stride, v_offset, v_stride;
  float scale;
};
struct PrefillPush {
  int32_t tokens, heads, kv_heads, span;
  float softcap;
  int32_t kv_rows;
};
struct DecodePush {
  int32_t seq, heads, kv_heads, span;
  float softcap;
  int32_t slots, splits, chunk;
};
struct CombinePush {
  int32_t heads, splits;
};

uint32_t flag(bool on) { return on ? 1u : 0u; }

class AttentionVulkan : public sdk::Instance {
 public:
  AttentionVulkan(const Shape& shape, const ab_host& host, const sdk::Tensors& tensors)
      : s_(shape), device_(sv::Device::from(host)), dummy_(device_, 16) {
    if (s_.dtype != AB_DTYPE_F32)
      throw sdk::Unimplemented("attention on Vulkan: the shaders read and write f32 only");
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
      k_scratch_ = sv::Buffer(device_, uint64_t(b * kvh * t * hd) * 4);
      v_scratch_ = sv::Buffer(device_, uint64_t(b * kvh * t * vhd) * 4);
    }
    const int64_t width = h * hd + kvh * hd + kvh * vhd;
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
    prepare_ = std::make_unique<sv::Kernel>(
        device_, archbench_spirv::attention_prepare, archbench_spirv::attention_prepare_bytes, 11,
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
      core_ = std::make_unique<sv::Kernel>(
          device_, archbench_spirv::attention_prefill, archbench_spirv::attention_prefill_bytes, 6,
          sizeof(PrefillPush),
          sv::Specialization{device_.subgroup_size(), uint32_t(hd), uint32_t(vhd), uint32_t(group), mask,
                             flag(s_.softcap > 0), flag(s_.position == Position::alibi), flag(s_.sinks),
                             tokens_per_group_});
      prefill_push_ = {int32_t(t), int32_t(h), int32_t(kvh), int32_t(s_.span), float(s_.softcap),
                       int32_t(scratch ? t : s_.slots())};
      core_set_ = core_->bind({sv::Binding::of(prepared_q_), scratch ? sv::Binding::of(k_scratch_) : k_cache_,
                               scratch ? sv::Binding::of(v_scratch_) : v_cache_, slopes, sinks, core_out});
    } else {
      // Split-KV: enough chunks that every core (or GPU multiprocessor) has
      // work, none shorter than 64 positions.
      const int64_t visible = s_.seq - s_.first_visible(s_.seq) + 1;
      const int64_t wanted_groups = 64;
      const int64_t chunk = std::max<int64_t>(64, (visible * b * kvh + wanted_groups - 1) / wanted_groups);
      splits_ = uint32_t((visible + chunk - 1) / chunk);
      decode_push_ = {int32_t(s_.seq), int32_t(h), int32_t(kvh), int32_t(s_.span), float(s_.softcap),
                      int32_t(s_.slots()), int32_t(splits_), int32_t(chunk)};
      decode_lanes_ = 8;
      part_ml_ = sv::Buffer(device_, uint64_t(b * h * splits_ * 2) * 4);
      part_o_ = sv::Buffer(device_, uint64_t(b * h * splits_ * vhd) * 4);
      core_ = std::make_unique<sv::Kernel>(
          device_, archbench_spirv::attention_decode, archbench_spirv::attention_decode_bytes, 6,
          sizeof(DecodePush),
          sv::Specialization{decode_lanes_, uint32_t(hd), uint32_t(vhd), uint32_t(group), mask,
                             flag(s_.softcap > 0), flag(s_.position == Position::alibi)});
      core_set_ = core_->bind({sv::Binding::of(prepared_q_), k_cache_, v_cache_, slopes,
                               sv::Binding::of(part_ml_), sv::Binding::of(part_o_)});
      combine_ = std::make_unique<sv::Kernel>(
          device_, archbench_spirv::attention_decode_combine, archbench_spirv::attention_decode_combine_bytes, 4,
          sizeof(CombinePush), sv::Specialization{32, uint32_t(vhd), flag(s_.sinks)});
      combine_set_ = combine_->bind({sv::Binding::of(part_ml_), sv::Binding::of(part_o_), sinks, core_out});
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
      core_->dispatch(cmd, core_set_, prefill_push_, sv::groups_for(t, tokens_per_group_), kvh, b);
    } else {
      const uint32_t row_blocks = sv::groups_for(s_.group(), decode_lanes_);
      core_->dispatch(cmd, core_set_, decode_push_, splits_, kvh * row_blocks, b);
      sv::compute_barrier(cmd);
      combine_->dispatch(cmd, combine_set_, CombinePush{int32_t(s_.heads), int32_t(splits_)},
                         uint32_t(s_.heads), b);
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
    const int64_t rows = s_.batch * s_.tokens(), dm = s_.d_model, h = s_.heads, kvh = s_.kv_heads;
    const int64_t q_width = h * s_.head_dim, k_width = kvh * s_.head_dim, v_width = kvh * s_.v_head_dim;
    const int64_t width = q_width + k_width + v_width, o_width = h * s_.v_head_dim;
    device_.require_bindable("the fused Q|K|V activations", uint64_t(rows * width) * 4);
    qkv_ = sv::Buffer(device_, uint64_t(rows * width) * 4);
    attention_out_ = sv::Buffer(device_, uint64_t(rows * o_width) * 4);
    std::vector<float> fused(size_t(dm * width)), fused_bias(size_t(width), 0.0f);
    const std::pair<const char*, int64_t> parts[] = {{"w_q", q_width}, {"w_k", k_width}, {"w_v", v_width}};
    int64_t column = 0;
    for (const auto& [name, part_width] : parts) {
      const float* w = static_cast<const float*>(tensors[name].data);
      for (int64_t r = 0; r < dm; ++r)
        std::copy(w + r * part_width, w + (r + 1) * part_width, fused.begin() + r * width + column);
      if (s_.bias) {
        const char bias_name[4] = {'b', '_', name[2], '\0'};
        const float* bias = static_cast<const float*>(tensors[bias_name].data);
        std::copy(bias, bias + part_width, fused_bias.begin() + column);
      }
      column += part_width;
    }
    using namespace archbench_spirv;
    const bool subgroups = sv::matmul_uses_subgroups(device_);
    const uint32_t* spirv = s_.bias ? (subgroups ? attention_projection_bias_subgroup : attention_projection_bias_shared)
                                    : (subgroups ? attention_projection_subgroup : attention_projection_shared);
    const size_t spirv_bytes =
        s_.bias ? (subgroups ? attention_projection_bias_subgroup_bytes : attention_projection_bias_shared_bytes)
                : (subgroups ? attention_projection_subgroup_bytes : attention_projection_shared_bytes);
    if (s_.bias) qkv_bias_ = sv::Buffer::with(device_, fused_bias);
    qkv_projection_ = std::make_unique<sv::Matmul>(
        device_, spirv, spirv_bytes, kProjectionTiling, fused.data(), nullptr, uint32_t(rows), uint32_t(dm),
        uint32_t(width), sv::Binding::of(device_, tensors["x"]), sv::Binding::of(qkv_),
        s_.bias ? sv::Binding::of(qkv_bias_) : sv::Binding::of(dummy_));
    output_projection_ = std::make_unique<sv::Matmul>(
        device_, spirv, spirv_bytes, kProjectionTiling, static_cast<const float*>(tensors["w_o"].data), nullptr,
        uint32_t(rows), uint32_t(o_width), uint32_t(dm), sv::Binding::of(attention_out_),
        sv::Binding::of(device_, tensors["y"]),
        s_.bias ? sv::Binding::of(device_, tensors["b_o"]) : sv::Binding::of(dummy_));
  }

  Shape s_;
  sv::Device device_;
  sv::Buffer dummy_, prepared_q_, rope_, slopes_, k_scratch_, v_scratch_, part_ml_, part_o_;
  sv::Buffer qkv_, qkv_bias_, attention_out_;
  sv::Binding k_cache_{}, v_cache_{};
  std::unique_ptr<sv::Matmul> qkv_projection_, output_projection_;
  std::unique_ptr<sv::Kernel> prepare_, core_, combine_;
  VkDescriptorSet prepare_set_ = VK_NULL_HANDLE, core_set_ = VK_NULL_HANDLE, combine_set_ = VK_NULL_HANDLE;
  PreparePush prepare_push_{};
  PrefillPush prefill_push_{};
  DecodePush decode_push_{};
  uint32_t tokens_per_group_ = 1, splits_ = 1, decode_lanes_ = 8;
};

}  // namespace

std::unique_ptr<sdk::Instance> create_vulkan(const Shape& shape, const ab_host& host, const sdk::Tensors& tensors) {
  return std::make_unique<AttentionVulkan>(shape, host, tensors);
}

}  // namespace archbench::plugins::attention
