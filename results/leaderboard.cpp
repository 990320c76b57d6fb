// The leaderboard, runs list and run comparison queries (see leaderboard.hpp).
#include "results/leaderboard.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "harness/errors.hpp"
#include "results/samples.hpp"
#include "results/statistics.hpp"
#include "results/task_summary.hpp"

namespace archbench::results {
namespace {

struct Metric {
  const char* name;
  bool higher_is_better;
};

// Every name here is a column of `results`, so it can be spliced into SQL safely
// (user input is only ever compared against this list, never spliced).
constexpr Metric kMetrics[] = {
    {"tokens_per_s", true}, {"gflops", true},   {"gbps", true},
    {"frac_peak_compute", true}, {"median_s", false}, {"kv_cache_bytes_per_token", false},
    {"nmse", false},
};

const Metric& find_metric(const std::string& name) {
  for (const auto& m : kMetrics)
    if (name == m.name) return m;
  std::string list;
  for (const auto& m : kMetrics) list += (list.empty() ? "" : ", ") + std::string(m.name);
  throw InputError("--metric: '" + name + "' is not one of " + list);
}

void require_run(const Store& store, int64_t id, const std::string& what) {
  if (store.query("SELECT 1 FROM runs WHERE id = ?1", {Cell{id}}).rows.empty())
    throw InputError(what + ": run " + std::to_string(id) +
                     " does not exist (see `archbench runs`)");
}

// The median's 95% interval from each row's samples (after median_ms), and ties:
// a row whose metric interval overlaps that of the row ranked just above it in
// its group takes that row's rank. Metrics measured from the median map its
// interval (inversely for rates); others (nmse, cache bytes) tie only when equal,
// as RANK() already does. The hidden result_id column (before dtype) is dropped.
void add_intervals(const Store& store, const Metric& metric, QueryResult& board) {
  auto column = [&](const char* name) {
    return size_t(std::find(board.columns.begin(), board.columns.end(), name) - board.columns.begin());
  };
  const size_t result_id = column("result_id"), median = column("median_ms"), rank = column("rank"),
               value = column(metric.name), kind = column("kind"), backend = column("backend"), shape = column("shape");
  std::vector<int64_t> ids;
  for (const auto& row : board.rows) ids.push_back(cell_int(row[result_id]));
  const auto samples = load_samples(store, ids);
  const std::string name = metric.name;
  const bool from_median = name != "nmse" && name != "kv_cache_bytes_per_token";
  std::vector<std::optional<stats::Interval>> metric_interval(board.rows.size());
  std::vector<std::vector<Cell>> added(board.rows.size(), {Cell{}, Cell{}, Cell{int64_t(0)}});
  for (size_t i = 0; i < board.rows.size(); ++i) {
    auto& row = board.rows[i];
    auto it = samples.find(cell_int(row[result_id]));
    if (it == samples.end()) continue;
    const auto ci = stats::median_interval(it->second);
    const double median_s = cell_real(row[median]) / 1000, v = cell_real(row[value]);
    if (!ci || !(median_s > 0)) continue;
    added[i][0] = ci->low * 1000;
    added[i][1] = ci->high * 1000;
    if (!from_median || std::isnan(v)) continue;
    if (name == "median_s") metric_interval[i] = stats::Interval{ci->low, ci->high, ci->coverage};
    else if (ci->low > 0) metric_interval[i] = stats::Interval{v * median_s / ci->high, v * median_s / ci->low, ci->coverage};
  }
  // Rows come ordered by group, then rank: walk each group's ranked rows.
  auto text = [](const Cell& c) { return std::holds_alternative<std::string>(c) ? std::get<std::string>(c) : ""; };
  for (size_t i = 1; i < board.rows.size(); ++i) {
    auto& row = board.rows[i];
    const auto& above = board.rows[i - 1];
    if (text(row[kind]) != text(above[kind]) || text(row[backend]) != text(above[backend]) ||
        text(row[shape]) != text(above[shape]))
      continue;
    if (std::holds_alternative<std::monostate>(row[rank]) || std::holds_alternative<std::monostate>(above[rank])) continue;
    const bool tied = (metric_interval[i] && metric_interval[i - 1] && stats::overlap(*metric_interval[i], *metric_interval[i - 1])) ||
                      cell_int(row[rank]) == cell_int(above[rank]);
    if (!tied) continue;
    row[rank] = above[rank];
    added[i][2] = added[i - 1][2] = Cell{int64_t(1)};
  }
  for (size_t i = 0; i < board.rows.size(); ++i) {
    auto& row = board.rows[i];
    row.erase(row.begin() + long(result_id));
    row.insert(row.begin() + long(median) + 1, added[i].begin(), added[i].end());
  }
  // New columns go after median_ms, so the leading kind,backend,shape,rank,design
  // that scripts match on stay as they were.
  board.columns.erase(board.columns.begin() + long(result_id));
  board.columns.insert(board.columns.begin() + long(median) + 1, {"ci95_low_ms", "ci95_high_ms", "tied"});
}

// What each design can still do, beside its speed: the accuracy over the grid
// and the effective context of the best headline row of `kind` with the same
// design, backend and dtype. The task ranks its rows (ResultRecord::
// task_headline), so which rows qualify and which is preferred is its call;
// here only the higher rank, then the grid with more contexts, wins. The
// board's hidden last column is each row's dtype; it is dropped here.
void add_headline_columns(const Store& store, const std::string& kind, QueryResult& board) {
  const size_t dtype = board.columns.size() - 1;
  auto drop_dtype = [&] {
    board.columns.pop_back();
    for (auto& row : board.rows) row.pop_back();
  };
  if (kind.empty()) return drop_dtype();
  TaskFilter filter;
  filter.kind = kind;
  filter.headline_only = true;
  const auto preference = [](const TaskSummary& s) { return std::pair(s.headline, s.context_accuracy.size()); };
  std::map<std::string, TaskSummary> best;
  for (const TaskSummary& s : summarize_tasks(store, filter)) {
    const std::string key = s.design + "|" + s.backend + "|" + s.dtype;
    auto it = best.find(key);
    if (it == best.end() || preference(s) > preference(it->second)) best[key] = s;
  }
  auto column = [&](const char* name) {
    return size_t(std::find(board.columns.begin(), board.columns.end(), name) - board.columns.begin());
  };
  const size_t design = column("design"), backend = column("backend"), at = column("run_id");
  auto text = [](const Cell& c) { return std::holds_alternative<std::string>(c) ? std::get<std::string>(c) : ""; };
  for (auto& row : board.rows) {
    auto it = best.find(text(row[design]) + "|" + text(row[backend]) + "|" + text(row[dtype]));
    std::vector<Cell> cells = {Cell{}, Cell{}, Cell{}};
    if (it != best.end()) cells = {it->second.accuracy, Cell{it->second.effective_context}, it->second.label};
    row.insert(row.begin() + long(at), cells.begin(), cells.end());
  }
  board.columns.insert(board.columns.begin() + long(at), {kind + "_acc", "eff_context", kind + "_task"});
  drop_dtype();
}

}  // namespace

std::vector<std::string> known_metrics() {
  std::vector<std::string> out;
  for (const auto& m : kMetrics) out.emplace_back(m.name);
  return out;
}

QueryResult leaderboard(const Store& store, const LeaderboardOptions& o) {
  const Metric& m = find_metric(o.metric);
  if (o.run_id) require_run(store, *o.run_id, "--run");
  const std::string col = m.name, dir = m.higher_is_better ? "DESC" : "ASC";

  // Extra columns for context; the ranking metric itself is not repeated.
  std::string extra;
  for (const char* c : {"tokens_per_s", "gflops", "frac_peak_compute", "frac_peak_bandwidth", "kv_cache_bytes_per_token", "nmse"})
    if (col != c) extra += std::string(", ") + c;

  // Per machine, "latest" and the CPU a row is compared with are that machine's.
  const std::string machine = o.by_machine ? ", host, device" : "";
  const std::string same_machine = o.by_machine ? " AND c.host = ranked.host" : "";
  // ?1 kind, ?2 backend, ?3 run id, ?4 workload glob, ?5 host glob, ?6 device
  // glob; NULL means "no filter".
  const std::string sql =
      "WITH latest AS ("
      " SELECT r.*, p.kind, ru.quick,"
      "  CASE WHEN p.design <> '' THEN p.design ELSE p.variant END AS design,"
      "  CASE WHEN p.design_short <> '' THEN p.design_short WHEN p.design <> '' THEN p.design ELSE p.variant END AS design_short,"
      "  CASE WHEN p.workload <> '' THEN p.workload ELSE p.shape END AS shape, p.dtype, ru.host,"
      "  CASE WHEN r.backend = 'vulkan' THEN ru.vulkan_device ELSE ru.cpu_model END AS device,"
      "  ROW_NUMBER() OVER (PARTITION BY r.problem_id, r.backend" +
      std::string(o.by_machine ? ", ru.host, CASE WHEN r.backend = 'vulkan' THEN ru.vulkan_device ELSE ru.cpu_model END" : "") +
      "                     ORDER BY " + std::string(o.prefer_careful ? "ru.quick, " : "") + "r.run_id DESC, r.id DESC) AS recency"
      " FROM results r JOIN problems p ON p.id = r.problem_id JOIN runs ru ON ru.id = r.run_id"
      // Newest result of any outcome: a problem whose latest check failed drops
      // out of the ranking instead of hiding behind an older passing number.
      " WHERE r.task = '' AND (?1 IS NULL OR p.kind = ?1) AND (?3 IS NULL OR r.run_id = ?3)"
      "), filtered AS ("
      " SELECT * FROM latest WHERE (?4 IS NULL OR shape GLOB ?4) AND (?5 IS NULL OR host GLOB ?5)"
      "  AND (?6 IS NULL OR device GLOB ?6)"
      // The CPU rows speed_vs_cpu divides by, whatever --backend shows.
      "), cpu_rows AS ("
      " SELECT problem_id, host, median_s FROM filtered WHERE recency = 1 AND outcome = 'passed' AND backend = 'cpu'"
      "), ranked AS ("
      " SELECT *, CASE WHEN " + col + " IS NULL THEN NULL ELSE"
      "  RANK() OVER (PARTITION BY kind, backend, shape ORDER BY " + col + " IS NULL, " +
      col + " " + dir + ") END AS rank"
      " FROM filtered WHERE recency = 1 AND outcome = 'passed' AND (?2 IS NULL OR backend = ?2)"
      ")"
      // Backends side by side: each row's speed relative to the same problem
      // on the CPU backend (its median time over this one's; 2 = twice as fast).
      " SELECT kind, backend, shape, rank, design" + machine + ", " + col +
      ", median_s * 1000.0 AS median_ms, cv,"
      "  (SELECT c.median_s FROM cpu_rows c WHERE c.problem_id = ranked.problem_id" + same_machine +
      ") / median_s AS speed_vs_cpu" + extra + ", impl, quick, design_short, run_id, id AS result_id, dtype"
      " FROM ranked ORDER BY kind, shape, backend, rank IS NULL, rank, design" + machine;

  auto opt = [](const std::string& s) { return s.empty() ? Cell{} : Cell{s}; };
  QueryResult board = store.query(sql, {opt(o.kind), opt(o.backend), o.run_id ? Cell{*o.run_id} : Cell{},
                                        opt(o.shape), opt(o.host), opt(o.device)});
  add_intervals(store, m, board);
  add_headline_columns(store, o.headline_task, board);
  return board;
}

QueryResult list_runs(const Store& store, const std::string& host) {
  QueryResult runs = store.query(
      "SELECT r.id, r.started_at AS started, r.finished_at AS finished, r.status, r.host,"
      " substr(r.git_sha, 1, 12) AS git_sha, r.threads, r.suites, r.vulkan_device,"
      " count(x.id) AS results,"
      " count(CASE WHEN x.outcome = 'passed' THEN 1 END) AS passed,"
      " count(CASE WHEN x.outcome IN ('failed', 'crashed', 'timed-out') THEN 1 END) AS failed,"
      " count(CASE WHEN x.outcome IN ('skipped', 'unimplemented') THEN 1 END) AS skipped, r.shard"
      " FROM runs r LEFT JOIN results x ON x.run_id = r.id WHERE ?1 IS NULL OR r.host GLOB ?1"
      " GROUP BY r.id ORDER BY r.id",
      {host.empty() ? Cell{} : Cell{host}});
  // The shard column only where a run has one: a one-machine history reads as before.
  const bool sharded = std::any_of(runs.rows.begin(), runs.rows.end(), [](const std::vector<Cell>& row) {
    return std::holds_alternative<std::string>(row.back()) && !std::get<std::string>(row.back()).empty();
  });
  if (!sharded) {
    runs.columns.pop_back();
    for (auto& row : runs.rows) row.pop_back();
  }
  return runs;
}

}  // namespace archbench::results
