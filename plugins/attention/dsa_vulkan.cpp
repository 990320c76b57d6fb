// attention/dsa's indexer, selection and sparse attention on Vulkan (see
// dsa_vulkan.hpp for the stages, shaders/README.md for the shaders). Storage
// follows mla_vulkan.cpp: the problem's tensors, the index cache and the
// projections' outputs f32 or bf16 (in pairs, or as 16-bit elements when a
// width is odd: the MLA instance chooses); index queries, weights, keys,
// scores and all arithmetic f32.
#include "dsa_vulkan.hpp"

#include "spirv/attention_dsa_attention.hpp"
#include "spirv/attention_dsa_attention_bf16.hpp"
#include "spirv/attention_dsa_attention_bf16_16bit.hpp"
#include "spirv/attention_dsa_indexer.hpp"
#include "spirv/attention_dsa_indexer_bf16.hpp"
#include "spirv/attention_dsa_indexer_bf16_16bit.hpp"
#include "spirv/attention_dsa_prepare.hpp"
#include "spirv/attention_dsa_prepare_bf16.hpp"
#include "spirv/attention_dsa_prepare_bf16_16bit.hpp"
#include "spirv/attention_dsa_topk.hpp"

#include <algorithm>
#include <cmath>

namespace archbench::plugins::attention {
namespace {

namespace sv = sdk::vulkan;

constexpr uint32_t kWorkgroup = 64;  // dsa_prepare and dsa_indexer: a power of two
constexpr uint32_t kIndexerKeys = 4;  // positions per lane of dsa_indexer.comp (its KEYS)

struct PreparePush {
  int32_t tokens, first_position, slots;
  int32_t ih, id, ir;
  int32_t w_offset, w_stride, k_offset, k_stride;
  float w_scale;
};
struct ScoresPush {
  int32_t tokens, first_position, slots, context;
  int32_t ih, id, span;
};
struct TopKPush {
  int32_t tokens, first_position, context, span;
  int32_t top_k, kept;
};
struct AttentionPush {
  int32_t tokens, heads, kv_rows, kept;
};

}  // namespace

struct DsaVulkan::Impl {
  MlaShape s;
  Shape p;
  const sv::Device& device;
  VulkanStorage storage;
  sv::Buffer dummy, index_q_rows, index_kw_rows, rope, iq, iw, ik, scores_scratch;
  std::unique_ptr<sv::Matmul> q_projection, kw_projection;
  std::unique_ptr<sv::Kernel> prepare, scores, top_k, attention;
  VkDescriptorSet prepare_set = VK_NULL_HANDLE, scores_set = VK_NULL_HANDLE, top_k_set = VK_NULL_HANDLE,
                  attention_set = VK_NULL_HANDLE;
  PreparePush prepare_push{};
  ScoresPush scores_push{};
  TopKPush top_k_push{};
  AttentionPush attention_push{};
  uint32_t head_blocks = 1;

  Impl(const MlaShape& shape, const sv::Device& dev, const sdk::Tensors& tensors, const DsaVulkanSources& in)
      : s(shape), p(shape.positions()), device(dev), storage(in.storage), dummy(dev, 16) {
    if (s.layer()) {
      if (storage != VulkanStorage::f32) build_projections<uint16_t>(tensors, in);
      else build_projections<float>(tensors, in);
    }
    build_prepare(tensors);
    build_selection(tensors, in.lanes);
    build_attention(tensors, in);
  }

  // E: the storage element of the weights (float or bf16 bits).
  template <class E>
  void build_projections(const sdk::Tensors& tensors, const DsaVulkanSources& in) {
    const int64_t rows = s.batch * p.tokens(), dm = s.d_model, ih = s.index_heads, id = s.index_dim;
    const bool from_latent = s.q_lora_rank > 0;
    index_q_rows = sv::Buffer(device, uint64_t(rows * ih * id) * sizeof(E));
    index_kw_rows = sv::Buffer(device, uint64_t(rows * (id + ih)) * sizeof(E));
    device.require_bindable("the index queries", index_q_rows.bytes());
    const sv::Binding none = sv::Binding::of(dummy);
    q_projection = std::make_unique<sv::Matmul>(
        device, in.projection, *in.tiling, static_cast<const E*>(tensors["w_iq"].data), nullptr, uint32_t(rows),
        uint32_t(from_latent ? s.q_lora_rank : dm), uint32_t(ih * id), from_latent ? in.q_latent : in.x,
        sv::Binding::of(index_q_rows), none);
    // [W_ik | W_iw] row by row: one pass over x for the key and the weights.
    const auto* wk = static_cast<const E*>(tensors["w_ik"].data);
    const auto* ww = static_cast<const E*>(tensors["w_iw"].data);
    std::vector<E> fused(size_t(dm * (id + ih)));
    for (int64_t r = 0; r < dm; ++r) {
      std::copy(wk + r * id, wk + (r + 1) * id, fused.begin() + r * (id + ih));
      std::copy(ww + r * ih, ww + (r + 1) * ih, fused.begin() + r * (id + ih) + id);
    }
    kw_projection = std::make_unique<sv::Matmul>(device, in.projection, *in.tiling, fused.data(), nullptr,
                                                 uint32_t(rows), uint32_t(dm), uint32_t(id + ih), in.x,
                                                 sv::Binding::of(index_kw_rows), none);
  }

  void build_prepare(const sdk::Tensors& tensors) {
    const int64_t b = s.batch, t = p.tokens(), rows = b * t, ih = s.index_heads, id = s.index_dim,
                  ir = s.index_rope, half = ir / 2;
    if (id > 1024) throw sdk::Unimplemented("attention/dsa on Vulkan: dsa_prepare.comp holds index_dim <= 1024");
    // Host RoPE table of the index dims, as mla_vulkan.cpp builds the MLA one.
    if (half > 0) {
      std::vector<float> table(size_t(t * ir));
      for (int64_t q = 0; q < t; ++q)
        for (int64_t k = 0; k < half; ++k) {
          const double angle = double(p.first_position() + q) * std::pow(s.rope_theta, -2.0 * double(k) / double(ir));
          table[size_t(q * ir + k)] = float(std::cos(angle));
          table[size_t(q * ir + half + k)] = float(std::sin(angle));
        }
      rope = sv::Buffer::with(device, table);
    }
    iq = sv::Buffer(device, uint64_t(rows * ih * id) * 4);
    iw = sv::Buffer(device, uint64_t(rows * ih) * 4);
    ik = sv::Buffer(device, uint64_t(rows * id) * 4);
    device.require_bindable("the prepared index queries", iq.bytes());
    device.require_bindable("index_cache", tensors["index_cache"].bytes);
    sv::require_groups("attention/dsa prepare", t, b);
    prepare_push = {int32_t(t), int32_t(p.first_position()), int32_t(p.slots()), int32_t(ih), int32_t(id),
                    int32_t(ir), 0, int32_t(ih), 0, int32_t(id), 1.0f};
    sv::Binding q_in, w_in, k_in;
    const sv::Binding none = sv::Binding::of(dummy);
    if (s.layer()) {
      q_in = sv::Binding::of(index_q_rows);
      w_in = k_in = sv::Binding::of(index_kw_rows);
      prepare_push.w_offset = int32_t(id);
      prepare_push.w_stride = prepare_push.k_stride = int32_t(id + ih);
      prepare_push.w_scale = float(1.0 / std::sqrt(double(ih * id)));
    } else {
      q_in = sv::Binding::of(device, tensors["index_q"]);
      w_in = sv::Binding::of(device, tensors["index_w"]);
      k_in = sv::Binding::of(device, tensors["index_k"]);
    }
    prepare = std::make_unique<sv::Kernel>(device, ATTENTION_STORAGE_SPIRV(dsa_prepare, storage), 10,
                                           sizeof(PreparePush), sv::Specialization{kWorkgroup, uint32_t(s.layer())});
    prepare_set = prepare->bind({q_in, w_in, k_in, s.layer() ? sv::Binding::of(device, tensors["ik_gamma"]) : none,
                                 s.layer() ? sv::Binding::of(device, tensors["ik_beta"]) : none,
                                 half > 0 ? sv::Binding::of(rope) : none, sv::Binding::of(iq), sv::Binding::of(iw),
                                 sv::Binding::of(ik), sv::Binding::of(device, tensors["index_cache"])});
  }

  void build_selection(const sdk::Tensors& tensors, uint32_t lanes) {
    const int64_t b = s.batch, t = p.tokens(), context = p.context();
    // The scores land in `index_scores` when the problem declares it (the
    // host ranks the selection by the reference's); otherwise in a scratch.
    sv::Binding scores_out;
    if (s.has_index_scores()) {
      scores_out = sv::Binding::of(device, tensors["index_scores"]);
    } else {
      const uint64_t bytes = uint64_t(b * t) * uint64_t(context) * 4;
      device.require_bindable("the index scores", bytes);
      scores_scratch = sv::Buffer(device, bytes);
      scores_out = sv::Binding::of(scores_scratch);
    }
    const uint32_t mask = uint32_t(s.mask);
    sv::require_groups("attention/dsa scores", sv::groups_for(context, kWorkgroup * kIndexerKeys), t, b);
    scores_push = {int32_t(t), int32_t(p.first_position()), int32_t(p.slots()), int32_t(context),
                   int32_t(s.index_heads), int32_t(s.index_dim), int32_t(s.span)};
    scores = std::make_unique<sv::Kernel>(device, ATTENTION_STORAGE_SPIRV(dsa_indexer, storage), 5, sizeof(ScoresPush),
                                          sv::Specialization{kWorkgroup, mask});
    scores_set = scores->bind({sv::Binding::of(iq), sv::Binding::of(iw), sv::Binding::of(ik),
                               sv::Binding::of(device, tensors["index_cache"]), scores_out});
    sv::require_groups("attention/dsa top-k", t, b);
    top_k_push = {int32_t(t), int32_t(p.first_position()), int32_t(context), int32_t(s.span), int32_t(s.top_k),
                  int32_t(s.kept())};
    top_k = std::make_unique<sv::Kernel>(device, ARCHBENCH_SPIRV(attention_dsa_topk), 2, sizeof(TopKPush),
                                         sv::Specialization{lanes, mask}, 1, lanes);
    top_k_set = top_k->bind({scores_out, sv::Binding::of(device, tensors["selected"])});
  }

  void build_attention(const sdk::Tensors& tensors, const DsaVulkanSources& in) {
    const int64_t b = s.batch, t = p.tokens(), width = s.cache_width(), kvr = s.kv_lora_rank;
    // Heads per workgroup: dsa_attention.comp holds rows x (width + kvr)
    // floats per lane; 1280 is decode.comp's measured limit on llvmpipe, so
    // DeepSeek's rows (576 + 512) go one head at a time.
    const int64_t heads = std::clamp<int64_t>(1280 / (width + kvr), 1, std::min<int64_t>(4, s.heads));
    head_blocks = uint32_t((s.heads + heads - 1) / heads);
    sv::require_groups("attention/dsa sparse attention", t, head_blocks, b);
    attention_push = {int32_t(t), int32_t(s.heads), int32_t(in.kv_rows), int32_t(s.kept())};
    attention = std::make_unique<sv::Kernel>(
        device, ATTENTION_STORAGE_SPIRV(dsa_attention, storage), 4, sizeof(AttentionPush),
        sv::Specialization{in.lanes, uint32_t(width), uint32_t(kvr), uint32_t(heads)}, 1, in.lanes);
    attention_set = attention->bind(
        {in.queries, in.cache_rows, sv::Binding::of(device, tensors["selected"]), in.attended});
  }
};

DsaVulkan::DsaVulkan(const MlaShape& shape, const sv::Device& device, const sdk::Tensors& tensors,
                     const DsaVulkanSources& sources)
    : impl_(std::make_unique<Impl>(shape, device, tensors, sources)) {}

DsaVulkan::~DsaVulkan() = default;

void DsaVulkan::record_projections(VkCommandBuffer cmd) const {
  if (impl_->q_projection) impl_->q_projection->record(cmd);
  if (impl_->kw_projection) impl_->kw_projection->record(cmd);
}

void DsaVulkan::record_prepare(VkCommandBuffer cmd) const {
  const Impl& m = *impl_;
  m.prepare->dispatch(cmd, m.prepare_set, m.prepare_push, uint32_t(m.p.tokens()), uint32_t(m.s.batch));
}

void DsaVulkan::record_scores(VkCommandBuffer cmd) const {
  const Impl& m = *impl_;
  m.scores->dispatch(cmd, m.scores_set, m.scores_push, sv::groups_for(m.p.context(), kWorkgroup * kIndexerKeys),
                     uint32_t(m.p.tokens()), uint32_t(m.s.batch));
}

void DsaVulkan::record_top_k(VkCommandBuffer cmd) const {
  const Impl& m = *impl_;
  m.top_k->dispatch(cmd, m.top_k_set, m.top_k_push, uint32_t(m.p.tokens()), uint32_t(m.s.batch));
}

void DsaVulkan::record_attention(VkCommandBuffer cmd) const {
  const Impl& m = *impl_;
  m.attention->dispatch(cmd, m.attention_set, m.attention_push, uint32_t(m.p.tokens()), m.head_blocks,
                        uint32_t(m.s.batch));
}

}  // namespace archbench::plugins::attention
