// Mamba-1's selective scan on the CPU, shared by the core-level instance (its
// inputs are the problem's tensors) and the layer (its inputs are slices of
// the projections' outputs): every per-token input is a row-strided view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace archbench::plugins::ssm {

struct ScanArgs {
  int64_t batch = 1, tokens = 1, d_inner = 1, d_state = 1;
  // Row r = b * tokens + t of a per-token input starts at base + r * stride.
  const float* u = nullptr;
  int64_t u_stride = 0;
  const float* delta = nullptr;
  int64_t delta_stride = 0;
  const float* B = nullptr;
  int64_t B_stride = 0;
  const float* C = nullptr;
  int64_t C_stride = 0;
  const float* z = nullptr;  // the gate, or none
  int64_t z_stride = 0;
  const float* a_log = nullptr;  // [d_inner, d_state]
  const float* D = nullptr;      // [d_inner]
  const float* state = nullptr;  // [batch, d_inner, d_state] to start from, or none (zero)
  float* y = nullptr;
  int64_t y_stride = 0;
  float* state_out = nullptr;    // [batch, d_inner, d_state] after the last token
};

class SelectiveScan {
 public:
  explicit SelectiveScan(int threads) : threads_(threads < 1 ? 1 : threads), h_(size_t(threads_)) {}
  void run(const ScanArgs& args);

 private:
  void pack_decays(const ScanArgs& args);
  void scan_block(const ScanArgs& args, int64_t b, int64_t block);
  int threads_;
  std::vector<float> a_blocks_;             // A log2(e), A = -exp(a_log), as [block][state][16 lanes]
  std::vector<std::vector<float>> h_;       // one block's state per thread
};

}  // namespace archbench::plugins::ssm
