// Vulkan implementation of attention/mla, the stages of mla_cpu.cpp as
// dispatches of one command buffer (shaders/README.md has every shader's
// interface):
//   1. layer-level only: x W_dq, the query-latent RMSNorm (mla_rmsnorm.comp)
//      and W_uq, or x W_q; and x W_dkv (the SDK's tiled matmul, weights packed
//      at create, the attention plugin's projection builds);
//   2. mla_prepare.comp: the latent RMSNorm, RoPE on the shared key and the
//      queries' rope part, the score scale, this step's rows [c | k_r] into the
//      cache ring (and into a rows buffer when the ring is shorter than the prompt);
//   3. absorb 0: the latents of every position the step attends to times
//      [W_uk | W_uv] (one SDK matmul, A rows read inside the wider cache rows),
//      laid out per head with the RoPE key appended (mla_gather.comp), then the
//      attention plugin's prefill.comp or decode.comp + decode_combine.comp as
//      a multi-head attention (MlaShape::decompressed());
//      absorb 1: q_nope,h W_uk,h^T per head into the prepared queries
//      (mla_heads.comp), prefill.comp or decode.comp over the cache rows as a
//      multi-query attention whose values are the first kv_lora_rank elements
//      of each row (MlaShape::absorbed(), VSTRIDE), then W_uv per head
//      (mla_heads.comp);
//   4. layer-level only: the output projection (SDK tiled matmul).
// attention/dsa (sparse) runs absorbed, with dsa_vulkan.cpp's stages beside
// these: the indexer's projections in stage 1, its row preparation beside
// mla_prepare, then its scores and top-k, and in place of the attention core
// its sparse attention over the selected cache rows.
// Storage as in vulkan.cpp: f32, or bf16 for the problem's tensors and every
// intermediate that a matmul or the attention reads or writes, with f32
// prepared queries, partials and arithmetic; bf16 in pairs, or as 16-bit
// elements when any of the problem's row widths is odd (vulkan_storage.hpp).
#include <archbench/sdk_vulkan_matmul.hpp>

#include "dsa_vulkan.hpp"
#include "mla.hpp"
#include "vulkan_core_push.hpp"
#include "vulkan_projection.hpp"
#include "vulkan_storage.hpp"
#include "spirv/attention_decode.hpp"
#include "spirv/attention_decode_bf16.hpp"
#include "spirv/attention_decode_bf16_16bit.hpp"
#include "spirv/attention_decode_combine.hpp"
#include "spirv/attention_decode_combine_bf16.hpp"
#include "spirv/attention_decode_combine_bf16_16bit.hpp"
#include "spirv/attention_mla_gather.hpp"
#include "spirv/attention_mla_gather_bf16.hpp"
#include "spirv/attention_mla_gather_bf16_16bit.hpp"
#include "spirv/attention_mla_heads.hpp"
#include "spirv/attention_mla_heads_bf16.hpp"
#include "spirv/attention_mla_heads_bf16_16bit.hpp"
#include "spirv/attention_mla_prepare.hpp"
#include "spirv/attention_mla_prepare_bf16.hpp"
#include "spirv/attention_mla_prepare_bf16_16bit.hpp"
#include "spirv/attention_mla_rmsnorm.hpp"
#include "spirv/attention_mla_rmsnorm_bf16.hpp"
#include "spirv/attention_mla_rmsnorm_bf16_16bit.hpp"
#include "spirv/attention_prefill.hpp"
#include "spirv/attention_prefill_bf16.hpp"
#include "spirv/attention_prefill_bf16_16bit.hpp"

#include <algorithm>
#include <cmath>

namespace archbench::plugins::attention {
namespace {

namespace sv = sdk::vulkan;

struct PreparePush {
  int32_t tokens, heads, first_position, slots, write_rows;
  int32_t kvr, rope, nope;
  int32_t lat_offset, lat_stride, kr_offset, kr_stride;
  float scale;
};
struct HeadsPush {
  int32_t m, n, k, lda, a_head, ldc, c_head;
  float scale;
};
struct GatherPush {
  int32_t n, heads, nope, rope, vhd, kvr;
};
struct NormPush {
  int32_t width;
};
using vulkan_core::CombinePush;
using vulkan_core::DecodePush;
using vulkan_core::PrefillPush;

// A per-head matmul of mla_heads.comp with its bindings and grid.
struct HeadsMatmul {
  std::unique_ptr<sv::Kernel> kernel;
  VkDescriptorSet set = VK_NULL_HANDLE;
  HeadsPush push{};
  uint32_t heads = 1;
  void record(VkCommandBuffer cmd) const {
    kernel->dispatch(cmd, set, push, sv::groups_for((push.n + 1) / 2, 64), sv::groups_for(push.m, 4), heads);
  }
};

class MlaVulkan : public sdk::Instance {
 public:
  MlaVulkan(const MlaShape& shape, const ab_host& host, const sdk::Tensors& tensors)
      : s_(shape), p_(shape.positions()), device_(sv::Device::from(host)), dummy_(device_, 16) {
    storage_ = choose_vulkan_storage(s_.dtype, odd_width(), device_, s_.sparse() ? "attention/dsa" : "attention/mla");
    bf16_ = storage_ != VulkanStorage::f32;
    lanes_ = device_.one_subgroup_workgroup();
    if (!device_.has(AB_VK_SUBGROUP_ARITHMETIC) || lanes_ == 0)
      throw sdk::Unimplemented(
          "attention/mla on Vulkan: needs subgroup arithmetic and a workgroup of exactly one subgroup "
          "(a single subgroup size, or VK_EXT_subgroup_size_control with full subgroups)");
    element_ = bf16_ ? 2 : 4;
    device_.require_bindable("kv_cache", tensors["kv_cache"].bytes);
    cache_ = sv::Binding::of(device_, tensors["kv_cache"]);

    if (s_.layer()) build_projections(tensors);
    q_in_ = s_.layer() ? sv::Binding::of(q_rows_) : sv::Binding::of(device_, tensors["q"]);
    const sv::Binding out = s_.layer() ? sv::Binding::of(attended_) : sv::Binding::of(device_, tensors["out"]);

    build_prepare(tensors);
    if (s_.absorb) build_absorbed(tensors, out);
    else build_decompressed(tensors, out);
  }

  // Whether a row any stage stores is of odd width (the rope widths are even).
  bool odd_width() const {
    const bool index = s_.sparse() && (s_.index_dim % 2 || (s_.layer() && s_.index_heads % 2));
    return s_.kv_lora_rank % 2 || s_.nope % 2 || s_.v_head_dim % 2 || index ||
           (s_.layer() && (s_.d_model % 2 || s_.q_lora_rank % 2));
  }

  void record(void* command_buffer) override {
    const auto cmd = static_cast<VkCommandBuffer>(command_buffer);
    const auto b = uint32_t(s_.batch), t = uint32_t(p_.tokens());
    if (s_.layer()) {
      if (q_down_) {
        q_down_->record(cmd);
        sv::compute_barrier(cmd);
        if (q_norm_) {
          q_norm_->dispatch(cmd, q_norm_set_, NormPush{int32_t(s_.q_lora_rank)}, t, b);
          sv::compute_barrier(cmd);
        }
      }
      q_projection_->record(cmd);
      kv_projection_->record(cmd);
      if (dsa_) dsa_->record_projections(cmd);
      sv::compute_barrier(cmd);
    }
    prepare_->dispatch(cmd, prepare_set_, prepare_push_, t, b);
    if (dsa_) dsa_->record_prepare(cmd);
    sv::compute_barrier(cmd);
    if (dsa_) {
      fold_.record(cmd);
      dsa_->record_scores(cmd);
      sv::compute_barrier(cmd);
      dsa_->record_top_k(cmd);
      sv::compute_barrier(cmd);
      dsa_->record_attention(cmd);
    } else if (s_.absorb) {
      fold_.record(cmd);
      sv::compute_barrier(cmd);
    } else {
      decompress_->record(cmd);
      sv::compute_barrier(cmd);
      gather_->dispatch(cmd, gather_set_, gather_push_, uint32_t(gather_push_.n), b);
      sv::compute_barrier(cmd);
    }
    if (!dsa_) record_core(cmd);
    if (s_.absorb) {
      sv::compute_barrier(cmd);
      unfold_.record(cmd);
    }
    if (output_projection_) {
      sv::compute_barrier(cmd);
      output_projection_->record(cmd);
    }
  }

 private:
  // ---- stage 1: layer-level projections ----------------------------------------

  void build_projections(const sdk::Tensors& tensors) {
    if (bf16_) build_projections_as<uint16_t>(tensors);
    else build_projections_as<float>(tensors);
  }

  // E: the storage element of the weights and activations (float or bf16 bits).
  template <class E>
  void build_projections_as(const sdk::Tensors& tensors) {
    const int64_t b = s_.batch, t = p_.tokens(), rows = b * t, dm = s_.d_model, qr = s_.q_lora_rank;
    const int64_t q_width = s_.heads * s_.qk_dim(), o_width = s_.heads * s_.v_head_dim;
    device_.require_bindable("the projected queries", uint64_t(rows * q_width) * sizeof(E));
    q_rows_ = sv::Buffer(device_, uint64_t(rows * q_width) * sizeof(E));
    kv_rows_ = sv::Buffer(device_, uint64_t(rows * s_.cache_width()) * sizeof(E));
    const sv::Binding x = sv::Binding::of(device_, tensors["x"]), none = sv::Binding::of(dummy_);
    const auto matmul = [&](const char* weight, uint32_t k, uint32_t n, sv::Binding a, sv::Binding c) {
      return std::make_unique<sv::Matmul>(device_, projection_spirv(storage_, false, device_),
                                          projection_tiling(storage_), static_cast<const E*>(tensors[weight].data),
                                          nullptr, uint32_t(rows), k, n, a, c, none);
    };
    if (qr > 0) {
      q_latent_ = sv::Buffer(device_, uint64_t(rows * qr) * sizeof(E));
      q_down_ = matmul("w_dq", uint32_t(dm), uint32_t(qr), x, sv::Binding::of(q_latent_));
      if (s_.latent_norm) {
        sv::require_groups("attention/mla query norm", t, b);
        q_norm_ = std::make_unique<sv::Kernel>(device_, ATTENTION_STORAGE_SPIRV(mla_rmsnorm, storage_), 2,
                                               sizeof(NormPush), sv::Specialization{64});
        q_norm_set_ = q_norm_->bind({sv::Binding::of(q_latent_), sv::Binding::of(device_, tensors["q_norm"])});
      }
      q_projection_ = matmul("w_uq", uint32_t(qr), uint32_t(q_width), sv::Binding::of(q_latent_),
                             sv::Binding::of(q_rows_));
    } else {
      q_projection_ = matmul("w_q", uint32_t(dm), uint32_t(q_width), x, sv::Binding::of(q_rows_));
    }
    kv_projection_ = matmul("w_dkv", uint32_t(dm), uint32_t(s_.cache_width()), x, sv::Binding::of(kv_rows_));
    // The attention's output [rows, heads*v_head_dim], this projection's input.
    attended_ = sv::Buffer(device_, uint64_t(rows * o_width) * sizeof(E));
    output_projection_ = matmul("w_o", uint32_t(o_width), uint32_t(dm), sv::Binding::of(attended_),
                                sv::Binding::of(device_, tensors["y"]));
  }

  // ---- stage 2: prepare ------------------------------------------------------------

  void build_prepare(const sdk::Tensors& tensors) {
    const int64_t b = s_.batch, t = p_.tokens(), rows = b * t, h = s_.heads, kvr = s_.kv_lora_rank,
                  rope = s_.rope, width = s_.cache_width();
    // Host RoPE table, computed in double like the CPU side's and rounded once.
    const int64_t half = rope / 2;
    if (half > 0) {
      std::vector<float> table(size_t(t * rope));
      for (int64_t q = 0; q < t; ++q)
        for (int64_t k = 0; k < half; ++k) {
          const double angle =
              double(p_.first_position() + q) * std::pow(s_.rope_theta, -2.0 * double(k) / double(rope));
          table[size_t(q * rope + k)] = float(std::cos(angle));
          table[size_t(q * rope + half + k)] = float(std::sin(angle));
        }
      rope_ = sv::Buffer::with(device_, table);
    }
    // A causal prefill's ring holds the whole prompt in order, so the cache
    // is the rows; otherwise (a decode, or a ring shorter than the prompt)
    // the prefill reads a rows buffer that prepare also writes.
    const bool prefill = s_.mode == Mode::prefill;
    const bool own_rows = prefill && p_.slots() != t;
    if (own_rows) rows_ = sv::Buffer(device_, uint64_t(rows * width) * element_);
    rows_source_ = own_rows ? sv::Binding::of(rows_) : cache_;
    rows_count_ = prefill ? (own_rows ? t : p_.slots()) : p_.slots();

    const uint64_t q_elements = uint64_t(s_.absorb ? rows * h * width : rows * h * s_.qk_dim());
    prepared_q_ = sv::Buffer(device_, q_elements * 4);
    device_.require_bindable("the prepared queries", prepared_q_.bytes());
    sv::require_groups("attention/mla prepare", t, b);

    prepare_push_ = {int32_t(t), int32_t(h), int32_t(p_.first_position()), int32_t(p_.slots()), int32_t(own_rows),
                     int32_t(kvr), int32_t(rope), int32_t(s_.nope), 0, int32_t(kvr), 0, int32_t(rope),
                     float(s_.score_scale())};
    sv::Binding latent, k_rope;
    if (s_.layer()) {
      latent = k_rope = sv::Binding::of(kv_rows_);
      prepare_push_.lat_stride = prepare_push_.kr_stride = int32_t(width);
      prepare_push_.kr_offset = int32_t(kvr);
    } else {
      latent = sv::Binding::of(device_, tensors["latent"]);
      k_rope = rope > 0 ? sv::Binding::of(device_, tensors["k_rope"]) : sv::Binding::of(dummy_);
    }
    const bool norm = s_.layer() && s_.latent_norm;
    prepare_ =
        std::make_unique<sv::Kernel>(device_, ATTENTION_STORAGE_SPIRV(mla_prepare, storage_), 8, sizeof(PreparePush),
                                     sv::Specialization{64, uint32_t(norm), uint32_t(s_.absorb)});
    prepare_set_ = prepare_->bind(
        {q_in_, latent, k_rope, norm ? sv::Binding::of(device_, tensors["kv_norm"]) : sv::Binding::of(dummy_),
         half > 0 ? sv::Binding::of(rope_) : sv::Binding::of(dummy_), sv::Binding::of(prepared_q_),
         own_rows ? sv::Binding::of(rows_) : sv::Binding::of(dummy_), cache_});
  }

  // ---- stage 3, absorb 0: decompress, then multi-head attention --------------------

  template <class E>
  std::vector<E> up_weights(const sdk::Tensors& tensors) const {
    // [W_uk | W_uv] row by row: [kvr, heads*nope + heads*vhd].
    const int64_t kvr = s_.kv_lora_rank, k_width = s_.heads * s_.nope, v_width = s_.heads * s_.v_head_dim;
    const auto* uk = static_cast<const E*>(tensors["w_uk"].data);
    const auto* uv = static_cast<const E*>(tensors["w_uv"].data);
    std::vector<E> fused(size_t(kvr * (k_width + v_width)));
    for (int64_t r = 0; r < kvr; ++r) {
      std::copy(uk + r * k_width, uk + (r + 1) * k_width, fused.begin() + r * (k_width + v_width));
      std::copy(uv + r * v_width, uv + (r + 1) * v_width, fused.begin() + r * (k_width + v_width) + k_width);
    }
    return fused;
  }

  void build_decompressed(const sdk::Tensors& tensors, const sv::Binding& out) {
    const int64_t b = s_.batch, h = s_.heads, n = rows_count_, qk = s_.qk_dim(), vhd = s_.v_head_dim;
    const int64_t dec_width = h * (s_.nope + vhd);
    const uint64_t dec_bytes = uint64_t(b * n * dec_width) * element_;
    device_.require_bindable("the decompressed keys and values", dec_bytes);
    decompressed_ = sv::Buffer(device_, dec_bytes);
    keys_ = sv::Buffer(device_, uint64_t(b * h * n * qk) * element_);
    values_ = sv::Buffer(device_, uint64_t(b * h * n * vhd) * element_);
    device_.require_bindable("the decompressed keys", keys_.bytes());
    const auto m = uint32_t(b * n), k = uint32_t(s_.kv_lora_rank), width = uint32_t(dec_width);
    const sv::MatmulStrides strides{uint32_t(s_.cache_width()), 0};
    const sv::Binding none = sv::Binding::of(dummy_), dec = sv::Binding::of(decompressed_);
    if (bf16_) {
      const std::vector<uint16_t> w = up_weights<uint16_t>(tensors);
      decompress_ = std::make_unique<sv::Matmul>(device_, projection_spirv(storage_, false, device_),
                                                 projection_tiling(storage_), w.data(), nullptr,
                                                 m, k, width, rows_source_, dec, none, strides);
    } else {
      const std::vector<float> w = up_weights<float>(tensors);
      decompress_ = std::make_unique<sv::Matmul>(device_, projection_spirv(storage_, false, device_),
                                                 projection_tiling(storage_), w.data(), nullptr,
                                                 m, k, width, rows_source_, dec, none, strides);
    }
    sv::require_groups("attention/mla gather", n, b);
    gather_push_ = {int32_t(n), int32_t(h), int32_t(s_.nope), int32_t(s_.rope), int32_t(vhd), int32_t(s_.kv_lora_rank)};
    gather_ = std::make_unique<sv::Kernel>(device_, ATTENTION_STORAGE_SPIRV(mla_gather, storage_), 4,
                                           sizeof(GatherPush), sv::Specialization{64});
    gather_set_ = gather_->bind({dec, rows_source_, sv::Binding::of(keys_), sv::Binding::of(values_)});
    build_core(s_.decompressed(), sv::Binding::of(keys_), sv::Binding::of(values_), out, n, 0);
  }

  // ---- stage 3, absorb 1: fold, multi-query attention over the cache rows, unfold --

  // Columns [g*part, (g+1)*part) of a [rows, heads*part] weight as f32 per-head
  // matrices [heads, rows, part], or transposed [heads, part, rows].
  std::vector<float> per_head(const ab_tensor& weight, int64_t part, bool transpose) const {
    const int64_t rows = weight.desc->dims[0], h = s_.heads;
    std::vector<float> out(size_t(h * rows * part));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t g = 0; g < h; ++g)
        for (int64_t c = 0; c < part; ++c)
          out[size_t(transpose ? (g * part + c) * rows + r : (g * rows + r) * part + c)] =
              float(sdk::element_as_double(weight.data, weight.desc->dtype, r * h * part + g * part + c));
    return out;
  }

  HeadsMatmul heads_matmul(const std::vector<float>& weights, sv::Buffer& weight_buffer, bool out_f32,
                           sv::Binding a, sv::Binding c, HeadsPush push) {
    HeadsMatmul mm;
    weight_buffer = sv::Buffer::with(device_, weights);
    mm.kernel = std::make_unique<sv::Kernel>(device_, ATTENTION_STORAGE_SPIRV(mla_heads, storage_), 3,
                                             sizeof(HeadsPush), sv::Specialization{64, uint32_t(out_f32)});
    mm.set = mm.kernel->bind({a, sv::Binding::of(weight_buffer), c});
    mm.push = push;
    mm.heads = uint32_t(s_.heads);
    sv::require_groups("attention/mla per-head matmul", sv::groups_for((push.n + 1) / 2, 64),
                       sv::groups_for(push.m, 4), mm.heads);
    return mm;
  }

  void build_absorbed(const sdk::Tensors& tensors, const sv::Binding& out) {
    const int64_t rows = s_.batch * p_.tokens(), h = s_.heads, kvr = s_.kv_lora_rank, qk = s_.qk_dim(),
                  width = s_.cache_width(), vhd = s_.v_head_dim;
    // q_lat,h = scale * q_nope,h W_uk,h^T into the first kvr of each prepared query.
    fold_ = heads_matmul(per_head(tensors["w_uk"], s_.nope, true), fold_weights_, true, q_in_,
                         sv::Binding::of(prepared_q_),
                         {int32_t(rows), int32_t(kvr), int32_t(s_.nope), int32_t(h * qk), int32_t(qk),
                          int32_t(h * width), int32_t(width), float(s_.score_scale())});
    latent_out_ = sv::Buffer(device_, uint64_t(rows * h * kvr) * element_);
    device_.require_bindable("the attended latents", latent_out_.bytes());
    if (s_.sparse()) build_sparse(tensors);
    else build_core(s_.absorbed(), rows_source_, rows_source_, sv::Binding::of(latent_out_), rows_count_, width);
    unfold_ = heads_matmul(per_head(tensors["w_uv"], vhd, false), unfold_weights_, false,
                           sv::Binding::of(latent_out_), out,
                           {int32_t(rows), int32_t(vhd), int32_t(kvr), int32_t(h * kvr), int32_t(kvr),
                            int32_t(h * vhd), int32_t(vhd), 1.0f});
  }

  // DSA: the indexer and the sparse attention in place of the attention core.
  void build_sparse(const sdk::Tensors& tensors) {
    DsaVulkanSources sources;
    if (s_.layer()) {
      sources.x = sv::Binding::of(device_, tensors["x"]);
      sources.q_latent = s_.q_lora_rank > 0 ? sv::Binding::of(q_latent_) : sources.x;
    }
    sources.storage = storage_;
    sources.projection = projection_spirv(storage_, false, device_);
    sources.tiling = &projection_tiling(storage_);
    sources.cache_rows = rows_source_;
    sources.kv_rows = rows_count_;
    sources.queries = sv::Binding::of(prepared_q_);
    sources.attended = sv::Binding::of(latent_out_);
    sources.lanes = lanes_;
    dsa_ = std::make_unique<DsaVulkan>(s_, device_, tensors, sources);
  }

  // ---- the attention plugin's prefill / split-KV decode ------------------------------

  // `core`: the MHA (absorb 0) or MQA (absorb 1) that runs; keys and values
  // [b, kv_heads, kv_rows, ...], values with row stride v_stride (0: v_head_dim).
  void build_core(const Shape& core, sv::Binding keys, sv::Binding values, sv::Binding out, int64_t kv_rows,
                  int64_t v_stride) {
    core_ = core;
    const int64_t b = core.batch, t = core.tokens(), kvh = core.kv_heads, group = core.group();
    const auto hd = uint32_t(core.head_dim), vhd = uint32_t(core.v_head_dim), mask = uint32_t(core.mask);
    // Query rows per workgroup: prefill.comp and decode.comp hold rows x
    // (head_dim + v_head_dim) floats per lane, and llvmpipe slows down sharply
    // past the attention plugin's 4 x (128 + 128). About that much lane state
    // (4 decompressed rows of 192 + 128), and MLA's wide absorbed rows
    // (576 + 512) one at a time (not measured against 2 or 4).
    const int64_t budget = std::clamp<int64_t>(1280 / (core.head_dim + core.v_head_dim), 1, 4);
    const int64_t row_blocks = (group + budget - 1) / budget;
    const auto rows = uint32_t((group + row_blocks - 1) / row_blocks);
    row_blocks_ = uint32_t(row_blocks);
    const sv::Binding none = sv::Binding::of(dummy_);
    if (core.mode == Mode::prefill) {
      tokens_per_group_ = uint32_t(std::max<int64_t>(1, budget / group));
      core_kernel_ = std::make_unique<sv::Kernel>(
          device_, ATTENTION_STORAGE_SPIRV(prefill, storage_), 6, sizeof(PrefillPush),
          sv::Specialization{lanes_, hd, vhd, uint32_t(group), mask, 0, 0, 0, tokens_per_group_, rows,
                             uint32_t(v_stride)},
          1, lanes_);
      sv::require_groups("attention/mla prefill", sv::groups_for(t, tokens_per_group_), kvh * row_blocks, b);
      prefill_push_ = {int32_t(t), int32_t(core.heads), int32_t(kvh), int32_t(core.span), 0.0f, int32_t(kv_rows)};
      core_set_ = core_kernel_->bind({sv::Binding::of(prepared_q_), keys, values, none, none, out});
      return;
    }
    // Split-KV ranges as vulkan.cpp cuts them: about 64 workgroups in all,
    // each lane seeing >= 8 keys, a range whole subgroup steps.
    const int64_t visible = core.seq - core.first_visible(core.seq) + 1, lanes = lanes_;
    const int64_t wanted_groups = 64, per_sequence = b * kvh * row_blocks;
    int64_t chunk = std::max<int64_t>(8 * lanes, (visible * per_sequence + wanted_groups - 1) / wanted_groups);
    chunk = (chunk + lanes - 1) / lanes * lanes;
    splits_ = uint32_t((visible + chunk - 1) / chunk);
    sv::require_groups("attention/mla decode", splits_, kvh * row_blocks, b);
    sv::require_groups("attention/mla decode combine", core.heads, b);
    decode_push_ = {int32_t(core.seq), int32_t(core.heads), int32_t(kvh), int32_t(core.span), 0.0f,
                    int32_t(kv_rows), int32_t(splits_), int32_t(chunk)};
    part_ml_ = sv::Buffer(device_, uint64_t(b * core.heads * splits_ * 2) * 4);
    part_o_ = sv::Buffer(device_, uint64_t(b * core.heads * splits_ * vhd) * 4);
    core_kernel_ = std::make_unique<sv::Kernel>(
        device_, ATTENTION_STORAGE_SPIRV(decode, storage_), 6, sizeof(DecodePush),
        sv::Specialization{lanes_, hd, vhd, uint32_t(group), mask, 0, 0, rows, uint32_t(v_stride)}, 1, lanes_);
    core_set_ = core_kernel_->bind(
        {sv::Binding::of(prepared_q_), keys, values, none, sv::Binding::of(part_ml_), sv::Binding::of(part_o_)});
    combine_ = std::make_unique<sv::Kernel>(device_, ATTENTION_STORAGE_SPIRV(decode_combine, storage_), 4,
                                            sizeof(CombinePush), sv::Specialization{32, vhd, 0});
    combine_set_ = combine_->bind({sv::Binding::of(part_ml_), sv::Binding::of(part_o_), none, out});
  }

  void record_core(VkCommandBuffer cmd) const {
    const auto b = uint32_t(core_.batch), kvh = uint32_t(core_.kv_heads);
    if (core_.mode == Mode::prefill) {
      core_kernel_->dispatch(cmd, core_set_, prefill_push_, sv::groups_for(core_.tokens(), tokens_per_group_),
                             kvh * row_blocks_, b);
      return;
    }
    core_kernel_->dispatch(cmd, core_set_, decode_push_, splits_, kvh * row_blocks_, b);
    sv::compute_barrier(cmd);
    combine_->dispatch(cmd, combine_set_, CombinePush{int32_t(core_.heads), int32_t(splits_)},
                       uint32_t(core_.heads), b);
  }

  MlaShape s_;
  Shape p_, core_;
  sv::Device device_;
  sv::Buffer dummy_;
  VulkanStorage storage_ = VulkanStorage::f32;
  bool bf16_ = false;  // either bf16 layout: 2 bytes per stored value, bf16 weights
  uint64_t element_ = 4;  // bytes per stored value of the problem's tensors and intermediates
  uint32_t lanes_ = 0;    // workgroup size of prefill and decode: one full subgroup
  sv::Binding cache_{}, q_in_{}, rows_source_{};
  int64_t rows_count_ = 0;  // rows per sequence in rows_source_
  // Layer level.
  sv::Buffer q_latent_, q_rows_, kv_rows_, attended_;
  std::unique_ptr<sv::Matmul> q_down_, q_projection_, kv_projection_, output_projection_;
  std::unique_ptr<sv::Kernel> q_norm_;
  VkDescriptorSet q_norm_set_ = VK_NULL_HANDLE;
  // Prepare.
  sv::Buffer rope_, rows_, prepared_q_;
  std::unique_ptr<sv::Kernel> prepare_;
  VkDescriptorSet prepare_set_ = VK_NULL_HANDLE;
  PreparePush prepare_push_{};
  // Absorb 0.
  sv::Buffer decompressed_, keys_, values_;
  std::unique_ptr<sv::Matmul> decompress_;
  std::unique_ptr<sv::Kernel> gather_;
  VkDescriptorSet gather_set_ = VK_NULL_HANDLE;
  GatherPush gather_push_{};
  // Absorb 1.
  sv::Buffer fold_weights_, unfold_weights_, latent_out_;
  HeadsMatmul fold_, unfold_;
  // The attention core.
  std::unique_ptr<sv::Kernel> core_kernel_, combine_;
  VkDescriptorSet core_set_ = VK_NULL_HANDLE, combine_set_ = VK_NULL_HANDLE;
  sv::Buffer part_ml_, part_o_;
  PrefillPush prefill_push_{};
  DecodePush decode_push_{};
  uint32_t tokens_per_group_ = 1, row_blocks_ = 1, splits_ = 1;
  // DSA's indexer, selection and sparse attention.
  std::unique_ptr<DsaVulkan> dsa_;
};

}  // namespace

std::unique_ptr<sdk::Instance> make_mla_vulkan_instance(const MlaShape& shape, const ab_host& host,
                                                        const sdk::Tensors& tensors) {
  return std::make_unique<MlaVulkan>(shape, host, tensors);
}

std::unique_ptr<sdk::Instance> MlaVariant::create_vulkan(const sdk::Problem& problem, const ab_host& host,
                                                         const sdk::Tensors& tensors) const {
  return make_mla_vulkan_instance(MlaShape::of(problem), host, tensors);
}

}  // namespace archbench::plugins::attention
