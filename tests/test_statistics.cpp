// Statistics over samples (results/statistics.hpp) against values worked out by
// hand or by scipy, and their use: leaderboard intervals, ties and the 120-column
// table, compare's U test with Holm's correction, and regressions, from stored
// synthetic runs and end to end with a deliberately slowed mock (mock/paced).
#include "harness/errors.hpp"
#include "results/compare.hpp"
#include "results/format.hpp"
#include "results/leaderboard.hpp"
#include "results/pareto.hpp"
#include "results/statistics.hpp"
#include "results/store.hpp"
#include "results/table_view.hpp"
#include "harness/machine_calibration.hpp"
#include "harness/onednn_impl.hpp"
#include "harness/rounds.hpp"
#include "harness/sweep.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <random>

using namespace archbench::results;
using test_support::run_cli;
using test_support::run_cli_with;
using test_support::TempDir;

namespace {

// n samples around `center` with a few percent of seeded noise.
std::vector<double> noisy(double center, int n, uint64_t seed, double spread = 0.03) {
  std::mt19937_64 random(seed);
  std::normal_distribution<double> noise(0, spread);
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(center * (1 + noise(random)));
  return out;
}

ResultRecord timed(const std::string& variant, const std::string& design, const std::vector<double>& samples) {
  ResultRecord r;
  r.canonical = variant + ":" + design + ".t64.f32";
  r.variant = variant;
  r.kind = "mock";
  r.dtype = "f32";
  r.workload = "t64.f32";
  r.design = variant + ":" + design;
  r.shape = design + ".t64.f32";
  r.backend = "cpu";
  r.suite = "test";
  r.outcome = "passed";
  r.samples = samples;
  r.median_s = stats::median(samples);
  r.tokens = 64;
  r.tokens_per_s = 64 / *r.median_s;
  r.repetitions = int64_t(samples.size());
  return r;
}

std::string cell(const QueryResult& q, size_t row, const std::string& name) {
  auto it = std::find(q.columns.begin(), q.columns.end(), name);
  REQUIRE(it != q.columns.end());
  return display_cell(q.rows.at(row).at(size_t(it - q.columns.begin())));
}

}  // namespace

TEST_CASE("median interval from order statistics", "[stats]") {
  // n = 9: P(B <= 1) = 10/512, so [x(2), x(8)] covers 1 - 20/512 = 96.1%; [x(3), x(7)] only 82%.
  const auto nine = stats::median_interval({9, 1, 8, 2, 7, 3, 6, 4, 5});
  REQUIRE(nine);
  CHECK(nine->low == 2);
  CHECK(nine->high == 8);
  CHECK(nine->coverage == Approx(1 - 20.0 / 512));
  // n = 5 cannot reach 95%: the widest interval, with the coverage it has (1 - 2/32).
  const auto five = stats::median_interval({5, 4, 3, 2, 1});
  CHECK(five->low == 1);
  CHECK(five->high == 5);
  CHECK(five->coverage == Approx(0.9375));
  CHECK_FALSE(stats::median_interval({}));
  CHECK(stats::median({3, 1, 2, 10}) == 2.5);
}

TEST_CASE("Mann-Whitney U: exact and normal approximation", "[stats]") {
  // scipy.stats.mannwhitneyu([1..5], [6..10]): U = 0, exact two-sided p = 2/252.
  auto t = stats::mann_whitney({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  REQUIRE(t);
  CHECK(t->exact);
  CHECK(t->u == 0);
  CHECK(t->p_value == Approx(2.0 / 252));
  // Interleaved samples: no evidence.
  t = stats::mann_whitney({1, 3, 5, 7, 9}, {2, 4, 6, 8, 10});
  CHECK(t->p_value > 0.5);
  // Three a side can never reach 0.05 (p >= 2/20): why compare asks for 9.
  CHECK(stats::mann_whitney({1, 2, 3}, {4, 5, 6})->p_value == Approx(0.1));
  // Ties: normal approximation with tie and continuity corrections.
  // By hand (scipy's asymptotic method): U = 1.5, mean 18, tie term 78, variance
  // 3 (13 - 78/132) = 37.23, z = (16.5 - 0.5) / 6.101 = 2.622, p = erfc(z / sqrt 2) = 0.008733.
  t = stats::mann_whitney({1, 2, 2, 3, 3, 3}, {3, 4, 4, 5, 5, 6});
  CHECK_FALSE(t->exact);
  CHECK(t->u == 1.5);
  CHECK(t->p_value == Approx(0.008733).epsilon(0.001));
  CHECK_FALSE(stats::mann_whitney({}, {1}));
}

TEST_CASE("Holm's adjustment", "[stats]") {
  CHECK(stats::holm_adjust({0.01, 0.04, 0.03}) == std::vector<double>{0.03, 0.06, 0.06});
  CHECK(stats::holm_adjust({0.5, 0.9}) == std::vector<double>{1.0, 1.0});
  CHECK(stats::holm_adjust({}).empty());
}

TEST_CASE("geometric-mean speedup and its bootstrap interval", "[stats]") {
  std::vector<std::pair<std::vector<double>, std::vector<double>>> same, slower;
  for (int p = 0; p < 6; ++p) {
    same.emplace_back(noisy(1e-3 * (p + 1), 9, 10 + p), noisy(1e-3 * (p + 1), 9, 100 + p));
    slower.emplace_back(noisy(1e-3 * (p + 1), 9, 10 + p), noisy(2e-3 * (p + 1), 9, 100 + p));
  }
  const auto s = stats::geomean_speedup(same);
  REQUIRE(s);
  CHECK(s->interval.low < 1);
  CHECK(s->interval.high > 1);
  CHECK(s->geomean == Approx(1).epsilon(0.05));
  const auto w = stats::geomean_speedup(slower);
  CHECK(w->geomean == Approx(0.5).epsilon(0.05));
  CHECK(w->interval.high < 1);
  // Seeded: the same data gives the same interval.
  CHECK(stats::geomean_speedup(same)->interval.low == s->interval.low);
}

TEST_CASE("the geo-mean interval resamples rounds: disagreeing processes widen it", "[stats]") {
  // Same code twice, three processes a side, nine samples each; each process has
  // its own offset (+-10%, as seen between processes on the dev VM) and 1% noise
  // within. By the luck of the draw B's processes came out faster.
  auto process = [](double offset, uint64_t seed) { return noisy(1e-3 * offset, 9, seed, 0.01); };
  std::vector<std::pair<stats::RoundSamples, stats::RoundSamples>> rounds;
  std::vector<std::pair<std::vector<double>, std::vector<double>>> flat;
  for (int p = 0; p < 4; ++p) {
    stats::RoundSamples a = {process(1.00, 10 + p), process(1.12, 20 + p), process(0.95, 30 + p)};
    stats::RoundSamples b = {process(0.93, 40 + p), process(1.02, 50 + p), process(0.97, 60 + p)};
    std::vector<double> pa, pb;
    for (const auto& r : a) pa.insert(pa.end(), r.begin(), r.end());
    for (const auto& r : b) pb.insert(pb.end(), r.begin(), r.end());
    rounds.emplace_back(a, b);
    flat.emplace_back(pa, pb);
  }
  const auto pooled = stats::geomean_speedup(flat), clustered = stats::geomean_speedup(rounds);
  REQUIRE(pooled);
  REQUIRE(clustered);
  CHECK(clustered->geomean == pooled->geomean);  // the same point estimate
  // Pooled samples taken as independent: a confident, wrong "B is faster".
  CHECK(pooled->interval.low > 1);
  // Rounds resampled: the interval is wider and admits no change.
  CHECK(clustered->interval.high - clustered->interval.low > 2 * (pooled->interval.high - pooled->interval.low));
  CHECK(clustered->interval.low < 1);
  CHECK(clustered->interval.high > 1);
  // One round a side is the flat bootstrap.
  std::vector<std::pair<stats::RoundSamples, stats::RoundSamples>> one;
  for (const auto& [a, b] : flat) one.emplace_back(stats::RoundSamples{a}, stats::RoundSamples{b});
  CHECK(stats::geomean_speedup(one)->interval.low == pooled->interval.low);
}

TEST_CASE("Welch's t test", "[stats]") {
  // Worked out independently (numerical integration of Student's t density).
  const auto t = stats::welch_t({1, 2, 3, 4}, {2, 4, 6, 8, 10});
  REQUIRE(t);
  CHECK(t->t == Approx(-2.25144).epsilon(1e-5));
  CHECK(t->df == Approx(5.52079).epsilon(1e-5));
  CHECK(t->p_value == Approx(0.069134).epsilon(1e-4));
  CHECK_FALSE(stats::welch_t({1}, {1, 2}));
  CHECK(stats::welch_t({1, 1, 1}, {1, 1, 1})->p_value == 1);
  CHECK(stats::welch_t({1, 1, 1}, {2, 2, 2})->p_value == 0);
  // Symmetric.
  CHECK(stats::welch_t({2, 4, 6, 8, 10}, {1, 2, 3, 4})->p_value == Approx(t->p_value));
}

TEST_CASE("step detection over rounds: process offsets are no step, a slowdown is", "[stats]") {
  // Each run: three processes with their own +-8% offsets and 1% noise within.
  auto run = [](double center, uint64_t seed) {
    const double offsets[3][3] = {{1.0, 1.08, 0.94}, {0.95, 1.02, 1.09}, {1.06, 0.93, 1.0}};
    stats::RoundSamples rounds;
    for (int r = 0; r < 3; ++r) rounds.push_back(noisy(center * offsets[seed % 3][r], 9, seed * 10 + uint64_t(r), 0.01));
    return rounds;
  };
  std::vector<stats::RoundSamples> series;
  for (uint64_t r = 0; r < 4; ++r) series.push_back(run(1e-3, r));
  CHECK(stats::detect_steps(series, 0.01).empty());
  for (uint64_t r = 4; r < 6; ++r) series.push_back(run(1.5e-3, r));
  const auto steps = stats::detect_steps(series, 0.01);
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].index == 4);
  CHECK(steps[0].after / steps[0].before == Approx(1.5).epsilon(0.1));
}

TEST_CASE("step detection finds the run where a slowdown starts", "[stats]") {
  std::vector<std::vector<double>> series;
  for (int run = 0; run < 4; ++run) series.push_back(noisy(1e-3, 9, 40 + run));
  for (int run = 0; run < 3; ++run) series.push_back(noisy(1.5e-3, 9, 80 + run));
  const auto steps = stats::detect_steps(series);
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].index == 4);
  CHECK(steps[0].after / steps[0].before == Approx(1.5).epsilon(0.05));
  series.resize(4);
  CHECK(stats::detect_steps(series).empty());
}

TEST_CASE("leaderboard: intervals, ties where they overlap, and a table that fits 120 columns", "[stats][results]") {
  TempDir tmp;
  const std::string db = tmp.file("ties.db");
  {
    auto s = Store::open_readwrite(db);
    const int64_t run = s.begin_run({});
    // a and b measure the same (overlapping intervals: tied); c is clearly slower.
    s.record(run, timed("mock/a", "long-design-string-with-many-tokens.x1.y2.z3.w4.v5.u6.q7.r8.s9", noisy(1e-3, 9, 1)));
    s.record(run, timed("mock/b", "long-design-string-with-many-tokens.x1.y2.z3.w4.v5.u6.q7.r8.s9", noisy(1.01e-3, 9, 2)));
    s.record(run, timed("mock/c", "long-design-string-with-many-tokens.x1.y2.z3.w4.v5.u6.q7.r8.s9", noisy(2e-3, 9, 3)));
    s.finish_run(run, "completed");
  }
  const auto store = Store::open_readonly(db);
  LeaderboardOptions options;
  options.headline_task = "needle";
  const QueryResult board = leaderboard(store, options);
  REQUIRE(board.rows.size() == 3);
  CHECK(cell(board, 0, "rank") == "1");
  CHECK(cell(board, 1, "rank") == "1");  // tied with the first
  CHECK(cell(board, 0, "tied") == "1");
  CHECK(cell(board, 1, "tied") == "1");
  CHECK(cell(board, 2, "rank") == "3");
  CHECK(cell(board, 2, "tied") == "0");
  CHECK(std::stod(cell(board, 2, "ci95_low_ms")) < 2.0);
  CHECK(std::stod(cell(board, 2, "ci95_high_ms")) > 2.0);

  const TableView view = fit_leaderboard(board);
  CHECK(table_width(view.table) <= 120);
  CHECK(table_width(board) > 120);  // the whole board would not have fitted
  const std::string text = format(view.table, Format::table);
  CHECK_THAT(text, Catch::Contains("1="));
  CHECK_THAT(text, Catch::Contains("ci95_ms"));
  CHECK_FALSE(view.note().empty());
  // --columns picks and orders; an unknown name is one clear error.
  CHECK(select_columns(board, "design,rank").columns == std::vector<std::string>{"design", "rank"});
  CHECK_THROWS_WITH(select_columns(board, "design,nope"), Catch::StartsWith("--columns: 'nope' is not one of kind"));
}

TEST_CASE("compare: same code is not significant; a slowed variant is, after Holm's correction", "[stats][results]") {
  TempDir tmp;
  const std::string db = tmp.file("cmp.db");
  int64_t first = 0, second = 0, slowed = 0;
  {
    auto s = Store::open_readwrite(db);
    auto run = [&](double factor, uint64_t seed) {
      const int64_t id = s.begin_run({});
      for (int p = 0; p < 5; ++p)
        s.record(id, timed("mock/v" + std::to_string(p), "d", noisy(1e-3 * (p + 1) * (p == 0 ? factor : 1), 9, seed + p)));
      s.finish_run(id, "completed");
      return id;
    };
    first = run(1, 10);
    second = run(1, 20);
    slowed = run(3, 30);
  }
  const auto store = Store::open_readonly(db);
  const Comparison same = compare_runs(store, first, second);
  CHECK(same.tested == 5);
  CHECK(same.slower + same.faster == 0);
  REQUIRE(same.geomean);
  CHECK(same.geomean->interval.low < 1);
  CHECK(same.geomean->interval.high > 1);
  CHECK_THAT(same.summary()[2], Catch::StartsWith("overall: not significant"));
  CHECK_THAT(same.summary()[0], Catch::Contains("Holm"));

  const Comparison worse = compare_runs(store, first, slowed);
  CHECK(worse.slower == 1);
  CHECK(cell(worse.rows, 0, "verdict") == "slower");
  CHECK(std::stod(cell(worse.rows, 0, "speedup")) == Approx(1.0 / 3).epsilon(0.1));
  CHECK_THAT(worse.summary()[2], Catch::StartsWith("overall: significant: B is slower on 1"));

  // A 2% shift with tight samples: significant to the test, but below --min-change.
  std::string drift_db = tmp.file("drift.db");
  {
    auto s = Store::open_readwrite(drift_db);
    for (const double factor : {1.0, 1.02}) {
      const int64_t id = s.begin_run({});
      s.record(id, timed("mock/v", "d", noisy(1e-3 * factor, 9, factor == 1.0 ? 5 : 6, 0.002)));
      s.finish_run(id, "completed");
    }
  }
  const Comparison drift = compare_runs(Store::open_readonly(drift_db), 1, 2);
  CHECK(cell(drift.rows, 0, "verdict") == "within 5%");
  CHECK(drift.within == 1);
  CHECK_THAT(drift.summary()[2], Catch::StartsWith("overall: not significant") && Catch::Contains("drift"));
  CHECK(compare_runs(Store::open_readonly(drift_db), 1, 2, 0.05, 0.01).slower == 1);
}

namespace {

const std::string paced_dir = std::string(ARCHBENCH_MOCK_DIR) + "/paced";

std::string scalar(const std::string& db, const std::string& sql) {
  const auto store = Store::open_readonly(db);
  const auto result = store.query(sql);
  REQUIRE(result.rows.size() == 1);
  return display_cell(result.rows[0][0]);
}

}  // namespace

TEST_CASE("a deliberately slowed variant is a significant regression for compare and regressions", "[stats][cli]") {
  TempDir tmp;
  const std::string db = tmp.file("paced.db");
  // Three runs of one problem, 9 repetitions each; the third sleeps 900 us more per execute.
  const std::string run = "run --quick --repetitions 9 --backend cpu --plugin-dir " + paced_dir +
                          " --problem 'mock/paced:n64.us300' --db " + db;
  for (const char* slowdown : {"", "", "ARCHBENCH_MOCK_SLOWDOWN_US=900 "}) {
    const auto r = run_cli_with(slowdown, run);
    REQUIRE(r.exit_code == 0);
  }
  CHECK(scalar(db, "SELECT count(*) FROM samples s JOIN results r ON r.id = s.result_id WHERE r.run_id = 3") == "9");
  CHECK(scalar(db, "SELECT quick FROM runs WHERE id = 3") == "1");

  const auto worse = run_cli("compare 1 3 --db " + db);
  CHECK(worse.exit_code == 0);
  CHECK_THAT(worse.output, Catch::Contains("slower"));
  CHECK_THAT(worse.output, Catch::Contains("Holm-corrected"));
  CHECK_THAT(worse.output, Catch::Contains("overall: significant: B is slower on 1 and faster on 0 of 1"));
  const auto json = run_cli("compare 1 3 --format json --db " + db);
  CHECK_THAT(json.output, Catch::Contains("\"correction\": \"holm\""));
  CHECK_THAT(json.output, Catch::Contains("\"slower\": 1"));

  // Regressions: quick runs are left out unless asked for; then run 3 is the step.
  const auto none = run_cli("regressions --db " + db);
  CHECK_THAT(none.output, Catch::Contains("no regression"));
  // A 4x step; the 50% threshold keeps run-to-run drift of the first two out of it.
  const auto found = run_cli("regressions --include-quick --min-change 0.5 --format csv --db " + db);
  CHECK(found.exit_code == 0);
  CHECK_THAT(found.output, Catch::Contains("mock/paced:n64.us300.f32,cpu,"));
  const auto lines = std::count(found.output.begin(), found.output.end(), '\n');
  CHECK(lines == 2);  // the header and one regression
  CHECK_THAT(found.output, Catch::Matches("(?:.|\n)*mock/paced:n64\\.us300\\.f32,cpu,[^,]*,3,(?:.|\n)*"));

  const auto history = run_cli("history 'mock/paced:*' --format csv --db " + db);
  CHECK(history.exit_code == 0);
  CHECK(std::count(history.output.begin(), history.output.end(), '\n') == 4);
  CHECK(run_cli("regressions --alpha 2 --db " + db).exit_code == 2);
  CHECK(run_cli("run --repetitions 0 --problem 'mock/paced' --plugin-dir " + paced_dir + " --db " + db).exit_code == 2);
}

TEST_CASE("pooling rounds: samples tagged, figures recomputed, the first failing round named", "[stats]") {
  ResultRecord one = timed("mock/x", "d1", {1e-3, 1.1e-3, 1.2e-3}), two = timed("mock/x", "d1", {2e-3, 2.1e-3, 2.2e-3});
  one.flops = two.flops = 1e6;
  one.nmse = 1e-9;
  two.nmse = 1e-7;
  archbench::Peaks peaks;
  peaks.compute_gflops = 10.0;
  const ResultRecord pooled = archbench::pool_rounds({one, two}, peaks);
  CHECK(pooled.outcome == "passed");
  CHECK(pooled.samples.size() == 6);
  CHECK(pooled.sample_rounds == std::vector<int64_t>{0, 0, 0, 1, 1, 1});
  CHECK(*pooled.median_s == Approx((1.2e-3 + 2e-3) / 2));
  CHECK(*pooled.min_s == 1e-3);
  CHECK(pooled.repetitions == 6);
  CHECK(*pooled.gflops == Approx(1e6 / *pooled.median_s / 1e9));
  CHECK(*pooled.frac_peak_compute == Approx(*pooled.gflops / 10));
  CHECK(*pooled.nmse == 1e-7);  // the worst round speaks
  CHECK(*pooled.cv > 0.3);      // the spread between rounds is in it
  two.outcome = "failed";
  two.reason = "after timing: mismatch";
  const ResultRecord failed = archbench::pool_rounds({one, two}, peaks);
  CHECK(failed.outcome == "failed");
  CHECK(failed.reason == "round 2: after timing: mismatch");
  CHECK(archbench::pool_rounds({one}, peaks).samples == one.samples);
  archbench::Measurement m;
  m.repetitions = 7;
  m.rounds = 3;
  CHECK(archbench::round_measurement(m).repetitions == 3);
  CHECK(archbench::rounds_of(m) == 3);
  m.perf = false;
  CHECK(archbench::rounds_of(m) == 1);  // an untimed check runs once
}

TEST_CASE("rounds: a problem's repetitions run in separate processes and pool into one result", "[stats][cli]") {
  TempDir tmp;
  const std::string db = tmp.file("rounds.db");
  const std::string common = " --backend cpu --plugin-dir " + paced_dir + " --db " + db;
  // Two problems, so the rounds interleave: round 1 of both, then round 2, ...
  const auto r = run_cli("run --repetitions 7 --rounds 3 --problem 'mock/paced:n64.us300' --problem 'mock/paced:n32.us300'" + common);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("(round 3/3)"));
  CHECK(scalar(db, "SELECT count(*) FROM results") == "2");
  // ceil(7 / 3) = 3 repetitions a round, each sample tagged with its round.
  CHECK(scalar(db, "SELECT group_concat(n) FROM (SELECT count(*) AS n FROM samples GROUP BY result_id, round ORDER BY result_id, round)") ==
        "3,3,3,3,3,3");
  CHECK(scalar(db, "SELECT group_concat(repetitions) FROM results ORDER BY id") == "9,9");
  // The stored median is the pooled samples' median.
  CHECK(scalar(db, "SELECT count(*) FROM results r WHERE abs(r.median_s - (SELECT seconds FROM samples s WHERE s.result_id = r.id"
                   " ORDER BY seconds LIMIT 1 OFFSET 4)) < 1e-12") == "2");
  // --quick is one process; --rounds overrides it.
  REQUIRE(run_cli("run --quick --problem 'mock/paced:n64.us300'" + common).exit_code == 0);
  CHECK(scalar(db, "SELECT max(round) FROM samples s JOIN results r ON r.id = s.result_id WHERE r.run_id = 2") == "0");
  REQUIRE(run_cli("run --quick --rounds 2 --problem 'mock/paced:n64.us300'" + common).exit_code == 0);
  CHECK(scalar(db, "SELECT max(round) FROM samples s JOIN results r ON r.id = s.result_id WHERE r.run_id = 3") == "1");
  // Rounds on both sides: compare tests the rounds' medians, and finds a 4x slowdown.
  const auto slowed = run_cli_with("ARCHBENCH_MOCK_SLOWDOWN_US=900 ",
                                   "run --repetitions 6 --problem 'mock/paced:n64.us300' --problem 'mock/paced:n32.us300'" + common);
  REQUIRE(slowed.exit_code == 0);
  const auto compared = run_cli("compare 1 4 --format csv --db " + db);
  CHECK(compared.exit_code == 0);
  CHECK(std::count(compared.output.begin(), compared.output.end(), '\n') >= 3);
  CHECK_THAT(compared.output, Catch::Contains(",slower,"));
  CHECK_THAT(compared.output, Catch::Contains(",3,3,t on rounds"));
  CHECK_THAT(run_cli("compare 1 4 --db " + db).output, Catch::Contains("overall: significant: B is slower on 2 and faster on 0 of 2"));
  // regressions tests the rounds too (runs 2 and 3 are --quick, so left out): run 4 is the step.
  const auto steps = run_cli("regressions --format csv --db " + db);
  CHECK(std::count(steps.output.begin(), steps.output.end(), '\n') == 3);  // the header and both problems
  CHECK_THAT(steps.output, Catch::Matches("(?:.|\n)*mock/paced:n32\\.us300\\.f32,cpu,[^,]*,4,(?:.|\n)*"));
  // A one-round side falls back to the U test on pooled samples.
  CHECK_THAT(run_cli("compare 2 4 --format csv --db " + db).output, Catch::Contains("U on samples"));
  const auto bad = run_cli("run --rounds 0 --problem 'mock/paced'" + common);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("--rounds: expected a count in [1, 100], got 0"));
}

TEST_CASE("calibration is per machine: a new database uses it and the run keeps a copy", "[stats][cli]") {
  TempDir tmp;
  const std::string cache = tmp.file("cache");
  // As `archbench calibrate` leaves it (measuring takes too long for a test),
  // in a private folder; the suite's own folder is restored after.
  const std::string suite_cache = std::getenv("ARCHBENCH_CACHE_DIR");
  setenv("ARCHBENCH_CACHE_DIR", cache.c_str(), 1);
  const std::string file = archbench::save_machine_calibration({{"cpu/memory_bandwidth_gbps", 0.001}});
  const archbench::Calibrations read = archbench::load_machine_calibration();
  setenv("ARCHBENCH_CACHE_DIR", suite_cache.c_str(), 1);
  CHECK(file.rfind(cache + "/calibration-", 0) == 0);
  CHECK(read.at("cpu/memory_bandwidth_gbps") == 0.001);

  // A database that was never calibrated: the run uses the machine's peak, says
  // the bandwidth is above it (1 MB/s: any copy beats it), and keeps the copy.
  const std::string db = tmp.file("fresh.db");
  const auto r = run_cli_with("ARCHBENCH_CACHE_DIR=" + cache + " ",
                              "run --quick --backend cpu --plugin-dir " + paced_dir + " --problem 'mock/paced:n4096.us1' --db " + db);
  REQUIRE(r.exit_code == 0);
  CHECK(scalar(db, "SELECT calibration_json FROM runs") == "{\"cpu/memory_bandwidth_gbps\":0.001}");
  CHECK(std::stod(scalar(db, "SELECT frac_peak_bandwidth FROM results")) > 1);
  CHECK(scalar(db, "SELECT count(*) FROM calibrations") == "0");
}

TEST_CASE("Pareto front and composite score within a group", "[stats][results]") {
  const std::vector<Axis> axes = parse_axes("speed,memory", "--axes");
  REQUIRE(axes.size() == 2);
  CHECK(axes[0].column == "tokens_per_s");
  CHECK_FALSE(axes[1].maximize);
  // (speed, bytes per token): c is beaten by a on both; b trades speed for memory.
  CHECK(pareto_front({{100, 8}, {50, 2}, {90, 9}, {100, 8}}, axes) == std::vector<bool>{true, true, false, true});
  CHECK(pareto_front({{100, std::nan("")}, {100, 4}}, axes) == std::vector<bool>{false, true});
  CHECK_THROWS_WITH(parse_axes("speed,colour", "--axes"), Catch::StartsWith("--axes: 'colour' is not one of"));
  CHECK_THROWS_AS(parse_axes("speed", "--axes"), archbench::InputError);

  QueryResult board;
  board.columns = {"kind", "backend", "shape", "rank", "tied", "design", "tokens_per_s", "kv_cache_bytes_per_token", "nmse"};
  board.rows = {{std::string("attention"), std::string("cpu"), std::string("s1"), int64_t(1), int64_t(0), std::string("fast"), 100.0, 8.0, 1e-12},
                {std::string("attention"), std::string("cpu"), std::string("s1"), int64_t(2), int64_t(0), std::string("small"), 50.0, 2.0, 1e-12},
                {std::string("attention"), std::string("cpu"), std::string("s1"), int64_t(3), int64_t(0), std::string("worse"), 40.0, 9.0, 1e-6}};
  const QueryResult front = pareto_rows(board, parse_axes("speed,memory,fidelity", "--axes"));
  REQUIRE(front.rows.size() == 2);
  CHECK(cell(front, 1, "design") == "small");
  // speed only: the order stands; memory only: "small" first (8/2 -> 0.25 for "fast").
  QueryResult by_memory = composite_board(board, parse_weights("memory=1"));
  CHECK(cell(by_memory, 0, "design") == "small");
  CHECK(cell(by_memory, 0, "composite") == "1");
  CHECK(cell(by_memory, 1, "design") == "fast");
  CHECK(cell(by_memory, 1, "rank") == "2");
  const QueryResult equal = composite_board(board, parse_weights("speed=1,memory=1"));
  CHECK(cell(equal, 0, "design") == "small");  // (0.5 + 1) / 2 = 0.75 beats "fast"'s (1 + 0.25) / 2
  CHECK(std::stod(cell(equal, 1, "composite")) == Approx(0.625));
  CHECK_THROWS_WITH(parse_weights("speed=-1"), Catch::StartsWith("--weights: 'speed=-1'"));
  CHECK_THROWS_AS(parse_weights("colour=1"), archbench::InputError);
}

TEST_CASE("comma lists on the command line expand to sweeps", "[sweep]") {
  using archbench::expand_problem_sweeps;
  CHECK(expand_problem_sweeps({"norm/rmsnorm:t128,256.dm1024"}) ==
        std::vector<std::string>{"norm/rmsnorm:t128.dm1024", "norm/rmsnorm:t256.dm1024"});
  CHECK(expand_problem_sweeps({"attention/gqa:qkn-none,head.b1,2"}) ==
        std::vector<std::string>{"attention/gqa:qkn-none.b1", "attention/gqa:qkn-none.b2", "attention/gqa:qkn-head.b1",
                                 "attention/gqa:qkn-head.b2"});
  CHECK(expand_problem_sweeps({"attention/gqa:rope,nope", "norm/rmsnorm:eps1e-05,1e-06"}) ==
        std::vector<std::string>{"attention/gqa:rope", "attention/gqa:nope", "norm/rmsnorm:eps1e-05", "norm/rmsnorm:eps1e-06"});
  CHECK(expand_problem_sweeps({"ffn/swiglu:t8", "ffn/swiglu:t8,8"}) == std::vector<std::string>{"ffn/swiglu:t8"});
  CHECK(expand_problem_sweeps({"attention/gqa:s1024,2048@needle.single"}) ==
        std::vector<std::string>{"attention/gqa:s1024@needle.single", "attention/gqa:s2048@needle.single"});
  CHECK_THROWS_WITH(expand_problem_sweeps({"ffn/swiglu:t8,,9"}), Catch::StartsWith("--problem 'ffn/swiglu:t8,,9': empty item"));
  CHECK(archbench::parse_count_list("1,2,4", "--threads") == std::vector<int>{1, 2, 4});
  CHECK_THROWS_WITH(archbench::parse_count_list("1,x", "--threads"), Catch::StartsWith("--threads: expected whole numbers"));

  // End to end: the dry run plans both problems; a bad thread list is exit 2.
  const auto planned = run_cli("run --dry-run --backend cpu --problem 'norm/rmsnorm:t128,256.dm1024.f32'");
  CHECK(planned.exit_code == 0);
  CHECK_THAT(planned.output, Catch::Contains("norm/rmsnorm:t128.dm1024.") && Catch::Contains("norm/rmsnorm:t256.dm1024."));
  CHECK_THAT(planned.output, Catch::Contains("dry run: 2 planned"));
  const auto bad = run_cli("run --dry-run --backend cpu --threads 1,0 --problem 'norm/rmsnorm:t128'");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("--threads: expected whole numbers in [1, 4096]"));
}

TEST_CASE("implementation provenance: oneDNN's verbose lines and reference fallbacks", "[stats][provenance]") {
  const std::string verbose =
      "onednn_verbose,info,oneDNN v2.6.3\n"
      "onednn_verbose,exec,cpu,matmul,brg:avx512_core,undef,src_f32::blocked:ab:f0,,,64x64:64x64,0.05\n"
      "onednn_verbose,exec,cpu,matmul,brg:avx512_core,undef,src_f32::blocked:ab:f0,,,64x64:64x64,0.04\n"
      "onednn_verbose,exec,cpu,softmax,ref:any,forward_inference,data_f32::blocked:ab:f0,,alg:softmax_accurate,0.3\n"
      "something else\n";
  const std::string impl = archbench::implementations_from_verbose(verbose);
  CHECK(impl == "matmul:brg:avx512_core,softmax:ref:any");
  CHECK(has_reference_fallback(impl));
  CHECK_FALSE(has_reference_fallback("matmul:brg:avx512_core,eltwise:jit:avx2"));
  CHECK_FALSE(has_reference_fallback(""));

  // A real run of an in-tree oneDNN plugin records what its primitives ran on.
  TempDir tmp;
  const std::string db = tmp.file("impl.db");
  REQUIRE(run_cli("run --quick --backend cpu --problem 'ffn/swiglu:t8.dm64.dff96.f32' --db " + db).exit_code == 0);
  CHECK_THAT(scalar(db, "SELECT impl FROM results"), Catch::StartsWith("matmul:"));
}
