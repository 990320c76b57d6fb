// The mixers plugin's shared picture: linear-time sequence mixers with a fixed
// recurrent state per sequence instead of a growing KV cache. One recurrence
// per (sequence, head), state S [dk x dv] (keys index rows, values columns):
//
//   mixer/linear          S_t = g_h S_{t-1} + phi(k_t) v_t^T        g_h = 1, or RetNet's 1 - 2^(-5-h)
//                         o_t = S_t^T phi(q_t)  [/ phi(q_t).z_t, z_t = g_h z_{t-1} + phi(k_t)]
//   mixer/gla             S_t = Diag(a_t) S_{t-1} + k_t v_t^T        a_t in (0,1)^dk per token (gates)
//                         o_t = S_t^T q_t
//   mixer/gated-deltanet  S_t = alpha_t (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T
//                         o_t = S_t^T q_t, with q, k, v through a short causal depthwise
//                         convolution + SiLU, then q and k L2-normalized (Qwen3-Next)
//
// q is scaled by 1/sqrt(dk) in every variant (after the feature map or the L2
// norm), as flash-linear-attention's kernels do by default.
//
// Workload parameters are attention/gqa's, same names, order and defaults
// (mode, batch, seq, heads, head_dim, v_head_dim, d_model), so one leaderboard
// partition holds GQA and these; everything else is marked design. `heads` is
// the number of states (value and output heads); Gated DeltaNet's q/k heads
// (qk_heads) may be fewer, each serving heads/qk_heads value heads.
//
// Modes:
//   prefill  `seq` tokens of a fresh sequence (zero initial state); writes the
//            outputs and the final state (and conv window) as outputs;
//   decode   one token after `seq` earlier ones: reads the state the host fills
//            (`state`, `state_norm`, `conv_state`), writes `out` and the next
//            state (`new_state`, ...). Out of place, so every timed repetition
//            computes the same step; the cost does not depend on `seq`.
//
// Levels: the core level (d_model = 0) takes q, k, v (and the gates) as
// inputs; Gated DeltaNet also has the layer level (d_model > 0, layer.cpp),
// Qwen3-Next's whole mixer from the residual stream x to its output y.
//
// Layouts (row-major, last dim contiguous), core level:
//   q, k        [batch, tokens, qk_heads, dk]      (qk_heads = heads except GDN)
//   v, out      [batch, tokens, heads, dv]
//   gate        [batch, tokens, heads, dk]  f32    GLA's per-channel decays
//   beta, alpha [batch, tokens, heads]      f32    GDN's write strength and decay
//   conv_weight [channels, conv]                   GDN, channels = 2 qk_heads dk + heads dv
//   state       [batch, heads, dk, dv]      f32    (decode input; prefill/decode output
//                                                   final_state / new_state)
//   state_norm  [batch, heads, dk]          f32    linear with normalization: z
//   conv_state  [batch, conv - 1, channels]        GDN: the last conv-1 raw inputs
// States are f32 in both dtypes, as real implementations keep them.
#pragma once

#include <archbench/sdk.hpp>
#include <archbench/sdk_mixer_qkv.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace archbench::plugins::mixers {

enum class Mode { prefill, decode };
enum class Rule { linear, gla, delta };  // the three recurrences above
enum class FeatureMap { elu1, identity };
enum class Decay { none, retnet };

struct Shape {
  Rule rule = Rule::linear;
  Mode mode = Mode::prefill;
  int64_t batch = 1, seq = 1, heads = 1, qk_heads = 1, dk = 64, dv = 64, d_model = 0;
  int64_t chunk = 64;
  FeatureMap feature = FeatureMap::identity;  // linear only
  bool normalize = false;                     // linear only
  Decay decay = Decay::none;                  // linear only
  int64_t conv = 0;                           // GDN only: the conv window (0: none)
  ab_dtype dtype = AB_DTYPE_F32;

  static Shape of(const sdk::Problem& problem, Rule rule);

  int64_t tokens() const { return mode == Mode::prefill ? seq : 1; }
  int64_t group() const { return heads / qk_heads; }  // value heads per q/k head
  int64_t qk_head_of(int64_t head) const { return head / group(); }
  // Channels the GDN convolution runs over: [q | k | v].
  int64_t conv_channels() const { return 2 * qk_heads * dk + heads * dv; }
  int64_t conv_history() const { return conv > 0 ? conv - 1 : 0; }
  bool has_norm_state() const { return rule == Rule::linear && normalize; }
  // Fixed decay of head h (linear with decay = retnet), as a log: ln(1 - 2^(-5-h)).
  double log_decay(int64_t head) const;
  // Bytes of recurrent state one sequence keeps: the f32 state(s) and the conv window.
  double state_bytes_per_sequence() const;
  double scale() const;  // 1/sqrt(dk), on q
  bool layer() const { return d_model > 0; }
};

class MixerVariant : public sdk::Variant {
 public:
  MixerVariant(const char* name, const char* description, Rule rule);
  std::string validate(const sdk::Problem& problem) const override;
  void describe(const sdk::Problem& problem, sdk::Info& info) const override;
  void reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                 const sdk::Outputs& outputs) const override;
  void figures(const sdk::Problem& problem, const sdk::Tensors& tensors, sdk::Figures& out) const override;
  ARCHBENCH_BACKEND_HOOKS  // create_cpu in plugin.cpp, create_vulkan in vulkan.cpp

  Rule rule() const { return rule_; }

 private:
  static void describe_layer(const Shape& s, sdk::Info& info);  // layer.cpp

  Rule rule_;
  std::unique_ptr<sdk::MixerQkv> qkv_;  // contract mixer.qkv/1 (adapter.cpp)
};

// Useful FLOPs of one execute (plugin.cpp documents how they are counted).
double chunked_flops(const Shape& s);

// The sequential recurrence in double (reference.cpp) over inputs in the
// core-level layouts above; the layer reference feeds it its own projections.
struct RecurrenceIo {
  std::vector<double> q, k, v, gate, beta, alpha, conv_weight, conv_state, state, state_norm;  // as needed
  double *out = nullptr, *state_out = nullptr, *norm_out = nullptr, *conv_out = nullptr;
};
void reference_recurrence(const Shape& shape, const RecurrenceIo& io);

void reference_mixer(const Shape& shape, const sdk::Tensors& tensors, const sdk::Outputs& outputs);
void reference_layer(const Shape& shape, const sdk::Tensors& tensors, const sdk::Outputs& outputs);
std::unique_ptr<sdk::Instance> make_cpu_instance(const Shape& shape, const ab_host& host,
                                                 const sdk::Tensors& tensors);
std::unique_ptr<sdk::Instance> make_cpu_layer_instance(const Shape& shape, const ab_host& host,
                                                       const sdk::Tensors& tensors);
std::unique_ptr<sdk::MixerQkv> make_qkv_adapter(const MixerVariant& variant);

}  // namespace archbench::plugins::mixers
