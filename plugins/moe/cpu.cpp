// oneDNN implementation of the MoE variants. One execute():
//
//   1. router: one matmul x W_router^T -> logits [tokens, experts] (f32)
//   2. per token (threads over tokens): scores, group mask, a partial top-k
//      (k best kept in a small sorted list), weights; writes the three router outputs
//   3. counting sort of the (token, slot) assignments by expert, in token order,
//      applying the capacity; gather of the kept rows into one block per expert
//      (scaled by the weight where the router scales the input, Llama 4)
//   4. per expert with rows: gate and up matmuls on its block, the activation
//      over all blocks at once, then the down matmul: experts no token chose are
//      never touched (decode reads only the selected experts' weights)
//   5. shared experts as one dense gated FFN over all tokens; then a weighted
//      combine per token (no atomics: each token sums its own slots)
//
// Expert weights, two ways (chosen at create time by the expected rows per expert):
//   - packed (prefill): each expert's gate|up side by side and its down matrix
//     reordered once into the layout oneDNN's brgemm matmul prefers (the same
//     for every row count); each expert's rows run as blocks of 32, then 8 (the
//     last padded), through two primitive pairs made at create time;
//   - in place (decode, few rows per expert): cpu_few_rows.cpp streams the host's
//     weight slices in their own dtype (bf16 widened on load), so the weights are
//     neither copied nor held twice and a token reads exactly its experts' bytes.
// Arithmetic is f32: on the packed path bf16 weights are widened once at create
// time, as the ffn plugin does on CPUs without a bf16 matmul; x and y are
// converted on the fly (part of the cost).
#include <archbench/sdk_cpu.hpp>

#include "cpu_few_rows.hpp"
#include "moe.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <omp.h>

namespace archbench::plugins::moe {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
namespace sc = sdk::cpu;

// Elements [first, first + count) of a weight as f32: the host's own buffer
// (f32 problems) or widened into `scratch` by the SDK's vectorized conversion.
const float* as_f32(const ab_tensor& t, int64_t first, int64_t count, std::vector<float>& scratch) {
  if (t.desc->dtype == AB_DTYPE_F32) return static_cast<const float*>(t.data) + first;
  if (t.desc->dtype != AB_DTYPE_BF16) throw sdk::Unimplemented("moe on the cpu: f32 and bf16 weights only");
  scratch.resize(size_t(count));
  sc::convert_elements(static_cast<const uint16_t*>(t.data) + first, scratch.data(), count);
  return scratch.data();
}

// A whole weight tensor as f32 (see as_f32), kept for the instance's life.
class F32Weights {
 public:
  explicit F32Weights(const ab_tensor& t) : data_(as_f32(t, 0, sdk::element_count(*t.desc), owned_)) {}
  const float* data() const { return data_; }

 private:
  std::vector<float> owned_;
  const float* data_;
};

float activate_f32(Activation activation, float gate, float up) {
  switch (activation) {
    case Activation::swiglu: return gate / (1.0f + std::exp(-gate)) * up;
    case Activation::geglu:
      return 0.5f * gate * (1.0f + std::tanh(0.7978845608f * (gate + 0.044715f * gate * gate * gate))) * up;
    case Activation::swiglu_clamp: {
      const float g = std::min(gate, 7.0f), u = std::clamp(up, -7.0f, 7.0f);
      return (u + 1.0f) * g / (1.0f + std::exp(-1.702f * g));
    }
  }
  return 0;
}

constexpr int64_t kBigBlock = 32, kSmallBlock = 8;  // rows per packed expert matmul

memory::desc rows_desc(memory::dim rows, memory::dim cols) { return memory::desc({rows, cols}, dt::f32, tag::ab); }

class MoeCpu : public sdk::Instance {
 public:
  MoeCpu(const MoeVariant& variant, const sdk::Problem& problem, const ab_host& host, const sdk::Tensors& tensors)
      : ctx_(sc::Context::from(host)),
        s_(Shape::of(problem)),
        router_(variant.router()),
        x_(tensors["x"]),
        y_(tensors["y"]),
        experts_out_(static_cast<int32_t*>(tensors["experts"].data)),
        weights_out_(static_cast<float*>(tensors["weights"].data)),
        scores_out_(static_cast<float*>(tensors["router_scores"].data)),
        w_router_(tensors["w_router"]) {
    offset_ = static_cast<const float*>(tensors["logit_offset"].data);
    if (router_ == Router::sigmoid_topk) bias_ = static_cast<const float*>(tensors["selection_bias"].data);
    const int64_t assignments = s_.tokens * s_.top_k;
    if (x_.desc->dtype != AB_DTYPE_F32) x32_.resize(size_t(s_.tokens * s_.d_model));
    y32_.resize(size_t(s_.tokens * s_.d_model));
    logits_.resize(size_t(s_.tokens * s_.experts));
    chosen_.resize(size_t(assignments));
    chosen_weight_.resize(size_t(assignments));
    row_of_.resize(size_t(assignments));
    // Each expert's rows start at a multiple of kSmallBlock, so whole blocks of
    // 8 or 32 rows never reach into the next expert's (the padding rows are
    // computed and ignored; zeroed once so they hold no NaN).
    const int64_t row_space = assignments + s_.experts * (kSmallBlock - 1);
    rows_.assign(size_t(row_space * s_.d_model), 0.0f);
    gate_up_.assign(size_t(row_space * 2 * s_.expert_ff), 0.0f);
    hidden_.assign(size_t(row_space * s_.expert_ff), 0.0f);
    out_.assign(size_t(row_space * s_.d_model), 0.0f);
    first_row_.resize(size_t(s_.experts + 1));
    rows_of_.resize(size_t(s_.experts));

    // Router: logits[t, e] = x[t, :] . w_router[e, :]  (weights read transposed in place).
    const memory::desc router_weights({s_.d_model, s_.experts}, dt::f32, memory::dims{1, s_.d_model});
    router_pd_ = dnnl::matmul::primitive_desc(
        dnnl::matmul::desc(rows_desc(s_.tokens, s_.d_model), router_weights, rows_desc(s_.tokens, s_.experts)),
        ctx_.engine);
    router_mm_ = dnnl::matmul(router_pd_);
    // Packed when an expert expects enough rows for a matmul to pay for the
    // layout (about 4); otherwise the weights are read in place.
    packed_ = s_.tokens * s_.top_k >= 4 * s_.experts;
    if (packed_) pack_experts(tensors);
    w_gate_ = &tensors["w_gate"];
    w_up_ = &tensors["w_up"];
    w_down_ = &tensors["w_down"];
    if (s_.shared > 0) {
      const int64_t width = s_.shared_width();
      shared_gate_w_.emplace(tensors["shared_gate"]);
      shared_up_w_.emplace(tensors["shared_up"]);
      shared_down_w_.emplace(tensors["shared_down"]);
      shared_gate_.resize(size_t(s_.tokens * width));
      shared_up_.resize(size_t(s_.tokens * width));
      shared_up_pd_ = dnnl::matmul::primitive_desc(
          dnnl::matmul::desc(rows_desc(s_.tokens, s_.d_model), rows_desc(s_.d_model, width), rows_desc(s_.tokens, width)),
          ctx_.engine);
      shared_down_pd_ = dnnl::matmul::primitive_desc(
          dnnl::matmul::desc(rows_desc(s_.tokens, width), rows_desc(width, s_.d_model), rows_desc(s_.tokens, s_.d_model)),
          ctx_.engine);
      shared_up_mm_ = dnnl::matmul(shared_up_pd_);
      shared_down_mm_ = dnnl::matmul(shared_down_pd_);
    }
  }

  void execute() override {
    const float* x = input_f32();
    run(router_mm_, x, rows_desc(s_.tokens, s_.d_model), w_router_.data(),
        memory::desc({s_.d_model, s_.experts}, dt::f32, memory::dims{1, s_.d_model}), logits_.data(),
        rows_desc(s_.tokens, s_.experts));
    route();
    sort_and_gather(x);
    run_experts();
    if (s_.shared > 0) run_shared(x);
    combine();
  }

 private:
  const float* input_f32() {
    if (x32_.empty()) return static_cast<const float*>(x_.data);
    sc::convert_elements(static_cast<const uint16_t*>(x_.data), x32_.data(), int64_t(x32_.size()));
    return x32_.data();
  }

  void run(dnnl::matmul& mm, const float* a, const memory::desc& a_desc, const float* b, const memory::desc& b_desc,
           float* c, const memory::desc& c_desc) {
    memory src(a_desc, ctx_.engine, const_cast<float*>(a)), weights(b_desc, ctx_.engine, const_cast<float*>(b)),
        dst(c_desc, ctx_.engine, c);
    mm.execute(ctx_.stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
  }

  // Step 2: each token's experts and weights, best first.
  void route() {
    const int64_t E = s_.experts, K = s_.top_k;
#pragma omp parallel
    {
      std::vector<float> weight_of(static_cast<size_t>(E)), group_score(static_cast<size_t>(s_.groups));
      std::vector<int32_t> best(static_cast<size_t>(K));
#pragma omp for schedule(static)
      for (int64_t t = 0; t < s_.tokens; ++t) {
        float* logit = logits_.data() + t * E;
        float* score = scores_out_ + t * E;
        if (router_ == Router::softmax_topk) {
          float top = -INFINITY;
          for (int64_t e = 0; e < E; ++e) top = std::max(top, logit[e] += offset_[e]);
          float total = 0;
          for (int64_t e = 0; e < E; ++e) total += weight_of[size_t(e)] = std::exp(logit[e] - top);
          for (int64_t e = 0; e < E; ++e) score[e] = weight_of[size_t(e)] /= total;
        } else {
          for (int64_t e = 0; e < E; ++e) {
            weight_of[size_t(e)] = 1.0f / (1.0f + std::exp(-(logit[e] + offset_[e])));
            score[e] = weight_of[size_t(e)] + (bias_ ? bias_[e] : 0.0f);
          }
          if (s_.groups > 1) mask_groups(score, group_score);
        }
        // Partial top-k: the K best so far, kept sorted; a later equal score never displaces.
        int64_t have = 0;
        for (int64_t e = 0; e < E; ++e) {
          if (have == K && !(score[e] > score[best[size_t(K - 1)]])) continue;
          int64_t at = have < K ? have++ : K - 1;
          while (at > 0 && score[e] > score[best[size_t(at - 1)]]) {
            best[size_t(at)] = best[size_t(at - 1)];
            --at;
          }
          best[size_t(at)] = int32_t(e);
        }
        float chosen_total = 0;
        for (int64_t j = 0; j < K; ++j) chosen_total += weight_of[size_t(best[size_t(j)])];
        float* weights = weights_out_ + t * E;
        std::fill(weights, weights + E, 0.0f);
        for (int64_t j = 0; j < K; ++j) {
          const int32_t e = best[size_t(j)];
          float w = weight_of[size_t(e)];
          if (s_.renormalize) w /= chosen_total;
          w *= float(s_.route_scale);
          experts_out_[t * K + j] = chosen_[size_t(t * K + j)] = e;
          weights[e] = chosen_weight_[size_t(t * K + j)] = w;
        }
      }
    }
  }

  // Group-limited selection (DeepSeek V3): groups ranked by the sum of their two
  // best scores; experts outside the top_groups groups score -1.
  void mask_groups(float* score, std::vector<float>& group_score) const {
    const int64_t size = s_.experts / s_.groups;
    for (int64_t g = 0; g < s_.groups; ++g) {
      float first = -INFINITY, second = -INFINITY;
      for (int64_t e = g * size; e < (g + 1) * size; ++e) {
        if (score[e] > first) second = first, first = score[e];
        else if (score[e] > second) second = score[e];
      }
      group_score[size_t(g)] = first + (size > 1 ? second : 0.0f);
    }
    for (int64_t g = 0; g < s_.groups; ++g) {
      int64_t better = 0;  // groups ranked above g (ties: lower index first)
      for (int64_t h = 0; h < s_.groups; ++h)
        better += group_score[size_t(h)] > group_score[size_t(g)] || (group_score[size_t(h)] == group_score[size_t(g)] && h < g);
      if (better >= s_.top_groups)
        for (int64_t e = g * size; e < (g + 1) * size; ++e) score[e] = -1.0f;
    }
  }

  // Step 3: counting sort by expert (token order kept), capacity, gather.
  void sort_and_gather(const float* x) {
    const int64_t assignments = s_.tokens * s_.top_k, capacity = s_.capacity();
    std::vector<int64_t> count(size_t(s_.experts), 0);
    for (int64_t a = 0; a < assignments; ++a) {
      int64_t& c = count[size_t(chosen_[size_t(a)])];
      row_of_[size_t(a)] = c < capacity ? c++ : -1;  // rank within the expert for now
    }
    first_row_[0] = 0;
    for (int64_t e = 0; e < s_.experts; ++e) {
      rows_of_[size_t(e)] = count[size_t(e)];
      const int64_t padded = (count[size_t(e)] + kSmallBlock - 1) / kSmallBlock * kSmallBlock;
      first_row_[size_t(e + 1)] = first_row_[size_t(e)] + padded;
    }
    const bool scale_input = router_ == Router::sigmoid_top1;
#pragma omp parallel for schedule(static)
    for (int64_t a = 0; a < assignments; ++a) {
      if (row_of_[size_t(a)] < 0) continue;
      const int64_t row = row_of_[size_t(a)] += first_row_[size_t(chosen_[size_t(a)])];
      const float scale = scale_input ? chosen_weight_[size_t(a)] : 1.0f;
      const float* from = x + (a / s_.top_k) * s_.d_model;
      float* to = rows_.data() + row * s_.d_model;
      for (int64_t d = 0; d < s_.d_model; ++d) to[d] = scale * from[d];
    }
  }

  // Step 4: only experts with rows. Gate and up land side by side in gate_up_
  // ([rows, 2 * expert_ff]); the activation makes hidden_; down writes out_.
  void run_experts() {
    const int64_t ff = s_.expert_ff, dm = s_.d_model;
    if (packed_) {
      for_each_block([&](int64_t e, int64_t first, const Blocks::Pair& mm, int64_t n, Worker& w) {
        memory src(rows_desc(n, dm), ctx_.engine, rows_.data() + first * dm),
            dst(rows_desc(n, 2 * ff), ctx_.engine, gate_up_.data() + first * 2 * ff);
        mm.up.execute(w.stream, {{DNNL_ARG_SRC, src},
                                 {DNNL_ARG_WEIGHTS, packed_gate_up_[size_t(e)]},
                                 {DNNL_ARG_DST, dst},
                                 {DNNL_ARG_SCRATCHPAD, w.scratchpad}});
      });
    } else {
      in_place(rows_.data(), dm, w_gate_, w_up_, gate_up_.data(), ff);
    }
    ctx_.stream.wait();
    activate_halves(gate_up_.data(), hidden_.data(), first_row_.back(), ff);
    if (packed_) {
      for_each_block([&](int64_t e, int64_t first, const Blocks::Pair& mm, int64_t n, Worker& w) {
        memory src(rows_desc(n, ff), ctx_.engine, hidden_.data() + first * ff),
            dst(rows_desc(n, dm), ctx_.engine, out_.data() + first * dm);
        mm.down.execute(w.stream, {{DNNL_ARG_SRC, src},
                                   {DNNL_ARG_WEIGHTS, packed_down_[size_t(e)]},
                                   {DNNL_ARG_DST, dst},
                                   {DNNL_ARG_SCRATCHPAD, w.scratchpad}});
      });
    } else {
      in_place(hidden_.data(), ff, w_down_, nullptr, out_.data(), dm);
    }
    ctx_.stream.wait();
  }

  // Each expert's rows as blocks of 32, then of 8 (the last one padded): two
  // primitive pairs made at create time serve every row count, so nothing is
  // built while timing. Threads take whole blocks (one parallel region per
  // phase, each primitive single-threaded inside it with that thread's stream
  // and scratchpad): hundreds of small per-primitive parallel regions would
  // each wait for both cores, which on a loaded machine costs more than the math.
  template <class Run>
  void for_each_block(Run&& run) {
    tasks_.clear();
    for (int64_t e = 0; e < s_.experts; ++e) {
      int64_t first = first_row_[size_t(e)], left = rows_of_[size_t(e)];
      for (; left >= kBigBlock; left -= kBigBlock, first += kBigBlock) tasks_.push_back({e, first, true});
      for (; left > 0; left -= kSmallBlock, first += kSmallBlock) tasks_.push_back({e, first, false});
    }
    const int64_t count = int64_t(tasks_.size());
#pragma omp parallel for schedule(dynamic) num_threads(int(workers_.size()))
    for (int64_t i = 0; i < count; ++i) {
      const Task& t = tasks_[size_t(i)];
      Worker& w = workers_[size_t(omp_get_thread_num())];
      run(t.expert, t.first, t.big ? blocks_.big : blocks_.small, t.big ? kBigBlock : kSmallBlock, w);
    }
  }

  // hidden[r, j] = act(gate_up[r, j], gate_up[r, ff + j]).
  void activate_halves(const float* gate_up, float* hidden, int64_t rows, int64_t ff) const {
    const Activation activation = s_.activation;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < ff; ++j)
        hidden[r * ff + j] = activate_f32(activation, gate_up[r * 2 * ff + j], gate_up[r * 2 * ff + ff + j]);
  }

  void pack_experts(const sdk::Tensors& tensors) {
    const int64_t ff = s_.expert_ff, dm = s_.d_model, slice = dm * ff;
    const auto any_weights = [](int64_t k, int64_t n) { return memory::desc({k, n}, dt::f32, tag::any); };
    const int64_t typical = kBigBlock;
    packed_gate_up_desc_ = dnnl::matmul::primitive_desc(
        dnnl::matmul::desc(rows_desc(typical, dm), any_weights(dm, 2 * ff), rows_desc(typical, 2 * ff)), ctx_.engine)
                               .weights_desc();
    packed_down_desc_ = dnnl::matmul::primitive_desc(
        dnnl::matmul::desc(rows_desc(typical, ff), any_weights(ff, dm), rows_desc(typical, dm)), ctx_.engine)
                            .weights_desc();
    std::vector<float> gate_scratch, up_scratch, down_scratch, side_by_side(size_t(2 * slice));
    for (int64_t e = 0; e < s_.experts; ++e) {
      const float* gate = as_f32(tensors["w_gate"], e * slice, slice, gate_scratch);
      const float* up = as_f32(tensors["w_up"], e * slice, slice, up_scratch);
      for (int64_t k = 0; k < dm; ++k) {
        std::copy(gate + k * ff, gate + (k + 1) * ff, side_by_side.begin() + k * 2 * ff);
        std::copy(up + k * ff, up + (k + 1) * ff, side_by_side.begin() + k * 2 * ff + ff);
      }
      packed_gate_up_.push_back(pack(side_by_side.data(), rows_desc(dm, 2 * ff), packed_gate_up_desc_));
      const float* down = as_f32(tensors["w_down"], e * slice, slice, down_scratch);
      packed_down_.push_back(pack(down, rows_desc(ff, dm), packed_down_desc_));
    }
    size_t scratchpad_bytes = 0;
    blocks_.big = make_block_pair(kBigBlock, scratchpad_bytes);
    blocks_.small = make_block_pair(kSmallBlock, scratchpad_bytes);
    for (int i = 0; i < std::max(1, ctx_.threads); ++i)
      workers_.push_back({dnnl::stream(ctx_.engine),
                          memory({{int64_t(std::max<size_t>(scratchpad_bytes, 1))}, dt::u8, tag::a}, ctx_.engine)});
  }

  memory pack(const float* plain, const memory::desc& plain_desc, const memory::desc& packed_desc) {
    memory from(plain_desc, ctx_.engine, const_cast<float*>(plain)), to(packed_desc, ctx_.engine);
    dnnl::reorder(from, to).execute(ctx_.stream, from, to);
    ctx_.stream.wait();
    return to;
  }

  // The packed matmuls for blocks of 32 and of 8 rows: oneDNN's packed weight
  // layout does not depend on the row count, so one copy of the weights serves both.
  struct Blocks {
    struct Pair {
      dnnl::matmul up, down;
    };
    Pair big, small;
  };
  Blocks::Pair make_block_pair(int64_t n, size_t& scratchpad_bytes) {
    const int64_t ff = s_.expert_ff, dm = s_.d_model;
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // one per thread: blocks run concurrently
    const dnnl::matmul::primitive_desc up(
        dnnl::matmul::desc(rows_desc(n, dm), packed_gate_up_desc_, rows_desc(n, 2 * ff)), attr, ctx_.engine);
    const dnnl::matmul::primitive_desc down(
        dnnl::matmul::desc(rows_desc(n, ff), packed_down_desc_, rows_desc(n, dm)), attr, ctx_.engine);
    scratchpad_bytes = std::max({scratchpad_bytes, up.scratchpad_desc().get_size(), down.scratchpad_desc().get_size()});
    return {dnnl::matmul(up), dnnl::matmul(down)};
  }

  // A thread's own stream (the host's engine; a CPU stream is only an in-order
  // queue, and the primitives of one thread must not share another's) and scratchpad.
  struct Worker {
    dnnl::stream stream;
    memory scratchpad;
  };
  struct Task {
    int64_t expert, first;
    bool big;
  };

  // The few-rows path: every expert with rows times its weight slice(s) read in
  // place, threads over (expert, column block). With two weights (gate, up) the
  // outputs land side by side in rows of 2 * width, as the packed path leaves them.
  void in_place(const float* rows, int64_t k, const ab_tensor* first, const ab_tensor* second, float* out,
                int64_t width) {
    constexpr int64_t kColumns = 1024;  // runs of 2-4 KB per weight row: streams well
    const int64_t halves = second ? 2 : 1, ld_out = halves * width, blocks = (width + kColumns - 1) / kColumns;
    const int64_t slice = k * width, element = int64_t(sdk::dtype_size(first->desc->dtype));
    const int64_t tasks = s_.experts * halves * blocks;
#pragma omp parallel for schedule(dynamic)
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t e = task / (halves * blocks), half = task / blocks % halves, b = task % blocks;
      const int64_t first_row = first_row_[size_t(e)], n = rows_of_[size_t(e)];
      if (n == 0) continue;
      const ab_tensor& weight = half ? *second : *first;
      const auto* base = static_cast<const uint8_t*>(weight.data) + e * slice * element;
      few_rows_times_weight(rows + first_row * k, n, k, base, weight.desc->dtype, width,
                            out + first_row * ld_out + half * width, ld_out, b * kColumns,
                            std::min(width, (b + 1) * kColumns));
    }
  }

  void activate_all(float* gate, const float* up, int64_t count) const {
    const Activation activation = s_.activation;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < count; ++i) gate[i] = activate_f32(activation, gate[i], up[i]);
  }

  // Step 5a: the shared experts, one dense gated FFN of width shared * shared_ff.
  void run_shared(const float* x) {
    const int64_t width = s_.shared_width();
    run(shared_up_mm_, x, rows_desc(s_.tokens, s_.d_model), shared_gate_w_->data(), rows_desc(s_.d_model, width),
        shared_gate_.data(), rows_desc(s_.tokens, width));
    run(shared_up_mm_, x, rows_desc(s_.tokens, s_.d_model), shared_up_w_->data(), rows_desc(s_.d_model, width),
        shared_up_.data(), rows_desc(s_.tokens, width));
    ctx_.stream.wait();
    activate_all(shared_gate_.data(), shared_up_.data(), s_.tokens * width);
    run(shared_down_mm_, shared_gate_.data(), rows_desc(s_.tokens, width), shared_down_w_->data(),
        rows_desc(width, s_.d_model), y32_.data(), rows_desc(s_.tokens, s_.d_model));
    ctx_.stream.wait();
  }

  // Step 5b: y[t] = shared[t] + sum of its kept slots, each times its weight.
  void combine() {
    const bool weighted = router_ != Router::sigmoid_top1, shared = s_.shared > 0;
    const bool f32_out = y_.desc->dtype == AB_DTYPE_F32;
    float* y = f32_out ? static_cast<float*>(y_.data) : y32_.data();
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < s_.tokens; ++t) {
      float* row = y + t * s_.d_model;
      const float* shared_row = y32_.data() + t * s_.d_model;
      for (int64_t d = 0; d < s_.d_model; ++d) row[d] = shared ? shared_row[d] : 0.0f;
      for (int64_t j = 0; j < s_.top_k; ++j) {
        const int64_t a = t * s_.top_k + j, r = row_of_[size_t(a)];
        if (r < 0) continue;
        const float w = weighted ? chosen_weight_[size_t(a)] : 1.0f;
        const float* out = out_.data() + r * s_.d_model;
        for (int64_t d = 0; d < s_.d_model; ++d) row[d] += w * out[d];
      }
    }
    if (!f32_out) sc::convert_elements(y32_.data(), static_cast<uint16_t*>(y_.data), int64_t(y32_.size()));
  }

  sc::Context ctx_;
  Shape s_;
  Router router_;
  const ab_tensor& x_;
  const ab_tensor& y_;
  int32_t* experts_out_;
  float* weights_out_;
  float* scores_out_;
  const float* offset_ = nullptr;
  const float* bias_ = nullptr;
  F32Weights w_router_;
  bool packed_ = false;
  std::vector<memory> packed_gate_up_, packed_down_;  // per expert (packed path)
  memory::desc packed_gate_up_desc_, packed_down_desc_;
  Blocks blocks_;
  std::vector<Worker> workers_;
  std::vector<Task> tasks_;
  const ab_tensor* w_gate_ = nullptr;  // in-place path: the host's stacked weights
  const ab_tensor* w_up_ = nullptr;
  const ab_tensor* w_down_ = nullptr;
  std::optional<F32Weights> shared_gate_w_, shared_up_w_, shared_down_w_;
  dnnl::matmul::primitive_desc router_pd_, shared_up_pd_, shared_down_pd_;
  dnnl::matmul router_mm_, shared_up_mm_, shared_down_mm_;
  std::vector<float> x32_, y32_, logits_, chosen_weight_, rows_, gate_up_, hidden_, out_, shared_gate_, shared_up_;
  std::vector<int32_t> chosen_;
  std::vector<int64_t> row_of_, first_row_, rows_of_;  // per expert: padded first row, rows
};

}  // namespace

std::unique_ptr<sdk::Instance> MoeVariant::create_cpu(const sdk::Problem& problem, const ab_host& host,
                                                  const sdk::Tensors& tensors) const {
  return std::make_unique<MoeCpu>(*this, problem, host, tensors);
}

}  // namespace archbench::plugins::moe
