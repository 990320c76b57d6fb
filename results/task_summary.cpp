// Accuracy-task summaries and their leaderboard (see task_summary.hpp).
#include "results/task_summary.hpp"

#include <algorithm>
#include <cmath>

#include "harness/errors.hpp"
#include "results/task_views.hpp"

namespace archbench::results {
namespace {

std::string text(const Cell& c) { return std::holds_alternative<std::string>(c) ? std::get<std::string>(c) : ""; }
double real(const Cell& c) {
  if (std::holds_alternative<double>(c)) return std::get<double>(c);
  if (std::holds_alternative<int64_t>(c)) return double(std::get<int64_t>(c));
  return NAN;
}

// The cells of the latest passed row of every (problem, backend, task) that matches.
// Rows written before v5 and not yet described by the harness have no group key
// of their own: their workload stands in (one group per context, not merged).
QueryResult matching_cells(const Store& store, const TaskFilter& f) {
  if (!task_identifier(f.kind))
    throw InputError("--task: '" + f.kind + "' is not a task name (letters, digits and '_')");
  // ?1 backend, ?2 variant/design glob, ?3 task glob, ?4 dtype, ?5 run id; NULL = no filter.
  // ?6 kind, ?7 headline rows only.
  const std::string sql =
      "WITH latest AS ("
      " SELECT r.id, r.run_id, r.backend, r.task, r.task_label, r.task_headline, r.kv_cache_bytes_per_token,"
      "  r.sequence_bytes,"
      "  p.design, p.variant, p.dtype,"
      "  CASE WHEN r.task_workload <> '' THEN r.task_workload ELSE p.workload END AS workload,"
      "  ROW_NUMBER() OVER (PARTITION BY r.problem_id, r.backend, r.task"
      "                     ORDER BY r.run_id DESC, r.id DESC) AS recency"
      " FROM results r JOIN problems p ON p.id = r.problem_id"
      " WHERE r.task_kind = ?6 AND r.outcome = 'passed' AND (?7 = 0 OR r.task_headline > 0)"
      "  AND (?1 IS NULL OR r.backend = ?1) AND (?2 IS NULL OR p.design GLOB ?2 OR p.variant GLOB ?2)"
      "  AND (?3 IS NULL OR r.task GLOB ?3) AND (?4 IS NULL OR p.dtype = ?4) AND (?5 IS NULL OR r.run_id = ?5)"
      ") SELECT l.design, l.backend, l.dtype, l.task, l.workload, c.context, c.coordinate,"
      " c.accuracy, c.chance, c.trials, l.kv_cache_bytes_per_token, l.run_id, l.task_label, l.task_headline,"
      " l.sequence_bytes"
      " FROM latest l JOIN task_cells c ON c.result_id = l.id WHERE l.recency = 1"
      " ORDER BY l.design, l.backend, l.dtype, l.task, c.context, c.coordinate";
  auto opt = [](const std::string& s) { return s.empty() ? Cell{} : Cell{s}; };
  return store.query(sql, {opt(f.backend), opt(f.variant), opt(f.task), opt(f.dtype),
                           f.run_id ? Cell{*f.run_id} : Cell{}, f.kind, Cell{int64_t{f.headline_only}}});
}

std::string group_key(const TaskSummary& s) {
  return s.design + "|" + s.backend + "|" + s.dtype + "|" + s.task + "|" + s.workload;
}

}  // namespace

std::string context_label(int64_t context) {
  if (context % 1024 == 0) return std::to_string(context / 1024) + "K";
  return std::to_string(context);
}

std::vector<TaskSummary> summarize_tasks(const Store& store, const TaskFilter& filter) {
  const QueryResult cells = matching_cells(store, filter);
  std::map<std::string, TaskSummary> groups;
  for (const auto& row : cells.rows) {
    TaskSummary probe;
    probe.design = text(row[0]);
    probe.backend = text(row[1]);
    probe.dtype = text(row[2]);
    probe.task = text(row[3]);
    probe.workload = text(row[4]);
    probe.label = text(row[12]);
    probe.headline = int(real(row[13]));
    TaskSummary& s = groups.emplace(group_key(probe), probe).first->second;
    s.cells[{int64_t(real(row[5])), real(row[6])}] = real(row[7]);
    s.chance = real(row[8]);
    s.trials_per_cell = int64_t(real(row[9]));
    s.kv_cache_bytes_per_token = real(row[10]);  // rows come by ascending context: the largest wins
    s.run_id = std::max(s.run_id, int64_t(real(row[11])));
    if (const double* bytes = std::get_if<double>(&row[14])) s.sequence_bytes = *bytes;
  }
  // Every average is over the cells: a context's row, a coordinate's column, the whole grid.
  std::vector<TaskSummary> out;
  for (auto& [key, s] : groups) {
    std::map<int64_t, std::pair<double, int>> by_context;
    std::map<double, std::pair<double, int>> by_coordinate;
    double sum = 0;
    for (const auto& [at, accuracy] : s.cells) {
      by_context[at.first].first += accuracy;
      ++by_context[at.first].second;
      by_coordinate[at.second].first += accuracy;
      ++by_coordinate[at.second].second;
      sum += accuracy;
    }
    bool holding = true;
    for (const auto& [context, acc] : by_context) {
      const double average = acc.first / acc.second;
      s.context_accuracy[context] = average;
      holding = holding && average >= kEffectiveThreshold - 1e-12;
      if (holding) s.effective_context = context;
    }
    for (const auto& [coordinate, acc] : by_coordinate) s.coordinate_accuracy[coordinate] = acc.first / acc.second;
    s.accuracy = s.cells.empty() ? 0 : sum / double(s.cells.size());
    out.push_back(s);
  }
  std::stable_sort(out.begin(), out.end(), [](const TaskSummary& a, const TaskSummary& b) {
    return a.accuracy > b.accuracy;
  });
  return out;
}

QueryResult task_leaderboard(const Store& store, const TaskFilter& filter) {
  const std::vector<TaskSummary> groups = summarize_tasks(store, filter);
  std::vector<int64_t> contexts;
  for (const auto& g : groups)
    for (const auto& [c, _] : g.context_accuracy)
      if (std::find(contexts.begin(), contexts.end(), c) == contexts.end()) contexts.push_back(c);
  std::sort(contexts.begin(), contexts.end());
  QueryResult out;
  out.columns = {"rank", "design", "backend", "dtype", "task", "workload", filter.kind + "_acc", "eff_context"};
  for (int64_t c : contexts) out.columns.push_back(context_label(c));
  for (const char* c : {"chance", "trials_per_cell", "kv_cache_bytes_per_token", "sequence_bytes", "run_id"})
    out.columns.push_back(c);
  int64_t rank = 0;
  for (const auto& g : groups) {
    std::vector<Cell> row = {Cell{++rank}, g.design, g.backend, g.dtype, g.task, g.workload, g.accuracy,
                             Cell{g.effective_context}};
    for (int64_t c : contexts) {
      auto it = g.context_accuracy.find(c);
      row.push_back(it == g.context_accuracy.end() ? Cell{} : Cell{it->second});
    }
    row.insert(row.end(), {g.chance, Cell{g.trials_per_cell}, g.kv_cache_bytes_per_token,
                           g.sequence_bytes ? Cell{*g.sequence_bytes} : Cell{}, Cell{g.run_id}});
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace archbench::results
