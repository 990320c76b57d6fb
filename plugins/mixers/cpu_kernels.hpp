// The CPU backend's pieces and what they share: the host's tensors as raw
// pointers, per-head token rows prepared in f32 (feature maps, convolution,
// norms, scale and log-decays applied), the chunked prefill and the decode step.
#pragma once

#include "mixers.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <memory>
#include <vector>

namespace archbench::plugins::mixers::cpu {

// The bound tensors of one problem (null where the variant has none).
struct Inputs {
  const void *q = nullptr, *k = nullptr, *v = nullptr;  // problem dtype
  const float *gate = nullptr, *beta = nullptr, *alpha = nullptr;
  std::vector<float> conv_taps;  // GDN: conv_weight transposed to [conv, channels], f32
  const void* conv_state = nullptr;
  const float *state = nullptr, *state_norm = nullptr;  // decode
};
struct Outputs {
  void* out = nullptr;  // problem dtype
  float *state = nullptr, *norm = nullptr;
  void* conv = nullptr;  // problem dtype
};

// One head's tokens [t0, t0 + n) of one sequence, in f32, zero-padded to
// `padded` rows: padded tokens have k = v = 0, beta = 0 and log-decay 0, so
// they leave the state as it was. Decays are factors in (0, 1] (padding: 1):
// the chunk kernels accumulate them as products, which needs no exp or log.
struct TokenRows {
  std::vector<float> q, k, v;   // [padded, dk], [padded, dk], [padded, dv]
  std::vector<float> decay;      // [padded, dk] (GLA) or [padded] (the others); empty: none
  std::vector<float> beta;       // [padded] (GDN)
  std::vector<float> raw;        // scratch: raw input rows of the conv window
  std::vector<const float*> window;  // scratch: where each of those rows is read
  bool per_channel = false;
};
void load_tokens(const Shape& s, const Inputs& in, int64_t b, int64_t h, int64_t t0, int64_t n, int64_t padded,
                 TokenRows& rows);

float load(const void* data, ab_dtype dtype, int64_t index);
void store_row(void* data, ab_dtype dtype, int64_t offset, const float* row, int64_t count);

// The chunked parallel form of a prefill over every (sequence, head), threads
// splitting the heads; chunk products through oneDNN matmuls (cpu_chunked.cpp).
class ChunkedPrefill {
 public:
  ChunkedPrefill(const Shape& shape, const dnnl::engine& engine, int threads);
  ~ChunkedPrefill();
  void run(const Inputs& in, const Outputs& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One recurrent step per (sequence, head), reading in.state and writing
// out.state (cpu_decode.cpp).
void decode_step(const Shape& shape, const Inputs& in, const Outputs& out, int threads);

// GDN's conv window after the step: the last conv-1 raw [q | k | v] inputs.
void write_conv_window(const Shape& shape, const Inputs& in, const Outputs& out);

}  // namespace archbench::plugins::mixers::cpu
