// The haystack and its probes (see haystack.hpp).
#include "tasks/haystack.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace archbench::tasks {

Content parse_content(const std::string& name) {
  for (Content c : {Content::spread, Content::low_freq})
    if (name == content_name(c)) return c;
  throw std::invalid_argument("content '" + name + "': expected spread or low-freq");
}

int64_t trials_per_head(int64_t trials, const QkvLayout& layout) {
  const int64_t heads = layout.batch * layout.heads;
  return (trials + heads - 1) / heads;
}

std::vector<int64_t> content_support(const QkvLayout& layout, Content content) {
  std::vector<int64_t> dims;
  if (content == Content::spread || layout.rotary_dims == 0) {
    dims.resize(size_t(layout.dk));
    std::iota(dims.begin(), dims.end(), 0);
    return dims;
  }
  const int64_t half = layout.rotary_dims / 2;
  const int64_t pairs = std::max<int64_t>(1, half / 16);
  for (int64_t i = half - pairs; i < half; ++i) {
    dims.push_back(i);
    dims.push_back(i + half);
  }
  for (int64_t d = layout.rotary_dims; d < layout.dk; ++d) dims.push_back(d);  // not rotated
  std::sort(dims.begin(), dims.end());
  return dims;
}

Haystack::Haystack(const QkvLayout& layout, int64_t query_slots, uint64_t seed)
    : layout_(layout), slots_(query_slots) {
  if (query_slots < 1 || query_slots >= layout.tokens)
    throw std::invalid_argument("the context (" + std::to_string(layout.tokens) +
                                " tokens) is too short for " + std::to_string(query_slots) +
                                " query positions and a haystack");
  Rng codebook_rng(mix_seed({seed, 0xC0DEull}));
  std::vector<int64_t> all(static_cast<size_t>(layout.dv));
  std::iota(all.begin(), all.end(), 0);
  codebook_ = random_frame(codebook_rng, layout.dv, all, layout.dv);

  const int64_t b = layout.batch, t = layout.tokens, h = layout.heads, kvh = layout.kv_heads;
  inputs_.q.assign(size_t(b * t * h * layout.dk), 0.0f);  // only probes ask anything
  inputs_.k.resize(size_t(b * t * kvh * layout.dk));
  inputs_.v.resize(size_t(b * t * kvh * layout.dv));
  // One stream per (batch, kv head): the haystacks do not depend on each other's size.
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t g = 0; g < kvh; ++g) {
      Rng rng(mix_seed({seed, 0x4A57ull, uint64_t(bi), uint64_t(g)}));
      for (int64_t pos = 0; pos < t; ++pos) {
        const Vector key = random_unit(rng, layout.dk);
        set_key(bi, pos, g, key);
        set_value(bi, pos, g, rng.below(codebook_size()));
      }
    }
}

void Haystack::set_key(int64_t batch, int64_t position, int64_t kv_head, const Vector& key) {
  float* dst = inputs_.k.data() + ((batch * layout_.tokens + position) * layout_.kv_heads + kv_head) * layout_.dk;
  for (int64_t d = 0; d < layout_.dk; ++d) dst[d] = float(key[size_t(d)]);
}

void Haystack::set_value(int64_t batch, int64_t position, int64_t kv_head, int64_t code) {
  float* dst = inputs_.v.data() + ((batch * layout_.tokens + position) * layout_.kv_heads + kv_head) * layout_.dv;
  const Vector& value = codebook_[size_t(code)];
  for (int64_t d = 0; d < layout_.dv; ++d) dst[d] = float(value[size_t(d)]);
}

void Haystack::blank(int64_t batch, int64_t position, int64_t kv_head) {
  float* key = inputs_.k.data() + ((batch * layout_.tokens + position) * layout_.kv_heads + kv_head) * layout_.dk;
  float* value = inputs_.v.data() + ((batch * layout_.tokens + position) * layout_.kv_heads + kv_head) * layout_.dv;
  std::fill(key, key + layout_.dk, 0.0f);
  std::fill(value, value + layout_.dv, 0.0f);
}

void Haystack::ask(int64_t batch, int64_t slot, int64_t head, const Vector& key, double beta) {
  const int64_t position = length() + slot;
  float* dst = inputs_.q.data() + ((batch * layout_.tokens + position) * layout_.heads + head) * layout_.dk;
  const double scale = beta * std::sqrt(double(layout_.dk));
  for (int64_t d = 0; d < layout_.dk; ++d) dst[d] = float(scale * key[size_t(d)]);
}

Vector Haystack::answer(const std::vector<float>& out, int64_t batch, int64_t slot, int64_t head) const {
  const int64_t position = length() + slot;
  const float* src = out.data() + ((batch * layout_.tokens + position) * layout_.heads + head) * layout_.dv;
  return Vector(src, src + layout_.dv);
}

int64_t Haystack::decode(const Vector& answer) const {
  int64_t best = 0;
  double best_score = -INFINITY;
  for (int64_t m = 0; m < codebook_size(); ++m) {
    const double score = dot(answer, codebook_[size_t(m)]);
    if (score > best_score) best = m, best_score = score;  // NaN never wins: the trial fails
  }
  return std::isfinite(best_score) ? best : -1;
}

std::vector<int64_t> Haystack::decode_top(const Vector& answer, int64_t count) const {
  std::vector<std::pair<double, int64_t>> scored;
  for (int64_t m = 0; m < codebook_size(); ++m) {
    const double score = dot(answer, codebook_[size_t(m)]);
    if (!std::isfinite(score)) return {};
    scored.push_back({score, m});
  }
  std::partial_sort(scored.begin(), scored.begin() + count, scored.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<int64_t> top;
  for (int64_t i = 0; i < count; ++i) top.push_back(scored[size_t(i)].second);
  std::sort(top.begin(), top.end());
  return top;
}

}  // namespace archbench::tasks
