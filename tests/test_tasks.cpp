// Tests for the accuracy tasks (tasks/): their strings, their registry and their
// generators, independent of any
// plugin: an exact softmax attention written here (full causal, optionally a
// sliding window) stands in for a variant, so what the tasks claim can be
// checked against what they must find: every needle and chain under full
// attention, exactly the needles inside a window, chance for a variant that
// outputs nothing useful; and a linear attention (a d x d state, no softmax)
// for what a fixed state cannot hold.
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>

#include "tasks/multihop.hpp"
#include "tasks/needle.hpp"
#include "tasks/recall.hpp"
#include "tasks/task.hpp"

using namespace archbench::tasks;

namespace {

// Causal attention in double (NoPE), keys visible when i - j < window.
RunVariant exact_attention(const QkvLayout& l, int64_t window, int* runs = nullptr) {
  return [l, window, runs](const QkvInputs& in) {
    if (runs) ++*runs;
    std::vector<float> out(size_t(l.batch * l.tokens * l.heads * l.dv), 0.0f);
    const double scale = 1.0 / std::sqrt(double(l.dk));
    std::vector<double> p(size_t(l.tokens)), acc(size_t(l.dv));
    for (int64_t b = 0; b < l.batch; ++b)
      for (int64_t h = 0; h < l.heads; ++h)
        for (int64_t i = 0; i < l.tokens; ++i) {
          const float* q = &in.q[size_t(((b * l.tokens + i) * l.heads + h) * l.dk)];
          bool asks = false;
          for (int64_t d = 0; d < l.dk; ++d) asks = asks || q[d] != 0.0f;
          if (!asks) continue;  // only the probes' rows matter
          const int64_t kvh = h / l.group(), first = std::max<int64_t>(0, i - window + 1);
          double most = -INFINITY;
          for (int64_t j = first; j <= i; ++j) {
            const float* k = &in.k[size_t(((b * l.tokens + j) * l.kv_heads + kvh) * l.dk)];
            double s = 0;
            for (int64_t d = 0; d < l.dk; ++d) s += double(q[d]) * k[d];
            p[size_t(j)] = s * scale;
            most = std::max(most, p[size_t(j)]);
          }
          double sum = 0;
          std::fill(acc.begin(), acc.end(), 0.0);
          for (int64_t j = first; j <= i; ++j) {
            const double w = std::exp(p[size_t(j)] - most);
            sum += w;
            const float* v = &in.v[size_t(((b * l.tokens + j) * l.kv_heads + kvh) * l.dv)];
            for (int64_t d = 0; d < l.dv; ++d) acc[size_t(d)] += w * v[d];
          }
          float* o = &out[size_t(((b * l.tokens + i) * l.heads + h) * l.dv)];
          for (int64_t d = 0; d < l.dv; ++d) o[d] = float(acc[size_t(d)] / sum);
        }
    return out;
  };
}

// Causal linear attention in double: out_i = sum_{j <= i} (q_i . k_j) v_j, kept
// as one dk x dv state per (sequence, K/V head), as a linear mixer keeps it.
// Its recall is limited by the state, not by the context it has seen.
RunVariant linear_attention(const QkvLayout& l) {
  return [l](const QkvInputs& in) {
    std::vector<float> out(size_t(l.batch * l.tokens * l.heads * l.dv), 0.0f);
    for (int64_t b = 0; b < l.batch; ++b)
      for (int64_t kvh = 0; kvh < l.kv_heads; ++kvh) {
        std::vector<double> state(size_t(l.dk * l.dv), 0.0);
        for (int64_t i = 0; i < l.tokens; ++i) {
          const float* k = &in.k[size_t(((b * l.tokens + i) * l.kv_heads + kvh) * l.dk)];
          const float* v = &in.v[size_t(((b * l.tokens + i) * l.kv_heads + kvh) * l.dv)];
          for (int64_t d = 0; d < l.dk; ++d)
            for (int64_t e = 0; e < l.dv; ++e) state[size_t(d * l.dv + e)] += double(k[d]) * v[e];
          for (int64_t h = kvh * l.group(); h < (kvh + 1) * l.group(); ++h) {
            const float* q = &in.q[size_t(((b * l.tokens + i) * l.heads + h) * l.dk)];
            float* o = &out[size_t(((b * l.tokens + i) * l.heads + h) * l.dv)];
            for (int64_t e = 0; e < l.dv; ++e) {
              double sum = 0;
              for (int64_t d = 0; d < l.dk; ++d) sum += double(q[d]) * state[size_t(d * l.dv + e)];
              o[e] = float(sum);
            }
          }
        }
      }
    return out;
  };
}

QkvLayout small_layout(int64_t tokens, int64_t heads = 2, int64_t kv_heads = 2) {
  QkvLayout l;
  l.tokens = tokens;
  l.heads = heads;
  l.kv_heads = kv_heads;
  l.dk = 32;
  l.dv = 16;
  return l;
}

}  // namespace

TEST_CASE("task strings print and parse back") {
  for (const char* text : {"needle.single.spread.beta32.t8.ds10", "needle.multi-value.low-freq.beta24p5.t3.k2.ds25",
                           "multihop.spread.beta32.t8.hops1-2-4-8", "recall.spread.noise.beta32.t32.n4-16-64-256",
                           "recall.low-freq.blank.beta16.t5.n3-7"})
    CHECK(parse_task(text)->canonical() == text);
  CHECK(parse_task("needle.multi-key")->canonical() == "needle.multi-key.spread.beta32.t8.k4.ds10");
  CHECK(parse_task("needle.single.spread.beta32.t8.ds10.cell-d30")->canonical() == "needle.single.spread.beta32.t8.ds10");
  CHECK_THROWS_WITH(parse_task("needle.single.bogus"), Catch::Contains("bogus") && Catch::Contains("expected"));
  CHECK_THROWS_WITH(parse_task("haystack.single"), Catch::Contains("needle, multihop or recall"));
  CHECK(parse_task("recall.blank.n8")->canonical() == "recall.spread.blank.beta32.t32.n8");
  CHECK(parse_task("recall.n4-8.cell-n8")->canonical() == "recall.spread.noise.beta32.t32.n4-8");
  CHECK_THROWS_WITH(parse_task("recall.n4-8.cell-n16"),
                    "task token 'cell-n16': expected cell-n<pairs> with a pair count of this row");
  CHECK_THROWS_AS(parse_task("recall.n4-8.cell-d8"), std::invalid_argument);
  CHECK_THROWS_WITH(parse_task("recall.spread.full"), Catch::Contains("full") && Catch::Contains("noise|blank"));
  CHECK_THROWS_AS(parse_task("recall.n0"), std::invalid_argument);
  CHECK_THROWS_WITH(parse_task("needle.t0"), Catch::Contains("[1, 100000]"));
  CHECK(parse_needle("needle.ds25").depths_percent() == std::vector<double>{0, 25, 50, 75, 100});
}

TEST_CASE("issue 13: a cell token must name a cell of its row - cell-d999 is refused") {
  CHECK_THROWS_WITH(parse_task("needle.single.ds10.cell-d999"),
                    "task token 'cell-d999': expected cell-d<depth> with a depth of this row (0, 10, ... 100 %)");
  CHECK_THROWS_AS(parse_task("needle.single.ds10.cell-d35"), std::invalid_argument);   // not a depth of ds10
  CHECK_THROWS_AS(parse_task("needle.single.ds10.cell-d-10"), std::invalid_argument);
  CHECK_THROWS_AS(parse_task("needle.single.ds10.cell-h2"), std::invalid_argument);    // another task's cell
  CHECK_THROWS_AS(parse_task("needle.single.ds10.cell-dnan"), std::invalid_argument);
  CHECK(parse_task("needle.single.ds25.cell-d75")->canonical() == "needle.single.spread.beta32.t8.ds25");
  CHECK(parse_task("needle.single.ds30.cell-d100")->canonical() == "needle.single.spread.beta32.t8.ds30");
  CHECK_THROWS_WITH(parse_task("multihop.hops1-2.cell-h4"),
                    "task token 'cell-h4': expected cell-h<hops> with a hop count of this row");
  CHECK_THROWS_AS(parse_task("multihop.hops1-2.cell-h999"), std::invalid_argument);
  CHECK(parse_task("multihop.hops1-2.cell-h2")->canonical() == parse_task("multihop.hops1-2")->canonical());
}

TEST_CASE("the registry holds needle and multihop with what the harness and the store need of them") {
  const TaskEntry* needle = find_task("needle");
  const TaskEntry* multihop = find_task("multihop");
  REQUIRE(needle);
  REQUIRE(multihop);
  CHECK(task_entries().size() == 3);
  CHECK(find_task("haystack") == nullptr);
  CHECK(needle->axis == "depth");
  CHECK(multihop->axis == "hops");
  CHECK(needle->contract == "mixer.qkv/1");
  CHECK(multihop->contract == "mixer.qkv/1");
  CHECK(headline_kind() == "needle");

  const TaskPtr low = parse_task("needle.single.low-freq.beta32.t4.ds10");
  CHECK(&low->entry() == needle);
  CHECK(low->label() == "single.low-freq");
  CHECK(low->cell_token(30) == ".cell-d30");
  CHECK(low->cell_token(12.5) == ".cell-d12p5");
  // Single-needle rows go beside speed, low-freq preferred; the multi forms do not.
  CHECK(low->headline() > parse_task("needle.single.spread")->headline());
  CHECK(parse_task("needle.single.spread")->headline() > 0);
  CHECK(parse_task("needle.multi-key.low-freq")->headline() == 0);

  const TaskPtr hop = parse_task("multihop.spread.beta32.t4.hops1-2");
  CHECK(&hop->entry() == multihop);
  CHECK(hop->label() == "spread");
  CHECK(hop->headline() == 0);
  CHECK(hop->cell_token(2) == ".cell-h2");
  CHECK_THROWS_WITH(parse_task("multihop.single"), Catch::Contains("single") && Catch::Contains("hops<h1>"));

  // Suite options: lists form a grid where the task says so, and errors name the key.
  const auto grid = needle->expand({{"content", {std::string("spread"), std::string("low-freq")}}, {"trials", {int64_t{4}}}});
  REQUIRE(grid.size() == 2);
  CHECK(grid[1]->canonical() == "needle.single.low-freq.beta32.t4.ds10");
  CHECK(multihop->expand({{"hops", {int64_t{1}, int64_t{3}}}}).at(0)->canonical() == "multihop.spread.beta32.t8.hops1-3");
  try {
    needle->expand({{"beta", {std::string("high")}}});
    FAIL("accepted");
  } catch (const OptionError& e) {
    CHECK(e.key == "beta");
    CHECK(std::string(e.what()) == "'beta' expects a number in (0, 1000]");
  }
}

TEST_CASE("random frames are orthonormal and stay in their subspace") {
  Rng rng(7);
  const std::vector<int64_t> support = {1, 5, 6, 9};
  const auto frame = random_frame(rng, 12, support, 4);
  for (size_t a = 0; a < frame.size(); ++a) {
    for (size_t b = 0; b < frame.size(); ++b) CHECK(dot(frame[a], frame[b]) == Approx(a == b ? 1.0 : 0.0).margin(1e-12));
    for (int64_t d = 0; d < 12; ++d)
      if (std::find(support.begin(), support.end(), d) == support.end()) CHECK(frame[a][size_t(d)] == 0.0);
  }
}

TEST_CASE("low-freq content lives in the last rotary pairs and the unrotated dimensions") {
  QkvLayout l = small_layout(64);
  l.dk = 64;
  l.rotary_dims = 64;  // 32 pairs: the last 2 pairs are (30, 62) and (31, 63)
  CHECK(content_support(l, Content::low_freq) == std::vector<int64_t>{30, 31, 62, 63});
  l.rotary_dims = 32;  // partial rotary: pairs (15, 31), plus 32..63 unrotated
  const auto partial = content_support(l, Content::low_freq);
  CHECK(partial.size() == 2 + 32);
  CHECK(content_support(l, Content::spread).size() == 64);
}

TEST_CASE("full attention finds every needle of every form") {
  const QkvLayout l = small_layout(512);
  for (const char* form : {"single", "multi-key", "multi-value", "multi-query"}) {
    const NeedleSpec spec = parse_needle(std::string("needle.") + form + ".t4.k3");
    int runs = 0;
    const TaskOutcome o = run_needle(spec, l, 11, exact_attention(l, 1 << 30, &runs));
    REQUIRE(o.cells.size() == 11);
    for (const Cell& c : o.cells) {
      INFO(form << " depth " << c.coordinate);
      CHECK(c.trials == 4);
      CHECK(c.successes == 4);
    }
    CHECK(runs == o.prefills);
  }
}

TEST_CASE("a sliding window finds exactly the needles inside it") {
  const QkvLayout l = small_layout(1024);
  const TaskOutcome o = run_needle(parse_needle("needle.single.t8"), l, 3, exact_attention(l, 256));
  for (const Cell& c : o.cells) {
    INFO("depth " << c.coordinate);
    if (c.coordinate >= 80) CHECK(c.accuracy() == 1.0);   // within the last 256 of 1024 tokens
    if (c.coordinate <= 60) CHECK(c.accuracy() <= 0.25);  // outside: near chance (1/16)
  }
}

TEST_CASE("an output that carries nothing scores about chance") {
  const QkvLayout l = small_layout(256);
  const RunVariant blank = [&](const QkvInputs&) { return std::vector<float>(size_t(l.tokens * l.heads * l.dv), 0.0f); };
  const TaskOutcome o = run_needle(parse_needle("needle.single.t16"), l, 5, blank);
  int64_t found = 0, trials = 0;
  for (const Cell& c : o.cells) found += c.successes, trials += c.trials;
  CHECK(double(found) / double(trials) < 0.2);
  CHECK(o.cells[0].chance == Approx(1.0 / 16));
}

TEST_CASE("multihop follows every chain under full attention and loses them through a window") {
  QkvLayout l = small_layout(1024, 2, 1);  // GQA: two query heads per K/V head
  l.dk = 64;
  l.dv = 64;
  const MultihopSpec spec = parse_multihop("multihop.t6.hops1-2-4-8");
  int runs = 0;
  const TaskOutcome full = run_multihop(spec, l, 9, exact_attention(l, 1 << 30, &runs));
  REQUIRE(full.cells.size() == 4);
  for (const Cell& c : full.cells) {
    INFO(c.coordinate << " hops");
    CHECK(c.trials == 6);
    CHECK(c.successes == 6);
  }
  CHECK(runs == 8);  // one prefill per hop
  const TaskOutcome windowed = run_multihop(spec, l, 9, exact_attention(l, 128));
  CHECK(windowed.cells.back().accuracy() < 0.5);  // 8 links all within 128 of 1024 tokens: rare
}

TEST_CASE("a layout that cannot keep the keys apart is refused with the reason") {
  QkvLayout l = small_layout(512);
  l.dk = 64;
  l.rotary_dims = 64;  // low-freq: 4 dimensions
  l.heads = 8;
  l.kv_heads = 1;      // 8 heads share one haystack: 4 keys cannot serve them
  CHECK_THROWS_WITH(run_needle(parse_needle("needle.single.low-freq"), l, 1, exact_attention(l, 1 << 30)),
                    Catch::Contains("orthogonal key directions"));
  l.heads = l.kv_heads = 1;
  l.dv = 64;
  CHECK_THROWS_WITH(run_multihop(parse_multihop("multihop.low-freq"), l, 1, exact_attention(l, 1 << 30)),
                    Catch::Contains("orthogonal key per codebook value"));
}

TEST_CASE("recall: its entry draws a heatmap over pairs, and its suite options form a grid") {
  const TaskEntry* recall = find_task("recall");
  REQUIRE(recall);
  CHECK(recall->axis == "pairs");
  CHECK(recall->contract == "mixer.qkv/1");
  CHECK(recall->plot == PlotKind::heatmap);
  CHECK(recall->coordinate_label(64) == "64 pairs");
  const auto grid = recall->expand({{"filler", {std::string("noise"), std::string("blank")}},
                                    {"pairs", {int64_t{4}, int64_t{256}}}});
  REQUIRE(grid.size() == 2);
  CHECK(grid[1]->canonical() == "recall.spread.blank.beta32.t32.n4-256");
  CHECK(grid[1]->label() == "spread.blank");
  CHECK(grid[1]->cell_token(256) == ".cell-n256");
  CHECK(grid[1]->headline() == 0);
  try {
    recall->expand({{"filler", {std::string("zeros")}}});
    FAIL("accepted");
  } catch (const OptionError& e) {
    CHECK(e.key == "filler");
  }
}

TEST_CASE("recall: full attention recalls every pair at every N, up to a context made only of pairs") {
  const QkvLayout l = small_layout(512);
  int runs = 0;
  const TaskOutcome o = run_recall(parse_recall("recall.t32.n4-16-64-256"), l, 21, exact_attention(l, 1 << 30, &runs));
  REQUIRE(o.cells.size() == 4);
  for (const Cell& c : o.cells) {
    INFO(c.coordinate << " pairs");
    CHECK(c.trials >= 32);
    CHECK(c.trials % int64_t(c.coordinate * 2) == 0);  // whole prefills: every head asks all N
    CHECK(c.successes == c.trials);
    CHECK(c.chance == Approx(1.0 / 16));
  }
  CHECK(o.cells[0].trials == 32);  // 4 pairs x 2 heads per prefill: 4 prefills
  CHECK(runs == o.prefills);
  CHECK(runs == 4 + 1 + 1 + 1);
}

TEST_CASE("recall: a window narrower than the pairs' span loses most of them") {
  const QkvLayout l = small_layout(1024);
  const TaskOutcome o = run_recall(parse_recall("recall.t32.n4-16-64"), l, 4, exact_attention(l, 64));
  REQUIRE(o.cells.size() == 3);
  for (const Cell& c : o.cells) {
    INFO(c.coordinate << " pairs: " << c.accuracy());
    CHECK(c.accuracy() < 0.3);  // pairs spread over ~1000 tokens, the window sees the last 64
  }
}

TEST_CASE("recall: a d x d linear state falls as N outgrows it, where softmax attention does not") {
  QkvLayout l = small_layout(2048, 1, 1);
  l.dk = 16;
  l.dv = 16;
  const RecallSpec spec = parse_recall("recall.blank.beta64.t64.n4-16-64-256-1024");
  const TaskOutcome linear = run_recall(spec, l, 8, linear_attention(l));
  const TaskOutcome softmax = run_recall(spec, l, 8, exact_attention(l, 1 << 30));
  REQUIRE(linear.cells.size() == 5);
  for (size_t i = 0; i < linear.cells.size(); ++i) {
    INFO(linear.cells[i].coordinate << " pairs: linear " << linear.cells[i].accuracy() << ", softmax "
                                    << softmax.cells[i].accuracy());
    CHECK(softmax.cells[i].accuracy() == 1.0);
    if (i > 0) CHECK(linear.cells[i].accuracy() < linear.cells[i - 1].accuracy() + 0.05);
  }
  CHECK(linear.cells.front().accuracy() >= 0.9);  // 4 pairs in 16 dimensions: little crosstalk
  CHECK(linear.cells.back().accuracy() <= 0.4);   // 1024 pairs in 16 x 16 numbers
}

TEST_CASE("recall: the same seed gives the same inputs; pair counts that do not fit are left out") {
  const QkvLayout l = small_layout(64);
  std::vector<std::vector<float>> first, second;
  const auto recording = [&](std::vector<std::vector<float>>& seen) {
    return RunVariant([&seen, l](const QkvInputs& in) {
      seen.push_back(in.k);
      seen.back().insert(seen.back().end(), in.q.begin(), in.q.end());
      return std::vector<float>(size_t(l.tokens * l.heads * l.dv), 0.0f);
    });
  };
  const RecallSpec spec = parse_recall("recall.t8.n4-32-33");
  const TaskOutcome o = run_recall(spec, l, 77, recording(first));
  run_recall(spec, l, 77, recording(second));
  CHECK(first == second);
  std::vector<std::vector<float>> other;
  run_recall(spec, l, 78, recording(other));
  CHECK(first != other);
  REQUIRE(o.cells.size() == 2);  // 33 pairs and 33 queries need 66 tokens
  CHECK(o.cells.back().coordinate == 32);
  CHECK_THROWS_WITH(run_recall(parse_recall("recall.n40"), l, 1, recording(other)), Catch::Contains("too short"));
}
