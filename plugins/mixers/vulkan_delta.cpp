// mixer/gated-deltanet on Vulkan, the core (vulkan_delta.hpp) and the core
// level's instance over the problem's own q, k, v, beta and alpha:
//   delta_prepare.comp  conv + SiLU, L2-normalized q/k, q scaled: an f32
//                       scratch of every token's [q | k | v] channels;
//   prefill             delta_chunk.comp, one dispatch per chunk in order,
//                       workgroups per (column block, head, sequence): the
//                       chunked gated delta rule (WY / UT form);
//   decode              delta_decode.comp, one step, out of place;
//   conv_window.comp    the conv window the step leaves (conv > 1).
// bf16 builds read q, k, v, conv_weight and conv_state and write out and the
// window as bf16; alpha, beta, the state and the scratch are f32.
#include "vulkan_delta.hpp"

#include "spirv/mixers_conv_window.hpp"
#include "spirv/mixers_conv_window_bf16.hpp"
#include "spirv/mixers_delta_chunk.hpp"
#include "spirv/mixers_delta_chunk_bf16.hpp"
#include "spirv/mixers_delta_decode.hpp"
#include "spirv/mixers_delta_decode_bf16.hpp"
#include "spirv/mixers_delta_prepare.hpp"
#include "spirv/mixers_delta_prepare_bf16.hpp"

namespace archbench::plugins::mixers::vk {

#define MIXERS_SPIRV(stage, bf16) ((bf16) ? ARCHBENCH_SPIRV(mixers_##stage##_bf16) : ARCHBENCH_SPIRV(mixers_##stage))

DeltaBindings delta_bindings(const sv::Device& device, const Shape& s, const sdk::Tensors& tensors,
                             const sv::Binding& dummy, sv::Binding q, sv::Binding k, sv::Binding v,
                             sv::Binding beta, sv::Binding alpha, sv::Binding out) {
  const bool decode = s.mode == Mode::decode;
  auto bind = [&](const char* name) { return tensor(device, tensors, name); };
  DeltaBindings b{q, k, v, dummy, dummy, beta, alpha, out, dummy, bind(decode ? "new_state" : "final_state"), dummy};
  if (s.conv > 0) b.conv_weight = bind("conv_weight");
  if (decode) b.state = bind("state");
  if (s.conv_history() > 0) {
    if (decode) b.conv_state = bind("conv_state");
    b.conv_out = bind(decode ? "new_conv" : "final_conv");
  }
  return b;
}

DeltaCore::DeltaCore(const sv::Device& device, const Shape& s, const DeltaBindings& b)
    : heads_(uint32_t(s.heads)), batch_(uint32_t(s.batch)) {
  const bool bf16 = s.dtype == AB_DTYPE_BF16, decode = s.mode == Mode::decode;
  const auto dk = uint32_t(s.dk), dv = uint32_t(s.dv), qh = uint32_t(s.qk_heads), T = uint32_t(s.tokens());

  mixed_ = scratch(device, "the convolved channels", s.batch * s.tokens() * s.conv_channels());
  const sv::Binding mixed = sv::Binding::of(mixed_);
  prepare_ = std::make_unique<sv::Kernel>(device, MIXERS_SPIRV(delta_prepare, bf16), 6, sizeof(PreparePush),
                                          sv::Specialization{dk, dv, uint32_t(s.conv), flag(decode)}, 1);
  prepare_set_ = prepare_->bind({b.q, b.k, b.v, b.conv_weight, b.conv_state, mixed});
  prepare_push_ = {T, heads_, qh, float(s.scale())};
  prepare_groups_ = striding_groups(s.tokens());

  if (s.conv_history() > 0) {
    window_ = std::make_unique<sv::Kernel>(device, MIXERS_SPIRV(conv_window, bf16), 5, sizeof(WindowPush),
                                           sv::Specialization{dk, dv, uint32_t(s.conv_history()), flag(decode)}, 1);
    window_set_ = window_->bind({b.q, b.k, b.v, b.conv_state, b.conv_out});
    window_push_ = {T, heads_, qh, batch_};
    const int64_t words = s.batch * s.conv_history() * s.conv_channels() / (bf16 ? 2 : 1);
    window_groups_ = striding_groups(sv::groups_for(words, kLanes));
  }

  if (decode) {
    step_ = std::make_unique<sv::Kernel>(device, MIXERS_SPIRV(delta_decode, bf16), 6, sizeof(DecodePush),
                                         sv::Specialization{dk, dv}, 1);
    step_set_ = step_->bind({mixed, b.beta, b.alpha, b.state, b.out, b.state_out});
    decode_push_ = {heads_, qh};
    groups_ = sv::groups_for(s.dv, kLanes * (bf16 ? 2 : 1));
    return;
  }
  // Prompts shorter than a chunk run as one chunk of their own length.
  const int64_t chunk = std::min(s.chunk, s.seq), chunks = (s.seq + chunk - 1) / chunk;
  const auto L = uint32_t(chunk);
  require_shared(device, "the chunk kernel at chunk " + std::to_string(chunk),
                 4ull * (uint64_t(L) * L + uint64_t(L) * kChunkColumns + 2ull * L));
  step_ = std::make_unique<sv::Kernel>(device, MIXERS_SPIRV(delta_chunk, bf16), 5, sizeof(ChunkPush),
                                       sv::Specialization{dk, dv, L, kChunkColumns, chunk_lanes(device)}, 1);
  step_set_ = step_->bind({mixed, b.beta, b.alpha, b.out, b.state_out});
  chunk_push_ = {T, heads_, qh, uint32_t(chunks), 0};
  groups_ = sv::groups_for(s.dv, kChunkColumns);
}

void DeltaCore::record(VkCommandBuffer cmd) const {
  if (window_) window_->dispatch(cmd, window_set_, window_push_, window_groups_);  // reads only inputs
  prepare_->dispatch(cmd, prepare_set_, prepare_push_, prepare_groups_, batch_);
  if (chunk_push_.chunks == 0) {  // decode
    sv::compute_barrier(cmd);     // the convolved token is complete before the step reads it
    step_->dispatch(cmd, step_set_, decode_push_, groups_, heads_, batch_);
    return;
  }
  // The state passes from chunk to chunk through memory: a barrier before each.
  ChunkPush push = chunk_push_;
  for (push.chunk = 0; push.chunk < push.chunks; ++push.chunk) {
    sv::compute_barrier(cmd);
    step_->dispatch(cmd, step_set_, push, groups_, heads_, batch_);
  }
}

namespace {

// The core level: the core over the problem's own tensors.
class DeltaVulkan : public sdk::Instance {
 public:
  DeltaVulkan(const Shape& s, const ab_host& host, const sdk::Tensors& tensors)
      : device_(sv::Device::from(host)), dummy_(device_, 16) {
    auto bind = [&](const char* name) { return tensor(device_, tensors, name); };
    core_ = std::make_unique<DeltaCore>(
        device_, s,
        delta_bindings(device_, s, tensors, sv::Binding::of(dummy_), bind("q"), bind("k"), bind("v"), bind("beta"),
                       bind("alpha"), bind("out")));
  }

  void record(void* command_buffer) override { core_->record(static_cast<VkCommandBuffer>(command_buffer)); }

 private:
  sv::Device device_;
  sv::Buffer dummy_;  // bound where the shape has no such tensor
  std::unique_ptr<DeltaCore> core_;
};

}  // namespace

std::unique_ptr<sdk::Instance> make_delta_instance(const Shape& shape, const ab_host& host,
                                                   const sdk::Tensors& tensors) {
  return std::make_unique<DeltaVulkan>(shape, host, tensors);
}

}  // namespace archbench::plugins::mixers::vk
