// The ssm plugin's shared shapes: Mamba-1 (selective scan) and Mamba-2 (SSD)
// as token mixers in the attention slot. Both keep a fixed state per sequence
// instead of a KV cache:
//
//   Mamba-1, per channel c and state n (A[c, n] = -exp(a_log[c, n])):
//     h[c, n] <- exp(delta[t, c] A[c, n]) h[c, n] + delta[t, c] B[t, n] u[t, c]
//     y[t, c]  = sum_n C[t, n] h[c, n] + D[c] u[t, c]      (times SiLU(z[t, c]) with the gate)
//   Mamba-2, per head (scalar decay A[head] = -exp(a_log[head])), head dim p,
//   state n, group g = head / (heads / groups):
//     h[head, p, n] <- exp(dt[t, head] A[head]) h + dt[t, head] x[t, head, p] B[t, g, n]
//     y[t, head, p]  = sum_n C[t, g, n] h[head, p, n] + D[head] x[t, head, p]
//
// prefill: `seq` tokens from a zero state; decode: one token after `seq` tokens
// that the given state summarizes (its cost does not depend on seq). Both
// write the outputs and the state after the last token (state_out, f32: the
// state is kept in f32 in either dtype, as Mamba's reference kernels do).
#pragma once

#include <archbench/sdk.hpp>
#include <archbench/sdk_mixer_qkv.hpp>

#include <cstdint>
#include <memory>

namespace archbench::plugins::ssm {

enum class Mode { prefill = 0, decode = 1 };

struct MambaShape {
  Mode mode = Mode::prefill;
  int64_t batch = 1, seq = 512, d_inner = 2048, d_model = 0, d_state = 16, d_conv = 4, dt_rank = 0;
  bool gate = false;
  ab_dtype dtype = AB_DTYPE_F32;

  static MambaShape of(const sdk::Problem& problem);
  int64_t tokens() const { return mode == Mode::prefill ? seq : 1; }
  bool layer() const { return d_model > 0; }
  // x_proj's output per token: dt's low-rank input, then B, then C.
  int64_t x_proj_width() const { return dt_rank + 2 * d_state; }
  // in_proj's output per token: x, then z with the gate.
  int64_t in_proj_width() const { return d_inner * (gate ? 2 : 1); }
  // Inputs of the causal conv a sequence keeps for its next token (layer level).
  int64_t conv_window() const { return layer() ? d_conv - 1 : 0; }
  // Fixed bytes a sequence keeps between tokens: the f32 state and conv window.
  double state_bytes() const { return 4.0 * double(d_inner * (d_state + conv_window())); }
};

struct Mamba2Shape {
  Mode mode = Mode::prefill;
  int64_t batch = 1, seq = 512, heads = 32, head_dim = 128, d_state = 128, groups = 1;
  ab_dtype dtype = AB_DTYPE_F32;

  static Mamba2Shape of(const sdk::Problem& problem);
  int64_t tokens() const { return mode == Mode::prefill ? seq : 1; }
  int64_t d_inner() const { return heads * head_dim; }
  int64_t heads_per_group() const { return heads / groups; }
  double state_bytes() const { return 4.0 * double(heads * head_dim * d_state); }
};

// Mamba-2's prefill chunk (the SSD chunked form, mamba2_cpu.cpp): tokens per
// chunk, also what the cost model counts the chunk matmuls at.
constexpr int64_t kChunk = 128;

class MambaVariant : public sdk::Variant {
 public:
  MambaVariant();
  std::string validate(const sdk::Problem& problem) const override;
  void describe(const sdk::Problem& problem, sdk::Info& info) const override;
  void reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                 const sdk::Outputs& outputs) const override;
  void figures(const sdk::Problem& problem, const sdk::Tensors& tensors, sdk::Figures& out) const override;
  ARCHBENCH_BACKEND_HOOKS  // create_cpu in mamba_cpu.cpp, create_vulkan in mamba_vulkan.cpp

 private:
  static void describe_layer(const MambaShape& shape, sdk::Info& info);  // mamba_layer.cpp
  std::unique_ptr<sdk::MixerQkv> qkv_;  // adapter.cpp
};

class Mamba2Variant : public sdk::Variant {
 public:
  Mamba2Variant();
  std::string validate(const sdk::Problem& problem) const override;
  void describe(const sdk::Problem& problem, sdk::Info& info) const override;
  void reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                 const sdk::Outputs& outputs) const override;
  void figures(const sdk::Problem& problem, const sdk::Tensors& tensors, sdk::Figures& out) const override;
  ARCHBENCH_BACKEND_HOOKS  // create_cpu in mamba2_cpu.cpp, create_vulkan in mamba2_vulkan.cpp

 private:
  std::unique_ptr<sdk::MixerQkv> qkv_;  // adapter.cpp
};

void reference_mamba(const MambaShape& shape, const sdk::Tensors& tensors, const sdk::Outputs& outputs);
void reference_mamba_layer(const MambaShape& shape, const sdk::Tensors& tensors, const sdk::Outputs& outputs);
void reference_mamba2(const Mamba2Shape& shape, const sdk::Tensors& tensors, const sdk::Outputs& outputs);
std::unique_ptr<sdk::MixerQkv> make_mamba_qkv_adapter(const sdk::Variant& variant);
std::unique_ptr<sdk::MixerQkv> make_mamba2_qkv_adapter(const sdk::Variant& variant);

// The adapters' documented decay setting (adapter.cpp): every step scales the
// state by exp(-kAdapterDecayRate), i.e. dt = 1e-3 with A = -1, the slowest
// decay of Mamba's standard initialization (dt in [1e-3, 1e-1], A = -1..-d_state).
constexpr double kAdapterDt = 1e-3;
constexpr double kAdapterA = -1.0;

}  // namespace archbench::plugins::ssm
