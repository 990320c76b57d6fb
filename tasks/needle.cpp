// The needle task's generator (see needle.hpp, haystack.hpp).
//
// A trial plants its needle token(s) at a depth of the haystack and asks for
// them from one probe (multi-query: `count` probes). Needles of one depth sit
// side by side; trials of different depths share a haystack, each with its own
// orthogonal key, so one prefill answers many cells. Success:
//   single, multi-key   the probe decodes to the needle's value
//   multi-value         the probe's `count` best codebook scores are exactly the needle's values
//   multi-query         every probe decodes to its own needle's value
#include "tasks/needle.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

namespace archbench::tasks {

namespace {

struct Trial {
  int64_t depth_index = 0;
  int64_t batch = 0, head = 0;
  std::vector<Vector> keys;           // asked for (one per probe)
  std::vector<int64_t> slots;         // probe slots, one per key
  std::vector<int64_t> codes;         // single/multi-key/multi-query: one per key; multi-value: the set
};

int64_t keys_per_trial(const NeedleSpec& spec) {
  switch (spec.form) {
    case NeedleForm::single: case NeedleForm::multi_value: return 1;
    case NeedleForm::multi_key: return 2;  // the needle's key and the direction its distractors lean to
    case NeedleForm::multi_query: return spec.count;
  }
  return 1;
}

double chance_of(const NeedleSpec& spec, int64_t m) {
  switch (spec.form) {
    case NeedleForm::single: case NeedleForm::multi_key: return 1.0 / double(m);
    case NeedleForm::multi_query: return std::pow(1.0 / double(m), double(spec.count));
    case NeedleForm::multi_value: {
      double ways = 1;  // C(m, count)
      for (int64_t i = 0; i < spec.count; ++i) ways = ways * double(m - i) / double(i + 1);
      return 1.0 / ways;
    }
  }
  return 0;
}

// Distinct random codebook entries.
std::vector<int64_t> distinct_codes(Rng& rng, int64_t m, int64_t count, int64_t avoid = -1) {
  std::vector<int64_t> codes;
  while (int64_t(codes.size()) < count) {
    const int64_t c = rng.below(m);
    if (c != avoid && std::find(codes.begin(), codes.end(), c) == codes.end()) codes.push_back(c);
  }
  return codes;
}

}  // namespace

TaskOutcome run_needle(const NeedleSpec& spec, const QkvLayout& layout, uint64_t seed, const RunVariant& run) {
  const std::vector<double> depths = spec.depths_percent();
  const int64_t depth_count = int64_t(depths.size());
  const std::vector<int64_t> support = content_support(layout, spec.content);
  const int64_t m = layout.dv, g = layout.group();
  const bool multi = spec.form != NeedleForm::single;
  if (multi && spec.form != NeedleForm::multi_key && spec.count > m)
    throw std::invalid_argument("needle " + std::string(form_name(spec.form)) + " with k" +
                                std::to_string(spec.count) + " needs at least that many codebook values (dv = " +
                                std::to_string(m) + ")");
  // Keys asked for in one haystack are orthogonal: the subspace caps how many
  // trials one prefill holds per haystack, and a GQA group's heads split them.
  const int64_t per_haystack = int64_t(support.size()) / keys_per_trial(spec);
  const int64_t per_head = per_haystack / g;
  if (per_head < 1)
    throw std::invalid_argument("needle " + std::string(form_name(spec.form)) + " (" + content_name(spec.content) +
                                ") needs " + std::to_string(keys_per_trial(spec) * g) +
                                " orthogonal key directions per haystack (GQA group " + std::to_string(g) +
                                "), the content subspace has " + std::to_string(support.size()));
  const int64_t rounds = trials_per_head(spec.trials, layout);
  const int64_t head_trials = rounds * depth_count;   // per query head
  const int64_t passes = (head_trials + per_head - 1) / per_head;
  const int64_t probes_per_trial = spec.form == NeedleForm::multi_query ? spec.count : 1;
  const int64_t trials_per_pass = (head_trials + passes - 1) / passes;
  const int64_t slots = trials_per_pass * probes_per_trial;

  TaskOutcome outcome;
  outcome.cells.resize(size_t(depth_count));
  for (int64_t d = 0; d < depth_count; ++d) {
    outcome.cells[size_t(d)].coordinate = depths[size_t(d)];
    outcome.cells[size_t(d)].chance = chance_of(spec, m);
  }

  for (int64_t pass = 0; pass < passes; ++pass) {
    const uint64_t pass_seed = mix_seed({seed, uint64_t(layout.tokens), uint64_t(pass)});
    Haystack hay(layout, slots, pass_seed);
    const int64_t length = hay.length();
    std::vector<Trial> trials;
    for (int64_t b = 0; b < layout.batch; ++b)
      for (int64_t kvh = 0; kvh < layout.kv_heads; ++kvh) {
        Rng rng(mix_seed({pass_seed, 0x4EEDull, uint64_t(b), uint64_t(kvh)}));
        // This haystack's trials: each head of the group takes its share of this pass.
        std::vector<Trial> here;
        for (int64_t gi = 0; gi < g; ++gi)
          for (int64_t j = pass * trials_per_pass; j < std::min(head_trials, (pass + 1) * trials_per_pass); ++j) {
            Trial t;
            t.depth_index = j % depth_count;
            t.batch = b;
            t.head = kvh * g + gi;
            const int64_t first_slot = (j - pass * trials_per_pass) * probes_per_trial;
            for (int64_t p = 0; p < probes_per_trial; ++p) t.slots.push_back(first_slot + p);
            here.push_back(std::move(t));
          }
        const std::vector<Vector> frame =
            random_frame(rng, layout.dk, support, int64_t(here.size()) * keys_per_trial(spec));
        // Needle tokens per depth, placed side by side around the depth's position.
        std::map<int64_t, std::vector<std::pair<Vector, int64_t>>> tokens_at_depth;
        std::set<int64_t> taken;
        std::vector<std::pair<Vector, int64_t>> distractors;
        for (size_t i = 0; i < here.size(); ++i) {
          Trial& t = here[i];
          const Vector* keys = &frame[i * size_t(keys_per_trial(spec))];
          auto& cluster = tokens_at_depth[t.depth_index];
          switch (spec.form) {
            case NeedleForm::single:
            case NeedleForm::multi_key: {
              t.keys = {keys[0]};
              t.codes = {rng.below(m)};
              cluster.push_back({keys[0], t.codes[0]});
              if (spec.form == NeedleForm::multi_key)
                for (int64_t c = 0; c < spec.count; ++c) {
                  const double cosine = rng.uniform(0.5, 0.9);
                  distractors.push_back({at_cosine(keys[0], keys[1], cosine),
                                         distinct_codes(rng, m, 1, t.codes[0])[0]});
                }
              break;
            }
            case NeedleForm::multi_value:
              t.keys = {keys[0]};
              t.codes = distinct_codes(rng, m, spec.count);
              for (int64_t code : t.codes) cluster.push_back({keys[0], code});
              std::sort(t.codes.begin(), t.codes.end());
              break;
            case NeedleForm::multi_query:
              for (int64_t k = 0; k < spec.count; ++k) {
                t.keys.push_back(keys[k]);
                t.codes.push_back(rng.below(m));
                cluster.push_back({keys[k], t.codes.back()});
              }
              break;
          }
        }
        for (auto& [depth_index, cluster] : tokens_at_depth) {
          const int64_t count = int64_t(cluster.size());
          if (count > length) throw std::invalid_argument("the haystack is shorter than the needles of one depth");
          const int64_t centre = std::llround(depths[size_t(depth_index)] / 100.0 * double(length - 1));
          const int64_t first = std::clamp<int64_t>(centre - count / 2, 0, length - count);
          for (int64_t i = 0; i < count; ++i) {
            hay.set_key(b, first + i, kvh, cluster[size_t(i)].first);
            hay.set_value(b, first + i, kvh, cluster[size_t(i)].second);
            taken.insert(first + i);
          }
        }
        for (const auto& [key, code] : distractors) {  // anywhere else in the haystack
          if (int64_t(taken.size()) >= length) throw std::invalid_argument("the haystack is too short for the distractors");
          int64_t position = rng.below(length);
          while (taken.count(position)) position = rng.below(length);
          taken.insert(position);
          hay.set_key(b, position, kvh, key);
          hay.set_value(b, position, kvh, code);
        }
        for (Trial& t : here) {
          for (size_t p = 0; p < t.slots.size(); ++p)
            hay.ask(b, t.slots[p], t.head, t.keys[spec.form == NeedleForm::multi_query ? p : 0], spec.beta);
          trials.push_back(std::move(t));
        }
      }

    const std::vector<float> out = run(hay.inputs());
    ++outcome.prefills;
    for (const Trial& t : trials) {
      bool success = true;
      if (spec.form == NeedleForm::multi_value) {
        success = hay.decode_top(hay.answer(out, t.batch, t.slots[0], t.head), spec.count) == t.codes;
      } else {
        for (size_t p = 0; p < t.slots.size(); ++p)
          success = success && hay.decode(hay.answer(out, t.batch, t.slots[p], t.head)) == t.codes[p];
      }
      Cell& cell = outcome.cells[size_t(t.depth_index)];
      ++cell.trials;
      cell.successes += success ? 1 : 0;
    }
  }
  return outcome;
}

}  // namespace archbench::tasks
