// The multihop task's generator (variable tracking / pointer chasing; see multihop.hpp).
//
// Variable m has the key frame[m] and the value codebook[m], so decoding an
// output names the next variable to ask for. A chain x0 -> x1 -> ... -> xH is
// H link tokens (key of x_i, value of x_{i+1}) at random haystack positions;
// the first query asks for x0, and each later prefill asks for what the
// previous one decoded. The chain's trial at h hops succeeds when hop h decodes
// to x_h. Variables of one haystack are all distinct, so no link is ambiguous.
#include "tasks/multihop.hpp"

#include <algorithm>
#include <numeric>
#include <set>
#include <stdexcept>

namespace archbench::tasks {
namespace {

struct Chain {
  int64_t batch = 0, head = 0, slot = 0;
  std::vector<int64_t> variables;  // x0 .. xH
  int64_t current = 0;             // the variable the next hop asks for (-1: lost)
};

}  // namespace

TaskOutcome run_multihop(const MultihopSpec& spec, const QkvLayout& layout, uint64_t seed, const RunVariant& run) {
  const std::vector<int64_t> support = content_support(layout, spec.content);
  const int64_t m = layout.dv, g = layout.group(), hops = spec.max_hops();
  if (m > int64_t(support.size()))
    throw std::invalid_argument("multihop needs an orthogonal key per codebook value: dv = " + std::to_string(m) +
                                " values, but the " + content_name(spec.content) + " subspace has " +
                                std::to_string(support.size()) + " dimensions");
  const int64_t per_head = (m / (hops + 1)) / g;  // chains of distinct variables per head and prefill
  if (per_head < 1)
    throw std::invalid_argument("multihop with " + std::to_string(hops) + " hops needs " +
                                std::to_string((hops + 1) * g) + " distinct variables per haystack (GQA group " +
                                std::to_string(g) + "); the codebook has dv = " + std::to_string(m));
  const int64_t chains_per_head = trials_per_head(spec.trials, layout);
  const int64_t passes = (chains_per_head + per_head - 1) / per_head;
  const int64_t slots = (chains_per_head + passes - 1) / passes;

  TaskOutcome outcome;
  for (int64_t h : spec.hops) {
    Cell cell;
    cell.coordinate = double(h);
    cell.chance = 1.0 / double(m);
    outcome.cells.push_back(cell);
  }
  for (int64_t pass = 0; pass < passes; ++pass) {
    const uint64_t pass_seed = mix_seed({seed, uint64_t(layout.tokens), uint64_t(pass), 0x40F5ull});
    Haystack hay(layout, slots, pass_seed);
    const int64_t length = hay.length();
    if (length < (hops * g * slots))
      throw std::invalid_argument("the haystack is too short for the chains' links");
    std::vector<Chain> chains;
    std::vector<std::vector<Vector>> frames;  // per (batch, kv head): variable keys
    for (int64_t b = 0; b < layout.batch; ++b)
      for (int64_t kvh = 0; kvh < layout.kv_heads; ++kvh) {
        Rng rng(mix_seed({pass_seed, 0xC4A1ull, uint64_t(b), uint64_t(kvh)}));
        frames.push_back(random_frame(rng, layout.dk, support, m));
        const std::vector<Vector>& keys = frames.back();
        std::vector<int64_t> order(static_cast<size_t>(m));
        std::iota(order.begin(), order.end(), 0);
        for (int64_t i = m - 1; i > 0; --i) std::swap(order[size_t(i)], order[size_t(rng.below(i + 1))]);
        std::set<int64_t> taken;
        size_t next_variable = 0;
        for (int64_t gi = 0; gi < g; ++gi)
          for (int64_t s = 0; s < std::min(slots, chains_per_head - pass * slots); ++s) {
            Chain c;
            c.batch = b;
            c.head = kvh * g + gi;
            c.slot = s;
            for (int64_t i = 0; i <= hops; ++i) c.variables.push_back(order[next_variable++]);
            for (int64_t i = 0; i < hops; ++i) {
              int64_t position = rng.below(length);
              while (taken.count(position)) position = rng.below(length);
              taken.insert(position);
              hay.set_key(b, position, kvh, keys[size_t(c.variables[size_t(i)])]);
              hay.set_value(b, position, kvh, c.variables[size_t(i + 1)]);
            }
            c.current = c.variables[0];
            chains.push_back(std::move(c));
          }
      }

    for (int64_t hop = 1; hop <= hops; ++hop) {
      for (const Chain& c : chains) {
        const std::vector<Vector>& keys = frames[size_t(c.batch * layout.kv_heads + c.head / g)];
        // A lost chain asks for nothing (a zero query): it cannot find its way back.
        hay.ask(c.batch, c.slot, c.head, c.current >= 0 ? keys[size_t(c.current)] : Vector(size_t(layout.dk), 0.0),
                spec.beta);
      }
      const std::vector<float> out = run(hay.inputs());
      ++outcome.prefills;
      for (Chain& c : chains) {
        c.current = c.current >= 0 ? hay.decode(hay.answer(out, c.batch, c.slot, c.head)) : -1;
        for (size_t i = 0; i < spec.hops.size(); ++i)
          if (spec.hops[i] == hop) {
            ++outcome.cells[i].trials;
            outcome.cells[i].successes += c.current == c.variables[size_t(hop)] ? 1 : 0;
          }
      }
    }
  }
  return outcome;
}

}  // namespace archbench::tasks
