#version 450
// route.comp -- one token per invocation: the router family's scores, the
// group mask, a partial top-k and the routing weights, exactly as cpu.cpp's
// route() (same order of operations, same tie rule: a later equal score never
// displaces an earlier one, so lower indices win ties, as in the reference's
// stable sort). Writes the three router outputs and the chosen weights that
// place.comp and combine.comp read.
//
// Bindings: 0 logits float[tokens, E] (x W_router^T, before the offset),
// 1 logit_offset float[E], 2 selection_bias float[E] (sigmoid-topk; any
// buffer otherwise), 3 router_scores float[tokens, E] (out), 4 weights
// float[tokens, E] (out, dense), 5 experts int[tokens, K] (out), 6 chosen
// weights float[tokens, K] (scratch out), 7 group scores float[tokens, GROUPS]
// (scratch; read only when GROUPS > 1).

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ROUTER = 0;  // 0 softmax-topk, 1 sigmoid-topk, 2 sigmoid-top1
layout(constant_id = 1) const uint E = 8;
layout(constant_id = 2) const uint K = 2;       // at most 64 (the schema's limit)
layout(constant_id = 3) const uint GROUPS = 1;
layout(constant_id = 4) const uint TOP_GROUPS = 1;
layout(constant_id = 5) const bool RENORM = true;
layout(constant_id = 6) const float ROUTE_SCALE = 1.0;

layout(push_constant) uniform Push { uint tokens; } pc;

layout(std430, set = 0, binding = 0) readonly buffer Logits { float logits[]; };
layout(std430, set = 0, binding = 1) readonly buffer Offset { float offset[]; };
layout(std430, set = 0, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, set = 0, binding = 3) buffer Scores { float scores[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Weights { float weights[]; };
layout(std430, set = 0, binding = 5) writeonly buffer Experts { int experts[]; };
layout(std430, set = 0, binding = 6) writeonly buffer Chosen { float chosen_weight[]; };
layout(std430, set = 0, binding = 7) buffer GroupScores { float group_score[]; };

const bool SOFTMAX = ROUTER == 0u;

// The weight expert e gets if chosen: the softmax probability (kept in
// scores, never masked) or the sigmoid of the offset logit.
float weight_of(uint row, uint e) {
  if (SOFTMAX) return scores[row + e];
  return 1.0 / (1.0 + exp(-(logits[row + e] + offset[e])));
}

void main() {
  const uint t = gl_GlobalInvocationID.x;
  if (t >= pc.tokens) return;
  const uint row = t * E;

  if (SOFTMAX) {
    float top = -1.0 / 0.0;
    for (uint e = 0; e < E; ++e) top = max(top, logits[row + e] + offset[e]);
    float total = 0.0;
    for (uint e = 0; e < E; ++e) {
      const float p = exp(logits[row + e] + offset[e] - top);
      scores[row + e] = p;
      total += p;
    }
    for (uint e = 0; e < E; ++e) scores[row + e] /= total;
  } else {
    for (uint e = 0; e < E; ++e) scores[row + e] = weight_of(row, e) + (ROUTER == 1u ? bias[e] : 0.0);
    if (ROUTER == 1u && GROUPS > 1u) {
      // DeepSeek V3: a group scores the sum of its two best; experts outside
      // the TOP_GROUPS best groups (ties: lower index first) score -1.
      const uint size = E / GROUPS;
      for (uint g = 0; g < GROUPS; ++g) {
        float first = -1.0 / 0.0, second = -1.0 / 0.0;
        for (uint e = g * size; e < (g + 1u) * size; ++e) {
          const float s = scores[row + e];
          if (s > first) { second = first; first = s; }
          else if (s > second) second = s;
        }
        group_score[t * GROUPS + g] = first + (size > 1u ? second : 0.0);
      }
      for (uint g = 0; g < GROUPS; ++g) {
        const float mine = group_score[t * GROUPS + g];
        uint better = 0;
        for (uint h = 0; h < GROUPS; ++h) {
          const float other = group_score[t * GROUPS + h];
          better += (other > mine || (other == mine && h < g)) ? 1u : 0u;
        }
        if (better >= TOP_GROUPS)
          for (uint e = g * size; e < (g + 1u) * size; ++e) scores[row + e] = -1.0;
      }
    }
  }

  // Partial top-k: the K best so far, kept sorted.
  uint best[64];
  uint have = 0;
  for (uint e = 0; e < E; ++e) {
    const float s = scores[row + e];
    if (have == K && !(s > scores[row + best[K - 1u]])) continue;
    uint at = have < K ? have++ : K - 1u;
    while (at > 0u && s > scores[row + best[at - 1u]]) {
      best[at] = best[at - 1u];
      --at;
    }
    best[at] = e;
  }

  float chosen_total = 0.0;
  for (uint j = 0; j < K; ++j) chosen_total += weight_of(row, best[j]);
  for (uint e = 0; e < E; ++e) weights[row + e] = 0.0;
  for (uint j = 0; j < K; ++j) {
    const uint e = best[j];
    float w = weight_of(row, e);
    if (RENORM) w /= chosen_total;
    w *= ROUTE_SCALE;
    experts[t * K + j] = int(e);
    chosen_weight[t * K + j] = w;
    weights[row + e] = w;
  }
}
