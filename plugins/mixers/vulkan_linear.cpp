// mixer/linear (with its retention decay, feature map and normalizer) and
// mixer/gla on Vulkan:
//   prefill  linear_prepare.comp  every token's q, k with the chunk's decays
//                                 folded in (f32 scratch), each chunk's end decay;
//            linear_chunk.comp    one dispatch per chunk, in order, workgroups
//                                 per (column block, head, sequence): the chunk's
//                                 scores, outputs and the state passed on;
//   decode   linear_decode.comp   one recurrent step, out of place.
// Options are specialization constants, shapes push constants. bf16 builds
// read q, k, v and write out as bf16; gates, decays and states are f32.
#include "vulkan_common.hpp"

#include "spirv/mixers_linear_chunk.hpp"
#include "spirv/mixers_linear_chunk_bf16.hpp"
#include "spirv/mixers_linear_decode.hpp"
#include "spirv/mixers_linear_decode_bf16.hpp"
#include "spirv/mixers_linear_prepare.hpp"
#include "spirv/mixers_linear_prepare_bf16.hpp"

#include <cmath>

namespace archbench::plugins::mixers::vk {
namespace {

#define MIXERS_SPIRV(stage, bf16) ((bf16) ? ARCHBENCH_SPIRV(mixers_##stage##_bf16) : ARCHBENCH_SPIRV(mixers_##stage))

struct PreparePush {
  uint32_t tokens, heads, chunks;
  float scale;
};
struct ChunkPush {
  uint32_t tokens, heads, chunks, chunk;
};
struct DecodePush {
  uint32_t heads;
  float scale;
};

class LinearVulkan : public sdk::Instance {
 public:
  LinearVulkan(const Shape& s, const ab_host& host, const sdk::Tensors& tensors)
      : device_(sv::Device::from(host)), dummy_(device_, 16), heads_(uint32_t(s.heads)), batch_(uint32_t(s.batch)) {
    const bool bf16 = s.dtype == AB_DTYPE_BF16, gla = s.rule == Rule::gla;
    const bool elu1 = s.rule == Rule::linear && s.feature == FeatureMap::elu1, normalize = s.has_norm_state();
    const auto h = heads_, dk = uint32_t(s.dk), dv = uint32_t(s.dv);
    // The fixed decay of each head, rounded once from double as the CPU does (1: none).
    std::vector<float> decays(size_t(s.heads));
    for (int64_t head = 0; head < s.heads; ++head) decays[size_t(head)] = float(std::exp(s.log_decay(head)));
    decays_ = sv::Buffer::with(device_, decays);
    const sv::Binding dummy = sv::Binding::of(dummy_);
    const sv::Binding q = tensor(device_, tensors, "q"), k = tensor(device_, tensors, "k"),
                      v = tensor(device_, tensors, "v"), out = tensor(device_, tensors, "out");
    const sv::Binding gate = gla ? tensor(device_, tensors, "gate") : dummy;

    if (s.mode == Mode::decode) {
      decode_ = std::make_unique<sv::Kernel>(device_, MIXERS_SPIRV(linear_decode, bf16), 10, sizeof(DecodePush),
                                             sv::Specialization{dk, dv, flag(elu1), flag(gla), flag(normalize)}, 1);
      decode_set_ = decode_->bind({q, k, v, gate, sv::Binding::of(decays_), tensor(device_, tensors, "state"),
                                   normalize ? tensor(device_, tensors, "state_norm") : dummy, out,
                                   tensor(device_, tensors, "new_state"),
                                   normalize ? tensor(device_, tensors, "new_norm") : dummy});
      decode_push_ = {h, float(s.scale())};
      groups_ = sv::groups_for(s.dv, kLanes * (bf16 ? 2 : 1));
      return;
    }
    // Prompts shorter than a chunk run as one chunk of their own length.
    const int64_t chunk = std::min(s.chunk, s.seq), chunks = (s.seq + chunk - 1) / chunk;
    const auto L = uint32_t(chunk);
    require_shared(device_, "the chunk kernel at chunk " + std::to_string(chunk), 4ull * (uint64_t(L) * L + L));
    qt_ = scratch(device_, "the prepared queries", s.batch * s.heads * s.seq * s.dk);
    kt_ = scratch(device_, "the prepared keys", s.batch * s.heads * s.seq * s.dk);
    chunk_end_ = scratch(device_, "the chunk decays", s.batch * s.heads * chunks * s.dk);
    const sv::Binding qt = sv::Binding::of(qt_), kt = sv::Binding::of(kt_), ends = sv::Binding::of(chunk_end_);
    prepare_ = std::make_unique<sv::Kernel>(device_, MIXERS_SPIRV(linear_prepare, bf16), 7, sizeof(PreparePush),
                                            sv::Specialization{dk, L, flag(elu1), flag(gla)}, 1);
    prepare_set_ = prepare_->bind({q, k, gate, sv::Binding::of(decays_), qt, kt, ends});
    prepare_push_ = {uint32_t(s.seq), h, uint32_t(chunks), float(s.scale())};
    groups_ = sv::groups_for(s.dv, kChunkColumns);
    // Each column block's own running normalizer.
    if (normalize) block_norms_ = scratch(device_, "the normalizers", s.batch * s.heads * groups_ * s.dk);
    chunk_ = std::make_unique<sv::Kernel>(device_, MIXERS_SPIRV(linear_chunk, bf16), 8, sizeof(ChunkPush),
                                          sv::Specialization{dk, dv, L, kChunkColumns, flag(normalize), chunk_lanes(device_)}, 1);
    chunk_set_ = chunk_->bind({qt, kt, ends, v, out, tensor(device_, tensors, "final_state"),
                               normalize ? sv::Binding::of(block_norms_) : dummy,
                               normalize ? tensor(device_, tensors, "final_norm") : dummy});
    chunk_push_ = {uint32_t(s.seq), h, uint32_t(chunks), 0};
    prepare_groups_ = striding_groups(chunks);
  }

  void record(void* command_buffer) override {
    const auto cmd = static_cast<VkCommandBuffer>(command_buffer);
    if (decode_) {
      decode_->dispatch(cmd, decode_set_, decode_push_, groups_, heads_, batch_);
      return;
    }
    prepare_->dispatch(cmd, prepare_set_, prepare_push_, prepare_groups_, heads_, batch_);
    // The state passes from chunk to chunk through memory: a barrier after each.
    ChunkPush push = chunk_push_;
    for (push.chunk = 0; push.chunk < push.chunks; ++push.chunk) {
      sv::compute_barrier(cmd);
      chunk_->dispatch(cmd, chunk_set_, push, groups_, heads_, batch_);
    }
  }

 private:
  sv::Device device_;
  sv::Buffer dummy_, decays_, qt_, kt_, chunk_end_, block_norms_;
  std::unique_ptr<sv::Kernel> prepare_, chunk_, decode_;
  VkDescriptorSet prepare_set_ = VK_NULL_HANDLE, chunk_set_ = VK_NULL_HANDLE, decode_set_ = VK_NULL_HANDLE;
  PreparePush prepare_push_{};
  ChunkPush chunk_push_{};
  DecodePush decode_push_{};
  uint32_t heads_, batch_;
  uint32_t groups_ = 1, prepare_groups_ = 1;
};

}  // namespace

std::unique_ptr<sdk::Instance> make_linear_instance(const Shape& shape, const ab_host& host,
                                                    const sdk::Tensors& tensors) {
  return std::make_unique<LinearVulkan>(shape, host, tensors);
}

}  // namespace archbench::plugins::mixers::vk
