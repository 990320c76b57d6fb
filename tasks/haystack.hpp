// The haystack the retrieval tasks hide things in, in a variant's
// query/key/value form:
//
//   q [batch, tokens, heads, dk]   k [batch, tokens, kv_heads, dk]
//   v [batch, tokens, kv_heads, dv]   out [batch, tokens, heads, dv]
//
// Positions [0, length) are the haystack: keys uniformly random on the unit
// sphere, values drawn from a codebook of M = dv orthonormal vectors (so
// decoding is a dot product and chance is 1/M). The last `query_slots`
// positions carry the questions: a probe is one (batch, head, slot), whose
// query is beta * sqrt(dk) * key, so that the variant's q.k/sqrt(dk) gives the
// matching key the logit beta. Each (batch, kv head) is one haystack; the
// query heads of a GQA group share it and ask it different things.
//
// Content subspace: with `spread`, keys that are asked for span all dk
// dimensions; with `low-freq`, only the lowest-frequency rotary pairs (the
// last sixteenth of the pairs, at least one) plus any dimensions that RoPE does
// not rotate. RoPE (half-split convention: dimension i < r/2 pairs with i + r/2,
// frequency theta^(-2i/r)) turns a spread key's match into a sum of cosines
// that decays with distance; the low-frequency pairs barely turn over 128K
// tokens at Llama 3's theta, which is where trained models keep what they
// match on. Keys asked for inside one haystack are mutually orthogonal, so a
// haystack holds at most as many of them as its subspace has dimensions.
#pragma once

#include "tasks/random_vectors.hpp"

#include <functional>
#include <string>
#include <vector>

namespace archbench::tasks {

// spread: keys over every dimension; low_freq: the keys asked for and the
// queries in the lowest-frequency rotary pairs (see the header comment).
enum class Content { spread, low_freq };
inline constexpr const char* kContentNames[] = {"spread", "low-freq"};
inline const char* content_name(Content content) { return kContentNames[int(content)]; }
Content parse_content(const std::string& name);  // "spread" | "low-freq"; invalid_argument otherwise

struct QkvLayout {
  int64_t batch = 1, tokens = 0, heads = 1, kv_heads = 1, dk = 0, dv = 0;
  int64_t rotary_dims = 0;  // 0 without RoPE
  int64_t group() const { return heads / kv_heads; }
};

struct QkvInputs {
  std::vector<float> q, k, v;
};

// The variant's real implementation, run once on these inputs (prefill):
// returns out [batch, tokens, heads, dv]. Throws on failure.
using RunVariant = std::function<std::vector<float>(const QkvInputs&)>;

// The dimensions keys that are asked for may use (see the header comment).
std::vector<int64_t> content_support(const QkvLayout& layout, Content content);

// Per-head trials: `trials` rounded up so each query head serves every cell equally
// (heads differ under ALiBi, so every cell must see the same mix of heads).
int64_t trials_per_head(int64_t trials, const QkvLayout& layout);

class Haystack {
 public:
  Haystack(const QkvLayout& layout, int64_t query_slots, uint64_t seed);

  int64_t length() const { return layout_.tokens - slots_; }
  int64_t slots() const { return slots_; }
  const QkvLayout& layout() const { return layout_; }
  const std::vector<Vector>& codebook() const { return codebook_; }
  int64_t codebook_size() const { return int64_t(codebook_.size()); }

  void set_key(int64_t batch, int64_t position, int64_t kv_head, const Vector& key);
  void set_value(int64_t batch, int64_t position, int64_t kv_head, int64_t code);
  // A zero key and value: a position that holds nothing (recall's blank filler).
  void blank(int64_t batch, int64_t position, int64_t kv_head);
  // The probe (batch, slot, head) asks for `key` with sharpness beta.
  void ask(int64_t batch, int64_t slot, int64_t head, const Vector& key, double beta);
  const QkvInputs& inputs() const { return inputs_; }

  // The probe's output, and the codebook entries it scores highest.
  Vector answer(const std::vector<float>& out, int64_t batch, int64_t slot, int64_t head) const;
  int64_t decode(const Vector& answer) const;
  std::vector<int64_t> decode_top(const Vector& answer, int64_t count) const;  // sorted ascending

 private:
  QkvLayout layout_;
  int64_t slots_;
  std::vector<Vector> codebook_;
  QkvInputs inputs_;
};

}  // namespace archbench::tasks
