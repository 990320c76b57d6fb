// Run-vs-run comparison with significance (see compare.hpp).
#include "results/compare.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "harness/errors.hpp"
#include "results/samples.hpp"

namespace archbench::results {
namespace {

std::string number(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

Cell real_or_null(double value) { return std::isnan(value) ? Cell{} : Cell{value}; }

}  // namespace

Comparison compare_runs(const Store& store, int64_t a, int64_t b, double alpha, double min_change) {
  for (const int64_t id : {a, b})
    if (store.query("SELECT 1 FROM runs WHERE id = ?1", {Cell{id}}).rows.empty())
      throw InputError("compare: run " + std::to_string(id) + " does not exist (see `archbench runs`)");
  // If a problem ran twice on a backend within one run, its last result counts.
  const std::string sql =
      "WITH one AS ("
      " SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.run_id, r.problem_id, r.backend"
      "                                ORDER BY r.id DESC) AS recency"
      " FROM results r WHERE r.run_id IN (?1, ?2) AND r.task = ''"
      "), ra AS (SELECT * FROM one WHERE run_id = ?1 AND recency = 1),"
      " rb AS (SELECT * FROM one WHERE run_id = ?2 AND recency = 1)"
      " SELECT p.canonical, ra.backend, ra.outcome, rb.outcome, ra.median_s, rb.median_s,"
      "  ra.cv, rb.cv, ra.nmse, rb.nmse, ra.id, rb.id"
      " FROM ra JOIN rb ON rb.problem_id = ra.problem_id AND rb.backend = ra.backend"
      " JOIN problems p ON p.id = ra.problem_id"
      " ORDER BY p.canonical, ra.backend";
  const QueryResult pairs = store.query(sql, {Cell{a}, Cell{b}});
  std::vector<int64_t> ids;
  for (const auto& row : pairs.rows) ids.insert(ids.end(), {cell_int(row[10]), cell_int(row[11])});
  const auto samples = load_round_samples(store, ids);
  auto rounds_of = [&](const Cell& id) {
    auto it = samples.find(cell_int(id));
    return it == samples.end() ? stats::RoundSamples{} : it->second;
  };

  Comparison out;
  out.alpha = alpha;
  out.min_change = min_change;
  out.rows.columns = {"problem", "backend", "outcome_a", "outcome_b", "median_ms_a", "median_ms_b", "cv_a", "cv_b",
                      "n_a",     "n_b",     "speedup",   "p_value",   "p_holm",      "verdict",     "nmse_a", "nmse_b",
                      "rounds_a", "rounds_b", "test"};
  std::vector<double> p_values;
  std::vector<size_t> tested_rows;
  std::vector<std::pair<stats::RoundSamples, stats::RoundSamples>> speedup_inputs;
  for (const auto& row : pairs.rows) {
    const bool both_passed = std::get_if<std::string>(&row[2]) && std::get<std::string>(row[2]) == "passed" &&
                             std::get_if<std::string>(&row[3]) && std::get<std::string>(row[3]) == "passed";
    const stats::RoundSamples rounds_a = rounds_of(row[10]), rounds_b = rounds_of(row[11]);
    const std::vector<double> sa = stats::pooled(rounds_a), sb = stats::pooled(rounds_b);
    const double ma = cell_real(row[4]), mb = cell_real(row[5]);
    std::vector<Cell> cells = {row[0], row[1], row[2], row[3], real_or_null(ma * 1000), real_or_null(mb * 1000),
                               row[6], row[7], Cell{int64_t(sa.size())}, Cell{int64_t(sb.size())},
                               Cell{}, Cell{}, Cell{}, Cell{std::string()}, row[8], row[9], Cell{}, Cell{},
                               Cell{std::string()}};
    const std::vector<double> logs_a = stats::log_medians(rounds_a), logs_b = stats::log_medians(rounds_b);
    cells[16] = int64_t(logs_a.size());
    cells[17] = int64_t(logs_b.size());
    if (both_passed && mb > 0) cells[10] = ma / mb;
    if (both_passed) {
      std::optional<double> p_value;
      if (std::min(logs_a.size(), logs_b.size()) >= size_t(stats::kMinRoundsForTTest)) {
        if (const auto test = stats::welch_t(logs_a, logs_b)) p_value = test->p_value;
        cells[18] = std::string("t on rounds");
      } else if (const auto test = stats::mann_whitney(sa, sb)) {
        p_value = test->p_value;
        cells[18] = std::string("U on samples");
      }
      if (p_value) {
        cells[11] = *p_value;
        p_values.push_back(*p_value);
        tested_rows.push_back(out.rows.rows.size());
      }
      if (!sa.empty() && !sb.empty()) speedup_inputs.emplace_back(rounds_a, rounds_b);
    }
    out.rows.rows.push_back(std::move(cells));
  }
  const std::vector<double> adjusted = stats::holm_adjust(p_values);
  for (size_t i = 0; i < tested_rows.size(); ++i) {
    auto& cells = out.rows.rows[tested_rows[i]];
    cells[12] = adjusted[i];
    // Too few to find anything: samples for the U test; the t test on three or more rounds can.
    const bool few = std::get<std::string>(cells[18]) == "U on samples" &&
                     std::min(cell_int(cells[8]), cell_int(cells[9])) < stats::kMinSamplesForUTest;
    std::string verdict;
    const double speedup = cell_real(cells[10]);
    const bool large = std::abs(speedup - 1) > min_change && std::abs(1 / speedup - 1) > min_change;
    if (adjusted[i] < alpha && large) verdict = speedup >= 1 ? "faster" : "slower";
    else if (adjusted[i] < alpha) verdict = "within " + number("%g", min_change * 100) + "%";
    else verdict = few ? "underpowered" : "not significant";
    cells[13] = verdict;
    ++out.tested;
    if (verdict == "faster") ++out.faster;
    else if (verdict == "slower") ++out.slower;
    else if (verdict == "underpowered") ++out.underpowered;
    else if (verdict.rfind("within", 0) == 0) ++out.within;
    else ++out.not_significant;
  }
  out.geomean = stats::geomean_speedup(speedup_inputs);
  for (const int64_t id : {a, b}) {
    const QueryResult run = store.query("SELECT load_average, busy_processes, threads, quick FROM runs WHERE id = ?1", {Cell{id}});
    if (run.rows.empty()) continue;
    const auto& r = run.rows[0];
    const double load = cell_real(r[0]);
    const int64_t busy = cell_int(r[1], 0), threads = cell_int(r[2], 0);
    if ((!std::isnan(load) && threads > 0 && load > 0.5 * double(threads)) || busy > 0)
      out.run_notes.push_back("warning: run " + std::to_string(id) + " started on a busy machine (load average " +
                              number("%.2f", std::isnan(load) ? 0 : load) + " on " + std::to_string(threads) +
                              " threads, " + std::to_string(busy) + " other runnable process(es)): its timings may carry that noise");
    if (cell_int(r[3], 0) == 1)
      out.run_notes.push_back("note: run " + std::to_string(id) + " is a --quick run (3 short repetitions unless --repetitions said more)");
  }
  return out;
}

std::vector<std::string> Comparison::summary() const {
  std::vector<std::string> lines;
  lines.push_back("test: per problem, Welch's t on the log medians of each run's rounds (separate processes) where "
                  "both have " + std::to_string(stats::kMinRoundsForTTest) +
                  " or more, else a two-sided Mann-Whitney U on the pooled samples; Holm-corrected across " +
                  std::to_string(tested) + " problem(s), alpha " + number("%g", alpha) +
                  ", and a change of the median above " + number("%g", min_change * 100) +
                  "%; speedup = median_a / median_b (> 1: B is faster)");
  if (geomean)
    lines.push_back("geometric-mean speedup of B over A: " + number("%.4g", geomean->geomean) + " [" +
                    number("%.4g", geomean->interval.low) + ", " + number("%.4g", geomean->interval.high) +
                    "] (95% two-level bootstrap interval over rounds and their samples, 2000 resamples, seed 1)");
  std::string overall;
  if (tested == 0) overall = "nothing to test: no problem passed in both runs with samples";
  else if (faster + slower == 0)
    overall = "not significant: no problem differs after correction" +
              (within ? " by more than " + number("%g", min_change * 100) + "% (" + std::to_string(within) +
                            " differ by less, significantly: drift between runs?)"
                      : std::string());
  else
    overall = "significant: B is slower on " + std::to_string(slower) + " and faster on " + std::to_string(faster) +
              " of " + std::to_string(tested) + " problem(s)";
  lines.push_back("overall: " + overall);
  lines.insert(lines.end(), run_notes.begin(), run_notes.end());
  if (underpowered > 0)
    lines.push_back("warning: " + std::to_string(underpowered) + " problem(s) have fewer than " +
                    std::to_string(stats::kMinSamplesForUTest) +
                    " samples on a side, too few for the test to find a difference (a --quick run keeps 3); "
                    "rerun with --repetitions 9 or more");
  return lines;
}

}  // namespace archbench::results
