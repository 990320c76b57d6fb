// A problem's page: what it is, how to replay it on each backend, the spread
// of its latest samples (table `samples`), its median across runs, and every
// stored result of it.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "results/svg_plot.hpp"
#include "web/pages.hpp"
#include "web/svg_scatter.hpp"

namespace archbench::web::pages {
namespace {

results::QueryResult problem_row(const Context& c, int64_t id) {
  results::QueryResult p = c.store.query(
      "SELECT canonical, variant, kind, dtype, workload, design FROM problems WHERE id = ?1", {results::Cell{id}});
  if (p.rows.empty()) throw PageError(404, "no problem " + std::to_string(id) + " in this database");
  return p;
}

// The samples of each backend's latest result that has any.
results::QueryResult latest_samples(const Context& c, int64_t id) {
  return c.store.query(
      "SELECT r.backend, r.run_id, s.repetition, s.seconds * 1000.0 FROM samples s JOIN results r ON r.id = s.result_id"
      " WHERE r.id IN (SELECT max(x.id) FROM results x WHERE x.problem_id = ?1 AND x.task = ''"
      "  AND EXISTS (SELECT 1 FROM samples y WHERE y.result_id = x.id) GROUP BY x.backend)"
      " ORDER BY r.backend, s.repetition",
      {results::Cell{id}});
}

results::QueryResult history(const Context& c, int64_t id) {
  return c.store.query(
      "SELECT run_id, backend, median_s * 1000.0 FROM results WHERE problem_id = ?1 AND task = ''"
      " AND outcome = 'passed' AND median_s IS NOT NULL ORDER BY run_id, backend, id",
      {results::Cell{id}});
}

}  // namespace

std::string problem(const Context& c, int64_t id) {
  const results::QueryResult p = problem_row(c, id);
  const std::string canonical = text_of(p.rows[0][0]);
  results::QueryResult all = c.store.query(
      "SELECT r.run_id AS run, ru.started_at AS started, substr(ru.git_sha, 1, 12) AS git_sha, r.backend, r.outcome,"
      " r.median_s * 1000.0 AS median_ms, r.cv, r.repetitions, r.tokens_per_s, r.gflops, r.gbps, r.nmse, r.reason"
      " FROM results r JOIN runs ru ON ru.id = r.run_id WHERE r.problem_id = ?1 AND r.task = ''"
      " ORDER BY r.run_id, r.backend, r.id",
      {results::Cell{id}});
  std::string body = "<p><code>" + escape(canonical) + "</code></p>\n<table><tbody>";
  for (size_t i = 1; i < p.columns.size(); ++i)
    body += "<tr><th>" + escape(p.columns[i]) + "</th><td>" + escape(text_of(p.rows[0][i])) + "</td></tr>";
  body += "</tbody></table>\n<h2>Replay</h2>\n";
  std::set<std::string> backends;
  for (const auto& row : all.rows) backends.insert(text_of(row[column(all, "backend")]));
  if (backends.empty()) backends.insert("cpu");
  body += "<pre>";
  for (const std::string& b : backends) body += escape(repro_command(canonical, b)) + "\n";
  body += "</pre>\n";
  if (!latest_samples(c, id).rows.empty())
    body += "<h2>Samples of the latest result</h2>\n<img src=\"problem-" + std::to_string(id) +
            "-samples.svg\" alt=\"samples of the latest result per backend\">\n";
  if (!history(c, id).rows.empty())
    body += "<h2>History</h2>\n<img src=\"problem-" + std::to_string(id) +
            "-history.svg\" alt=\"median time across runs per backend\">\n";
  body += "<h2>Every stored result</h2>\n";
  TableOptions options;
  options.id = "results";
  options.filters = {"backend", "outcome"};
  options.empty_note = "No timed result of this problem is stored (only accuracy rows).";
  body += table(all, options);
  return page(c, "Problem " + std::to_string(id) + ": " + text_of(p.rows[0][1]), "", body);
}

std::string problem_samples_svg(const Context& c, int64_t id) {
  const results::QueryResult p = problem_row(c, id);
  const results::QueryResult samples = latest_samples(c, id);
  ScatterChart chart;
  chart.title = "Samples: " + text_of(p.rows[0][1]);
  chart.x_label = "repetition";
  chart.y_label = "time (ms)";
  chart.x_whole = true;
  std::map<std::string, size_t> series;
  std::string runs;  // "cpu run 2, vulkan run 1": whose samples these are
  for (const auto& row : samples.rows) {
    const std::string backend = text_of(row[0]);
    if (!series.count(backend)) {
      series[backend] = chart.series.size();
      chart.series.push_back(backend);
      runs += (runs.empty() ? "" : ", ") + backend + " run " + text_of(row[1]);
    }
    chart.points.push_back({number_of(row[2]).value_or(0) + 1, number_of(row[3]).value_or(0), series[backend], 0, false, ""});
  }
  chart.subtitle = "one dot per repetition of each backend's latest result (" + runs + ")";
  return scatter_svg(chart);
}

std::string problem_history_svg(const Context& c, int64_t id) {
  const results::QueryResult p = problem_row(c, id);
  const results::QueryResult rows = history(c, id);
  std::vector<int64_t> runs;
  std::vector<std::string> backends;
  std::map<std::pair<int64_t, std::string>, double> median;  // the last result of a run counts
  double top = 0;
  for (const auto& row : rows.rows) {
    const int64_t run = std::get<int64_t>(row[0]);
    const std::string backend = text_of(row[1]);
    if (std::find(runs.begin(), runs.end(), run) == runs.end()) runs.push_back(run);
    if (std::find(backends.begin(), backends.end(), backend) == backends.end()) backends.push_back(backend);
    median[{run, backend}] = number_of(row[2]).value_or(0);
    top = std::max(top, number_of(row[2]).value_or(0));
  }
  if (runs.empty()) {
    ScatterChart empty;
    empty.title = "History: " + text_of(p.rows[0][1]);
    return scatter_svg(empty);
  }
  results::LineChart chart;
  chart.title = "History: " + text_of(p.rows[0][1]);
  chart.subtitle = "median time of each passed result, by run";
  chart.x_label = "run";
  chart.y_label = "median time (ms)";
  chart.y_percent = false;
  chart.y_min = 0;
  chart.y_max = top > 0 ? top * 1.15 : 1;
  for (int64_t run : runs) chart.x_ticks.push_back(std::to_string(run));
  for (const std::string& backend : backends) {
    results::LineSeries s{backend, {}};
    for (int64_t run : runs) {
      auto it = median.find({run, backend});
      s.y.push_back(it == median.end() ? NAN : it->second);
    }
    chart.series.push_back(std::move(s));
  }
  return results::line_chart_svg(chart);
}

}  // namespace archbench::web::pages
