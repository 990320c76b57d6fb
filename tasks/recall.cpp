// The associative-recall task's generator (see recall.hpp, haystack.hpp).
//
// Keys of the pairs are random unit vectors of the content subspace, not an
// orthogonal frame: N may exceed the key width, and a memory of width d that
// must hold N > d random keys is exactly what the task measures. With beta 32
// in 64 dimensions a wrong pair's logit is about 32 * 3 / 8 = 12 at worst
// among 256 pairs, so softmax attention still tells every pair apart. Each
// query head of a GQA group asks all N pairs of its haystack, in its own order.
#include "tasks/recall.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <stdexcept>

namespace archbench::tasks {
namespace {

struct Query {
  int64_t batch = 0, head = 0, slot = 0, code = 0;
};

Vector random_unit_in(Rng& rng, int64_t dims, const std::vector<int64_t>& support) {
  Vector v(size_t(dims), 0.0);
  for (int64_t d : support) v[size_t(d)] = rng.normal();
  const double norm = std::sqrt(dot(v, v));
  for (double& x : v) x /= norm;
  return v;
}

// One prefill: N pairs per haystack, all asked by every head of its group.
void run_pass(const RecallSpec& spec, const QkvLayout& layout, int64_t n, uint64_t pass_seed,
              const std::vector<int64_t>& support, const RunVariant& run, Cell& cell) {
  Haystack hay(layout, n, pass_seed);
  const int64_t length = hay.length(), g = layout.group(), m = layout.dv;
  std::vector<Query> queries;
  for (int64_t b = 0; b < layout.batch; ++b)
    for (int64_t kvh = 0; kvh < layout.kv_heads; ++kvh) {
      Rng rng(mix_seed({pass_seed, 0x9A12ull, uint64_t(b), uint64_t(kvh)}));
      if (spec.filler == Filler::blank)
        for (int64_t pos = 0; pos < layout.tokens; ++pos) hay.blank(b, pos, kvh);
      std::set<int64_t> taken;
      std::vector<Vector> keys;
      std::vector<int64_t> codes;
      for (int64_t i = 0; i < n; ++i) {
        int64_t position = rng.below(length);
        while (taken.count(position)) position = rng.below(length);
        taken.insert(position);
        keys.push_back(random_unit_in(rng, layout.dk, support));
        codes.push_back(rng.below(m));
        hay.set_key(b, position, kvh, keys.back());
        hay.set_value(b, position, kvh, codes.back());
      }
      for (int64_t gi = 0; gi < g; ++gi) {
        std::vector<int64_t> order(static_cast<size_t>(n));
        std::iota(order.begin(), order.end(), 0);
        for (int64_t i = n - 1; i > 0; --i) std::swap(order[size_t(i)], order[size_t(rng.below(i + 1))]);
        for (int64_t slot = 0; slot < n; ++slot) {
          const int64_t pair = order[size_t(slot)];
          hay.ask(b, slot, kvh * g + gi, keys[size_t(pair)], spec.beta);
          queries.push_back({b, kvh * g + gi, slot, codes[size_t(pair)]});
        }
      }
    }
  const std::vector<float> out = run(hay.inputs());
  for (const Query& q : queries) {
    ++cell.trials;
    cell.successes += hay.decode(hay.answer(out, q.batch, q.slot, q.head)) == q.code ? 1 : 0;
  }
}

}  // namespace

TaskOutcome run_recall(const RecallSpec& spec, const QkvLayout& layout, uint64_t seed, const RunVariant& run) {
  const std::vector<int64_t> support = content_support(layout, spec.content);
  TaskOutcome outcome;
  for (int64_t n : spec.pairs) {
    if (2 * n > layout.tokens) continue;  // N pairs and N queries do not fit: not run
    Cell cell;
    cell.coordinate = double(n);
    cell.chance = 1.0 / double(layout.dv);
    // Every head asks all N pairs per prefill; more prefills until `trials` queries.
    const int64_t per_pass = n * layout.batch * layout.heads;
    const int64_t passes = (spec.trials + per_pass - 1) / per_pass;
    for (int64_t pass = 0; pass < passes; ++pass) {
      run_pass(spec, layout, n, mix_seed({seed, uint64_t(layout.tokens), uint64_t(n), uint64_t(pass), 0x2EC4ull}),
               support, run, cell);
      ++outcome.prefills;
    }
    outcome.cells.push_back(cell);
  }
  if (outcome.cells.empty())
    throw std::invalid_argument("recall: the context (" + std::to_string(layout.tokens) +
                                " tokens) is too short for the smallest pair count's pairs and queries");
  return outcome;
}

}  // namespace archbench::tasks
