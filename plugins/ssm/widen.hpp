// f32 views of a problem's tensors for the ssm kernels, which compute in f32:
// an f32 tensor is used in place; a bf16 input is widened into a scratch at
// the start of every execute and a bf16 output narrowed from one at the end
// (both part of the timed execute, as any bf16 model on this CPU pays them).
#pragma once

#include <archbench/sdk_cpu.hpp>

#include <cstdint>
#include <list>
#include <vector>

namespace archbench::plugins::ssm {

class F32Views {
 public:
  // Below this many elements a conversion runs on the calling thread: a decode's
  // few thousand values cost less than waking a thread team.
  static constexpr int64_t kThreadedCount = int64_t(1) << 16;

  // The input's f32 view (valid once widen_inputs() ran in this execute).
  const float* input(const ab_tensor& tensor) {
    const int64_t count = sdk::element_count(*tensor.desc);
    if (tensor.desc->dtype == AB_DTYPE_F32) return static_cast<const float*>(tensor.data);
    scratch_.emplace_back(size_t(count));
    inputs_.push_back({static_cast<const uint16_t*>(tensor.data), scratch_.back().data(), count});
    return scratch_.back().data();
  }
  // Where the kernel writes the output; narrow_outputs() copies it back.
  float* output(const ab_tensor& tensor) {
    const int64_t count = sdk::element_count(*tensor.desc);
    if (tensor.desc->dtype == AB_DTYPE_F32) return static_cast<float*>(tensor.data);
    scratch_.emplace_back(size_t(count));
    outputs_.push_back({static_cast<uint16_t*>(tensor.data), scratch_.back().data(), count});
    return scratch_.back().data();
  }
  void widen_inputs() const {
    for (const auto& c : inputs_) {
      if (c.count >= kThreadedCount) sdk::cpu::convert_elements(c.narrow, c.wide, c.count);
      else for (int64_t i = 0; i < c.count; ++i) c.wide[i] = sdk::bf16_to_f32(c.narrow[i]);
    }
  }
  void narrow_outputs() const {
    for (const auto& c : outputs_) {
      if (c.count >= kThreadedCount) sdk::cpu::convert_elements(c.wide, c.narrow_out, c.count);
      else for (int64_t i = 0; i < c.count; ++i) c.narrow_out[i] = sdk::f32_to_bf16(c.wide[i]);
    }
  }

 private:
  struct In { const uint16_t* narrow; float* wide; int64_t count; };
  struct Out { uint16_t* narrow_out; float* wide; int64_t count; };
  std::list<std::vector<float>> scratch_;  // a list: views stay valid as it grows
  std::vector<In> inputs_;
  std::vector<Out> outputs_;
};

}  // namespace archbench::plugins::ssm
