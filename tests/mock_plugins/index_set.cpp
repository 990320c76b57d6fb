// Mock: top-k selection with an int32 `index-set` output, one variant per way
// a kernel can get it right or wrong, so tests prove the harness's index-set
// check passes a right selection (in any order, or a different pick among
// tied scores) and fails a wrong, duplicated, unwritten or stale one.
//
//   scores [rows, n] f32 input; idx [rows, k] int32, compared as sets ranked by
//   `scores`; top_sum [rows] f32 numeric: the sum of the chosen scores.
#include <archbench/sdk.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace sdk = archbench::sdk;

namespace {

enum class Behaviour { right, reversed, tie, wrong, duplicate, unwritten, once, tie_unscored };

// The indices of a row's k best scores, best first, ties to the lower index.
std::vector<int32_t> top_k(const float* row, int64_t n, int64_t k) {
  std::vector<int32_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return row[a] > row[b]; });
  order.resize(size_t(k));
  return order;
}

class TopK : public sdk::Variant {
 public:
  TopK(const char* name, Behaviour behaviour) : Variant(name, "mock", "mock: top-k selection"), b_(behaviour) {
    schema().add_int("rows", "r", 64, 1, 1 << 16, "rows");
    schema().add_int("n", "n", 32, 2, 1 << 16, "scores per row");
    schema().add_int("k", "k", 4, 1, 64, "chosen per row");
    backends({AB_BACKEND_CPU});
    dtypes({AB_DTYPE_F32});
  }
  std::string validate(const sdk::Problem& p) const override {
    return p.integer("k") < p.integer("n") ? "" : "k must be below n";
  }
  void describe(const sdk::Problem& p, sdk::Info& info) const override {
    const int64_t rows = p.integer("rows"), n = p.integer("n"), k = p.integer("k");
    const bool tied = b_ == Behaviour::tie || b_ == Behaviour::tie_unscored;
    auto scores = info.tensor("scores", AB_TENSOR_INPUT, AB_DTYPE_F32, {rows, n});
    if (tied) scores.fill(sdk::Fill::constant(0.5));  // every score ties
    auto idx = info.tensor("idx", AB_TENSOR_OUTPUT, AB_DTYPE_I32, {rows, k});
    if (b_ == Behaviour::tie_unscored) idx.index_set();  // no scores: the reference's set exactly
    else idx.index_set("scores");
    info.tensor("top_sum", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {rows});
    info.bytes(4.0 * double(rows * (n + k + 1)));
    info.tokens(double(rows));
  }
  void reference(const sdk::Problem& p, const sdk::Tensors& t, const sdk::Outputs& out) const override {
    const int64_t rows = p.integer("rows"), n = p.integer("n"), k = p.integer("k");
    const auto* scores = static_cast<const float*>(t["scores"].data);
    for (int64_t r = 0; r < rows; ++r) {
      const std::vector<int32_t> best = top_k(scores + r * n, n, k);
      double sum = 0;
      for (int64_t j = 0; j < k; ++j) {
        out["idx"][r * k + j] = best[size_t(j)];
        sum += scores[r * n + best[size_t(j)]];
      }
      out["top_sum"][r] = sum;
    }
  }

  struct Run : sdk::Instance {
    const TopK* owner;
    const float* scores;
    int32_t* idx;
    float* top_sum;
    int64_t rows, n, k;
    void execute() override { owner->select(*this); }
  };
  std::unique_ptr<sdk::Instance> create_cpu(const sdk::Problem& p, const ab_host&,
                                            const sdk::Tensors& t) const override {
    auto run = std::make_unique<Run>();
    run->owner = this;
    run->scores = static_cast<const float*>(t["scores"].data);
    run->idx = static_cast<int32_t*>(t["idx"].data);
    run->top_sum = static_cast<float*>(t["top_sum"].data);
    run->rows = p.integer("rows");
    run->n = p.integer("n");
    run->k = p.integer("k");
    if (b_ == Behaviour::once) compute(*run);  // the work done in create, never again
    return run;
  }

  void compute(Run& r) const {
    for (int64_t row = 0; row < r.rows; ++row) {
      const float* s = r.scores + row * r.n;
      std::vector<int32_t> pick = top_k(s, r.n, std::min(r.k + 1, r.n));
      pick.resize(size_t(r.k));
      if (b_ == Behaviour::reversed) std::reverse(pick.begin(), pick.end());
      if (b_ == Behaviour::tie || b_ == Behaviour::tie_unscored)  // another choice among equals
        for (int64_t j = 0; j < r.k; ++j) pick[size_t(j)] = int32_t(r.n - 1 - j);
      if (b_ == Behaviour::wrong) pick.back() = top_k(s, r.n, r.k + 1).back();  // the (k+1)-th best
      if (b_ == Behaviour::duplicate) pick.back() = pick.front();
      float sum = 0;
      for (int64_t j = 0; j < r.k; ++j) {
        r.idx[row * r.k + j] = pick[size_t(j)];
        sum += s[pick[size_t(j)]];
      }
      r.top_sum[row] = sum;
    }
  }
  void select(Run& r) const {
    if (b_ != Behaviour::unwritten && b_ != Behaviour::once) compute(r);
  }

 private:
  Behaviour b_;
};

struct Right : TopK { Right() : TopK("mock/topk", Behaviour::right) {} };
struct Reversed : TopK { Reversed() : TopK("mock/topk-reversed", Behaviour::reversed) {} };
struct Tie : TopK { Tie() : TopK("mock/topk-tie", Behaviour::tie) {} };
struct TieUnscored : TopK { TieUnscored() : TopK("mock/topk-tie-unscored", Behaviour::tie_unscored) {} };
struct Wrong : TopK { Wrong() : TopK("mock/topk-wrong", Behaviour::wrong) {} };
struct Duplicate : TopK { Duplicate() : TopK("mock/topk-duplicate", Behaviour::duplicate) {} };
struct Unwritten : TopK { Unwritten() : TopK("mock/topk-unwritten", Behaviour::unwritten) {} };
struct Once : TopK { Once() : TopK("mock/topk-once", Behaviour::once) {} };

// Causal top-k (a sparse-attention indexer's selection): row r may choose
// among candidates 0..r % n only; the reference marks the rest -inf in the
// unchecked `visible` output, and a row with fewer candidates than k pads
// with -1.
enum class Causal { right, masked, overpadded };

class CausalTopK : public sdk::Variant {
 public:
  CausalTopK(const char* name, Causal behaviour) : Variant(name, "mock", "mock: causal top-k selection"), b_(behaviour) {
    schema().add_int("rows", "r", 64, 1, 1 << 16, "rows");
    schema().add_int("n", "n", 32, 2, 1 << 16, "candidates per row");
    schema().add_int("k", "k", 4, 1, 64, "chosen per row");
    backends({AB_BACKEND_CPU});
    dtypes({AB_DTYPE_F32});
  }
  void describe(const sdk::Problem& p, sdk::Info& info) const override {
    const int64_t rows = p.integer("rows"), n = p.integer("n"), k = p.integer("k");
    info.tensor("scores", AB_TENSOR_INPUT, AB_DTYPE_F32, {rows, n});
    info.tensor("idx", AB_TENSOR_OUTPUT, AB_DTYPE_I32, {rows, k}).index_set("visible");
    info.tensor("visible", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {rows, n}).unchecked();
    info.bytes(4.0 * double(rows * (n + k)));
    info.tokens(double(rows));
  }
  // The visible candidates of `row`, best first (ties to the lower index).
  static std::vector<int32_t> best(const float* scores, int64_t row, int64_t n) {
    return top_k(scores + row * n, row % n + 1, row % n + 1);
  }
  void reference(const sdk::Problem& p, const sdk::Tensors& t, const sdk::Outputs& out) const override {
    const int64_t rows = p.integer("rows"), n = p.integer("n"), k = p.integer("k");
    const auto* scores = static_cast<const float*>(t["scores"].data);
    for (int64_t r = 0; r < rows; ++r) {
      const std::vector<int32_t> order = best(scores, r, n);
      for (int64_t c = 0; c < n; ++c) out["visible"][r * n + c] = c <= r % n ? double(scores[r * n + c]) : -INFINITY;
      for (int64_t j = 0; j < k; ++j) out["idx"][r * k + j] = j < int64_t(order.size()) ? order[size_t(j)] : -1;
    }
  }
  struct Run : sdk::Instance {
    const float* scores;
    int32_t* idx;
    int64_t rows, n, k;
    Causal b;
    void execute() override {
      for (int64_t r = 0; r < rows; ++r) {
        std::vector<int32_t> order = best(scores, r, n);
        const int64_t chosen = std::min<int64_t>(k, int64_t(order.size()));
        for (int64_t j = 0; j < k; ++j) idx[r * k + j] = j < chosen ? order[size_t(j)] : -1;
        if (b == Causal::masked && chosen < k) idx[r * k + chosen] = int32_t(n - 1);  // past the row's candidates
        if (b == Causal::overpadded && chosen == k) idx[r * k + k - 1] = -1;
      }
    }
  };
  std::unique_ptr<sdk::Instance> create_cpu(const sdk::Problem& p, const ab_host&, const sdk::Tensors& t) const override {
    auto run = std::make_unique<Run>();
    run->scores = static_cast<const float*>(t["scores"].data);
    run->idx = static_cast<int32_t*>(t["idx"].data);
    run->rows = p.integer("rows");
    run->n = p.integer("n");
    run->k = p.integer("k");
    run->b = b_;
    return run;
  }

 private:
  Causal b_;
};

struct CausalRight : CausalTopK { CausalRight() : CausalTopK("mock/topk-causal", Causal::right) {} };
struct CausalMasked : CausalTopK { CausalMasked() : CausalTopK("mock/topk-causal-masked", Causal::masked) {} };
struct CausalOverpadded : CausalTopK {
  CausalOverpadded() : CausalTopK("mock/topk-causal-overpadded", Causal::overpadded) {}
};

}  // namespace

ARCHBENCH_PLUGIN("index_set", "0.0.1", Right, Reversed, Tie, TieUnscored, Wrong, Duplicate, Unwritten, Once,
                 CausalRight, CausalMasked, CausalOverpadded)
