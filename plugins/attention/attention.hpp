// The attention plugin's shared picture: one family (MHA, GQA, MQA differ only
// in how many K/V heads serve the query heads) with positions, masks, sinks,
// soft-capping, QK-norm and projection bias as options, in two modes:
//
//   prefill  `seq` new tokens attend causally to each other (positions 0..seq-1)
//            and are written to the KV cache;
//   decode   one new token per sequence at position `seq` attends to the `seq`
//            cached tokens plus itself, and is appended to the cache.
//
// Layouts (row-major, last dim contiguous):
//   q   [batch, tokens, heads,    head_dim]      core-level inputs (d_model = 0)
//   k   [batch, tokens, kv_heads, head_dim]
//   v   [batch, tokens, kv_heads, v_head_dim]
//   x   [batch, tokens, d_model]                 layer-level input (d_model > 0)
//   k_cache [batch, kv_heads, slots, head_dim]   the preallocated KV cache; a
//   v_cache [batch, kv_heads, slots, v_head_dim] ring of `slots` positions
//   out [batch, tokens, heads, v_head_dim]       core-level output
//   y   [batch, tokens, d_model]                 layer-level output
//
// Sliding-window and chunked masks never look further back than `span` tokens,
// so their cache keeps only the last `span` positions (slot = position % slots):
// that is the memory saving those designs buy, and the cache shows it.
//
// Score of query position i against key position j, in this order:
//   s = (q_i . k_j) / sqrt(head_dim)
//   s = softcap * tanh(s / softcap)              if softcap > 0 (Gemma 2 style)
//   s = s - slope_h * (i - j)                    ALiBi
//   visible(i, j): j <= i, and i - j < span (window) or j >= span*floor(i/span) (chunk)
//   p = softmax over visible j (plus the head's sink logit, which has no value)
//
// Gated attention (gate = 1, Qwen3-Next): each head's output row is multiplied
// channel by channel by sigmoid(g), g [batch, tokens, heads, v_head_dim]: at
// layer level g = x W_g (W_g [d_model, heads * v_head_dim], no bias), before
// the output projection; at core level g is an input (the gate logits).
#pragma once

#include <archbench/sdk.hpp>
#include <archbench/sdk_mixer_qkv.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace archbench::plugins::attention {

enum class Mode { prefill, decode };
enum class Position { rope, nope, alibi };
enum class Mask { causal, window, chunk };
enum class QkNorm { none, head, projection };

// Every parameter of a problem, resolved (defaults applied, derived sizes computed).
struct Shape {
  Mode mode = Mode::prefill;
  int64_t batch = 1, seq = 1;
  int64_t heads = 1, kv_heads = 1, head_dim = 64, v_head_dim = 64, d_model = 0;
  Position position = Position::rope;
  double rope_theta = 10000, rope_fraction = 1;
  Mask mask = Mask::causal;
  int64_t span = 0;
  bool sinks = false, bias = false, gate = false;
  double softcap = 0;
  QkNorm qk_norm = QkNorm::none;
  ab_dtype dtype = AB_DTYPE_F32;

  // Reads every parameter but kv_heads, which depends on the variant (MHA: heads).
  static Shape from(const sdk::Problem& problem);

  bool layer() const { return d_model > 0; }
  int64_t group() const { return heads / kv_heads; }
  // New tokens per sequence in one execute, and the position of the first.
  int64_t tokens() const { return mode == Mode::prefill ? seq : 1; }
  int64_t first_position() const { return mode == Mode::prefill ? 0 : seq; }
  // Positions that exist after this step, and how many the cache keeps.
  int64_t context() const { return first_position() + tokens(); }
  int64_t slots() const;
  int64_t rotary_dims() const;  // even, <= head_dim; 0 without RoPE
  // The first key position query position i may see.
  int64_t first_visible(int64_t i) const;
  // Query-key pairs that are visible, per (batch, head): the useful work.
  double visible_pairs() const;
  double score_scale() const;
};

// ALiBi slopes for `heads` heads (Press et al.: a geometric sequence, with the
// interleaved extension when heads is not a power of two).
std::vector<double> alibi_slopes(int64_t heads);

class AttentionVariant : public sdk::Variant {
 public:
  enum class Heads { all, grouped, single };  // MHA, GQA, MQA
  AttentionVariant(const char* name, const char* description, Heads heads);

  std::string validate(const sdk::Problem& problem) const override;
  void describe(const sdk::Problem& problem, sdk::Info& info) const override;
  void reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                 const sdk::Outputs& outputs) const override;
  ARCHBENCH_BACKEND_HOOKS  // create_cpu in cpu.cpp; create_vulkan in vulkan.cpp (Vulkan builds)

 Heads heads() const { return heads_; }

 private:
  Heads heads_;
  sdk::QkvTensors qkv_;  // contract mixer.qkv/1: the accuracy tasks' way in
};

// The problem's shape for a variant of this head layout (kv_heads from the variant).
Shape shape_of(const sdk::Problem& problem, AttentionVariant::Heads heads);

// The double-precision reference (reference.cpp) and the oneDNN CPU backend (cpu.cpp).
void reference_attention(const Shape& shape, const sdk::Tensors& tensors, const sdk::Outputs& outputs);
std::unique_ptr<sdk::Instance> make_cpu_instance(const Shape& shape, const ab_host& host,
                                                 const sdk::Tensors& tensors);
// The Vulkan backend (vulkan.cpp, shaders/).
std::unique_ptr<sdk::Instance> make_vulkan_instance(const Shape& shape, const ab_host& host,
                                                    const sdk::Tensors& tensors);

}  // namespace archbench::plugins::attention
