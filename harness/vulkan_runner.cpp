// The Vulkan backend's runner. Each tensor gets its own device buffer with
// guard regions on both sides; inputs are uploaded once (again only when an
// accuracy task rewrites them between runs), and timing's two input sets are
// kept in buffers of their own and copied in on the device; the instance records
// its dispatches once into a command buffer that the runner brackets with:
//
//   fill canaries (first/last word of each output) | start timestamp |
//   the plugin's commands | end timestamp | copy canaries to host memory
//
// and replays for every measurement. GPU time between the two timestamps is
// what Google Benchmark receives as manual time; the canaries prove each
// replay really wrote its outputs.
#include "backends/vulkan/vulkan_context.hpp"
#include "harness/instance_runner.hpp"

#include <archbench/sdk.hpp>

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace archbench {
namespace {

constexpr uint32_t kGuardWord = 0xA5A5A5A5u;
constexpr uint32_t kNanWord = 0x7FC07FC0u;  // NaN as one f32 and as two bf16/f16 halves
static_assert(kNanWord == uint32_t(kPoisonInteger), "int32 outputs are poisoned with the same word");

uint64_t round_up(uint64_t value, uint64_t to) { return (value + to - 1) / to * to; }

bool element_is_nan(uint32_t word, ab_dtype dtype, uint64_t byte_in_word) {
  if (dtype == AB_DTYPE_I32) return word == kNanWord;  // the integer poison
  if (dtype == AB_DTYPE_F32) {
    float f;
    std::memcpy(&f, &word, 4);
    return std::isnan(f);
  }
  const uint16_t half = uint16_t(word >> (8 * byte_in_word));
  return (half & 0x7F80u) == 0x7F80u && (half & 0x007Fu) != 0;  // bf16 NaN (f16 shares the test closely enough)
}

class VulkanRunner : public InstanceRunner {
 public:
  VulkanRunner(const ab_variant& variant, TensorSet& tensors)
      : context_(vulkan::Options::from_environment()), variant_(variant), tensors_(tensors) {
    guard_ = round_up(256, context_.storage_alignment());
    for (uint32_t i = 0; i < tensors_.count(); ++i) {
      const ab_tensor& t = tensors_.bound()[i];
      Mirror m;
      m.data_bytes = round_up(t.bytes, 4);
      m.allocation = context_.allocate(guard_ + m.data_bytes + guard_, false);
      mirrors_.push_back(m);
    }
    context_.run_now([&](VkCommandBuffer cmd) {
      for (auto& m : mirrors_) vkCmdFillBuffer(cmd, m.allocation.buffer, 0, VK_WHOLE_SIZE, kGuardWord);
    });
    for (uint32_t i = 0; i < tensors_.count(); ++i) {
      const ab_tensor& t = tensors_.bound()[i];
      if (t.desc->role != AB_TENSOR_OUTPUT) context_.upload(mirrors_[i].allocation.buffer, guard_, t.data, t.bytes);
    }
    context_.set_tensor_lookup([this](const ab_tensor* tensor, uint64_t* offset) -> uint64_t {
      for (uint32_t i = 0; i < tensors_.count(); ++i)
        if (&tensors_.bound()[i] == tensor || tensors_.bound()[i].desc == tensor->desc) {
          *offset = guard_;
          return uint64_t(reinterpret_cast<uintptr_t>(mirrors_[i].allocation.buffer));
        }
      return 0;
    });
  }

  ~VulkanRunner() override {
    if (instance_) variant_.destroy(instance_);
    if (command_) context_.free_command_buffer(command_);
    for (auto& m : mirrors_) context_.release(m.allocation);
    for (auto& set : input_sets_)
      for (auto& staged : set) context_.release(staged.allocation);
    context_.release(canaries_);
  }

  // create + record; returns {outcome, reason}, both empty on success.
  std::pair<std::string, std::string> create(const ab_problem& problem, const ab_host& cpu_host) {
    host_ = cpu_host;
    host_.struct_size = sizeof host_;
    host_.vulkan = &context_.table();
    char error[512] = {};
    const ab_status created = variant_.create(variant_.context, &problem, AB_BACKEND_VULKAN, &host_,
                                              tensors_.bound(), tensors_.count(), &instance_, error, sizeof error);
    error[sizeof error - 1] = '\0';  // a plugin that filled the buffer left no end
    if (created == AB_ERR_UNIMPLEMENTED) return {"unimplemented", status_reason(created, error)};
    if (created != AB_OK) return {"failed", "create: " + status_reason(created, error)};
    if (std::string problems = backend_problems(); !problems.empty()) return {"failed", "create: " + problems};
    record();
    return {};
  }

  std::string run_checked() override {
    context_.run_now([&](VkCommandBuffer cmd) {
      for (uint32_t i = 0; i < tensors_.count(); ++i)
        if (tensors_.bound()[i].desc->role == AB_TENSOR_OUTPUT)
          vkCmdFillBuffer(cmd, mirrors_[i].allocation.buffer, guard_, mirrors_[i].data_bytes, kNanWord);
    });
    context_.submit_timed(command_);
    for (uint32_t i = 0; i < tensors_.count(); ++i) {
      const ab_tensor& t = tensors_.bound()[i];
      if (t.desc->role == AB_TENSOR_OUTPUT)
        context_.download(mirrors_[i].allocation.buffer, guard_, t.data, t.bytes);
    }
    return backend_problems();
  }

  void reload_inputs() override {
    for (uint32_t i = 0; i < tensors_.count(); ++i) {
      const ab_tensor& t = tensors_.bound()[i];
      if (t.desc->role == AB_TENSOR_INPUT) context_.upload(mirrors_[i].allocation.buffer, guard_, t.data, t.bytes);
    }
  }

  // Both input sets live in device buffers of their own; switching copies one
  // into the mirrors on the device (no host round trip between iterations).
  void stage_input_sets(TensorSet::InputSnapshot first, TensorSet::InputSnapshot second) override {
    const TensorSet::InputSnapshot* sets[2] = {&first, &second};
    for (int which = 0; which < 2; ++which) {
      size_t next = 0;
      for (uint32_t i = 0; i < tensors_.count(); ++i) {
        if (tensors_.bound()[i].desc->role != AB_TENSOR_INPUT) continue;
        const std::vector<uint8_t>& bytes = sets[which]->at(next++);
        vulkan::Context::Allocation copy = context_.allocate(std::max<size_t>(bytes.size(), 4), false);
        context_.upload(copy.buffer, 0, bytes.data(), bytes.size());
        input_sets_[which].push_back({i, copy});
      }
    }
  }

  void use_input_set(int which) override {
    context_.run_now([&](VkCommandBuffer cmd) {
      for (const StagedInput& staged : input_sets_[which]) {
        const VkBufferCopy region{0, guard_, tensors_.bound()[staged.tensor].bytes};
        if (region.size) vkCmdCopyBuffer(cmd, staged.allocation.buffer, mirrors_[staged.tensor].allocation.buffer, 1, &region);
      }
    });
  }

  void output_elements(uint32_t tensor, const std::vector<int64_t>& at, std::vector<double>& values) override {
    const ab_dtype dtype = tensors_.bound()[tensor].desc->dtype;
    const uint64_t size = sdk::dtype_size(dtype);
    std::vector<vulkan::Context::Piece> pieces;
    for (int64_t index : at) pieces.push_back({mirrors_[tensor].allocation.buffer, guard_ + uint64_t(index) * size, size});
    const std::vector<uint8_t> bytes = context_.gather(pieces);
    values.resize(at.size());
    for (size_t k = 0; k < at.size(); ++k) values[k] = sdk::element_as_double(bytes.data(), dtype, int64_t(k));
  }

  double timed_iteration() override {
    const double seconds = context_.submit_timed(command_);
    if (!canaries_written()) throw std::runtime_error("a replay left its outputs unwritten");
    return seconds;
  }

  std::string backend_problems() const override {
    if (context_.validation_errors() == 0) return {};
    return std::to_string(context_.validation_errors()) + " Vulkan validation error(s), first: " +
           context_.first_validation_error();
  }

  std::vector<std::string> damaged_guards() override {
    std::vector<std::string> damaged;
    std::vector<uint32_t> head(guard_ / 4), tail(guard_ / 4);
    for (uint32_t i = 0; i < tensors_.count(); ++i) {
      context_.download(mirrors_[i].allocation.buffer, 0, head.data(), guard_);
      context_.download(mirrors_[i].allocation.buffer, guard_ + mirrors_[i].data_bytes, tail.data(), guard_);
      // Bytes between a non-output's end and the next 4-byte boundary count as
      // guard too (an output's may be written by a shader storing whole bf16 pairs).
      const ab_tensor& t = tensors_.bound()[i];
      bool intact = true;
      for (uint32_t w : head) intact = intact && w == kGuardWord;
      for (uint32_t w : tail) intact = intact && w == kGuardWord;
      if (t.bytes % 4 && t.desc->role != AB_TENSOR_OUTPUT) {
        uint32_t last = 0;
        context_.download(mirrors_[i].allocation.buffer, guard_ + mirrors_[i].data_bytes - 4, &last, 4);
        intact = intact && (last >> (8 * (t.bytes % 4))) == (kGuardWord >> (8 * (t.bytes % 4)));
      }
      if (!intact) damaged.push_back(t.desc->name);
    }
    return damaged;
  }

 private:
  struct Mirror {
    vulkan::Context::Allocation allocation;
    uint64_t data_bytes = 0;
  };
  struct StagedInput {
    uint32_t tensor;
    vulkan::Context::Allocation allocation;
  };
  struct Canary {
    uint32_t tensor;
    uint64_t word_offset;    // within the tensor's data
    uint64_t byte_in_word;   // where the element starts in that word
  };

  void record() {
    for (uint32_t i = 0; i < tensors_.count(); ++i) {
      const ab_tensor& t = tensors_.bound()[i];
      if (t.desc->role != AB_TENSOR_OUTPUT || t.bytes == 0) continue;
      const uint64_t element = sdk::dtype_size(t.desc->dtype);
      for (uint64_t byte : {uint64_t(0), t.bytes - element})
        canary_list_.push_back({i, byte / 4 * 4, byte % 4});
    }
    canaries_ = context_.allocate(std::max<size_t>(canary_list_.size(), 1) * 4, true);
    ab_status recorded = AB_OK;
    command_ = context_.record_timed(
        [&](VkCommandBuffer cmd) { recorded = variant_.record(instance_, cmd); },
        [&](VkCommandBuffer cmd) {
          for (const Canary& c : canary_list_)
            vkCmdFillBuffer(cmd, mirrors_[c.tensor].allocation.buffer, guard_ + c.word_offset, 4, kNanWord);
        },
        [&](VkCommandBuffer cmd) {
          for (size_t k = 0; k < canary_list_.size(); ++k) {
            const Canary& c = canary_list_[k];
            const VkBufferCopy region{guard_ + c.word_offset, k * 4, 4};
            vkCmdCopyBuffer(cmd, mirrors_[c.tensor].allocation.buffer, canaries_.buffer, 1, &region);
          }
        });
    if (recorded != AB_OK) throw std::runtime_error("record: " + status_reason(recorded, nullptr));
  }

  bool canaries_written() const {
    const auto* words = static_cast<const uint32_t*>(canaries_.mapped);
    for (size_t k = 0; k < canary_list_.size(); ++k) {
      const Canary& c = canary_list_[k];
      if (element_is_nan(words[k], tensors_.bound()[c.tensor].desc->dtype, c.byte_in_word)) return false;
    }
    return true;
  }

  vulkan::Context context_;
  const ab_variant& variant_;
  TensorSet& tensors_;
  ab_host host_{};
  uint64_t guard_ = 256;
  std::vector<Mirror> mirrors_;
  std::vector<StagedInput> input_sets_[2];  // the two input sets timing alternates between
  std::vector<Canary> canary_list_;
  vulkan::Context::Allocation canaries_;
  VkCommandBuffer command_ = VK_NULL_HANDLE;
  ab_instance* instance_ = nullptr;
};

}  // namespace

CreatedRunner create_vulkan_runner(const ab_variant& variant, const ab_problem& problem,
                                   const ab_host& host, TensorSet& tensors) {
  std::unique_ptr<VulkanRunner> runner;
  try {
    runner = std::make_unique<VulkanRunner>(variant, tensors);
    auto [outcome, reason] = runner->create(problem, host);
    if (!outcome.empty()) return {nullptr, outcome, reason};
  } catch (const std::exception& e) {
    return {nullptr, "failed", std::string("vulkan: ") + e.what()};
  }
  return {std::move(runner), "", ""};
}

}  // namespace archbench
