// How a preset layer's parts form a transformer block: its sublayers, each a
// residual branch of one or more bodies (an attention, a mixer, an FFN, a
// mixture of experts; several side by side are parallel branches, summed) with
// the norms its placement puts around them:
//
//   pre       norm, body...          x + s * body(norm(x))              (Llama, Qwen, DeepSeek)
//   post      body..., norm          x + s * norm(body(x))              (OLMo 2)
//   sandwich  norm, body..., norm    x + s * norm(body(norm(x)))        (Gemma 3, Grok)
//   none      body                   x + s * body(x)
//
// s is the layer's residual_scale; parallel bodies are summed, each times its
// branch_scale, before the post norm. A norm is a part whose variant's kind is
// "norm"; every other part is a body.
#pragma once

#include <string>
#include <vector>

namespace archbench {

struct Sublayer {
  int pre = -1, post = -1;     // part indexes of its norms; -1 for none
  std::vector<int> bodies;     // part indexes, summed when more than one
};

// The sublayers of parts whose kinds are `kinds` (one per part), in order.
// Throws std::invalid_argument naming the part that breaks the placement's pattern.
std::vector<Sublayer> group_sublayers(const std::string& placement, const std::vector<std::string>& kinds);

}  // namespace archbench
