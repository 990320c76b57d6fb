// Host tensors owned by the harness: allocated with guard regions on both
// sides (to catch out-of-bounds writes), filled from the problem's seed, and
// bound to plugins as ab_tensor views.
#pragma once

#include <archbench/plugin_abi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace archbench {

class TensorSet {
 public:
  explicit TensorSet(const ab_problem_info& info);
  TensorSet(const TensorSet&) = delete;
  TensorSet& operator=(const TensorSet&) = delete;
  ~TensorSet();

  // Fills INPUT/WEIGHT/STATE tensors from the seed by each tensor's fill policy;
  // each tensor gets its own stream (seed x tensor name), so adding a tensor
  // never changes the others.
  void fill(uint64_t seed);
  // Refills only the INPUT tensors from another seed (a second input set whose
  // outputs differ, so replaying a cached answer shows).
  void fill_inputs(uint64_t seed);
  // The INPUT tensors' bytes, to switch between input sets without refilling.
  using InputSnapshot = std::vector<std::vector<uint8_t>>;
  InputSnapshot snapshot_inputs() const;
  void restore_inputs(const InputSnapshot& snapshot);
  // Writes NaN (integers: kPoisonInteger) into every OUTPUT, so an output the
  // plugin never writes cannot pass as correct.
  void poison_outputs();
  // Marks the first and last element of each output with NaN; `canaries_written`
  // says whether an execute overwrote all of them (cheap per-iteration check).
  void set_canaries();
  bool canaries_written() const;
  // Names of tensors whose guard regions were touched (empty when intact).
  std::vector<std::string> damaged_guards() const;

  const ab_tensor* bound() const { return bound_.data(); }
  uint32_t count() const { return uint32_t(bound_.size()); }
  const ab_problem_info& info() const { return info_; }
  std::vector<double> output_as_doubles(uint32_t index) const;
  uint64_t total_bytes() const;

 private:
  struct Buffer {
    uint8_t* block = nullptr;  // guard | data | guard
    uint64_t bytes = 0;
  };
  void fill_where(uint64_t seed, bool inputs_only);
  ab_problem_info info_;
  std::vector<Buffer> buffers_;
  std::vector<ab_tensor> bound_;
};

uint64_t tensor_bytes(const ab_tensor_desc& desc);

// What an unwritten int32 output holds (floats hold NaN). The bit pattern of two
// bf16 NaNs and of the Vulkan runner's fill word, so every backend poisons alike;
// as an integer it is no index any real tensor has.
inline constexpr int32_t kPoisonInteger = 0x7FC07FC0;

}  // namespace archbench
