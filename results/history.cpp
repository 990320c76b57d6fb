// History and regressions over runs (see history.hpp).
#include "results/history.hpp"

#include <map>
#include <tuple>

#include "results/samples.hpp"
#include "results/statistics.hpp"

namespace archbench::results {
namespace {

Cell opt(const std::string& text) { return text.empty() ? Cell{} : Cell{text}; }

}  // namespace

QueryResult history(const Store& store, const HistoryOptions& o) {
  const QueryResult found = store.query(
      "SELECT p.canonical, r.backend, r.run_id, ru.started_at, substr(ru.git_sha, 1, 12), ru.host, ru.quick,"
      " r.outcome, r.median_s * 1000.0, r.cv, r.id"
      " FROM results r JOIN problems p ON p.id = r.problem_id JOIN runs ru ON ru.id = r.run_id"
      " WHERE r.task = '' AND p.canonical GLOB ?1 AND (?2 IS NULL OR ru.host GLOB ?2) AND (?3 IS NULL OR r.backend = ?3)"
      " ORDER BY p.canonical, r.backend, ru.started_at, r.run_id, r.id",
      {Cell{o.problem}, opt(o.host), opt(o.backend)});
  std::vector<int64_t> ids;
  for (const auto& row : found.rows) ids.push_back(cell_int(row[10]));
  const auto samples = load_samples(store, ids);
  QueryResult out;
  out.columns = {"problem", "backend", "run_id", "started", "git_sha", "host", "quick", "outcome",
                 "median_ms", "ci95_low_ms", "ci95_high_ms", "cv", "n"};
  for (const auto& row : found.rows) {
    std::vector<Cell> cells(row.begin(), row.begin() + 8);
    cells.push_back(row[8]);
    auto it = samples.find(cell_int(row[10]));
    const auto ci = it == samples.end() ? std::nullopt : stats::median_interval(it->second);
    cells.push_back(ci ? Cell{ci->low * 1000} : Cell{});
    cells.push_back(ci ? Cell{ci->high * 1000} : Cell{});
    cells.push_back(row[9]);
    cells.push_back(Cell{int64_t(it == samples.end() ? 0 : it->second.size())});
    out.rows.push_back(std::move(cells));
  }
  return out;
}

QueryResult regressions(const Store& store, const RegressionOptions& o) {
  const QueryResult found = store.query(
      "SELECT p.canonical, r.backend, ru.host,"
      "  CASE WHEN r.backend = 'vulkan' THEN ru.vulkan_device ELSE ru.cpu_model END,"
      "  r.run_id, ru.started_at, substr(ru.git_sha, 1, 12), r.id"
      " FROM results r JOIN problems p ON p.id = r.problem_id JOIN runs ru ON ru.id = r.run_id"
      " WHERE r.task = '' AND r.outcome = 'passed' AND (?1 IS NULL OR ru.host GLOB ?1)"
      "  AND (?2 IS NULL OR r.backend = ?2) AND (?3 IS NULL OR p.kind = ?3) AND (?4 OR ru.quick = 0)"
      " ORDER BY p.canonical, r.backend, ru.host, 4, ru.started_at, r.run_id, r.id",
      {opt(o.host), opt(o.backend), opt(o.kind), Cell{int64_t(o.include_quick)}});
  std::vector<int64_t> ids;
  for (const auto& row : found.rows) ids.push_back(cell_int(row[7]));
  const auto samples = load_round_samples(store, ids);

  QueryResult out;
  out.columns = {"problem", "backend", "host", "first_run", "started", "git_sha", "before_ms",
                 "after_ms", "ratio", "p_value", "latest_ms", "runs"};
  auto text = [](const Cell& c) { return std::holds_alternative<std::string>(c) ? std::get<std::string>(c) : ""; };
  for (size_t from = 0; from < found.rows.size();) {
    size_t to = from;
    const auto key = [&](size_t i) {
      const auto& r = found.rows[i];
      return std::make_tuple(text(r[0]), text(r[1]), text(r[2]), text(r[3]));
    };
    while (to < found.rows.size() && key(to) == key(from)) ++to;
    std::vector<stats::RoundSamples> series;
    for (size_t i = from; i < to; ++i) {
      auto it = samples.find(cell_int(found.rows[i][7]));
      series.push_back(it == samples.end() ? stats::RoundSamples{} : it->second);
    }
    const std::vector<double> last = series.empty() ? std::vector<double>{} : stats::pooled(series.back());
    const double latest = last.empty() ? 0 : stats::median(last);
    for (const stats::Step& step : stats::detect_steps(series, o.alpha, o.min_change)) {
      const bool slower = step.after > step.before * (1 + o.min_change);
      const bool persists = latest > step.before * (1 + o.min_change);
      if (!slower || !persists) continue;
      const auto& first = found.rows[from + step.index];
      out.rows.push_back({first[0], first[1], first[2], first[4], first[5], first[6], Cell{step.before * 1000},
                          Cell{step.after * 1000}, Cell{step.after / step.before}, Cell{step.p_value},
                          Cell{latest * 1000}, Cell{int64_t(to - from)}});
    }
    from = to;
  }
  return out;
}

}  // namespace archbench::results
