// The accuracy pages: a task's pictures for every design side by side
// (task-KIND.html), and the Pareto page: speed against effective context
// against memory per token, the designs no other design beats marked.
#include <algorithm>
#include <cmath>
#include <map>

#include "results/leaderboard.hpp"
#include "results/task_summary.hpp"
#include "tasks/task.hpp"
#include "web/pages.hpp"
#include "web/pareto.hpp"
#include "web/svg_scatter.hpp"
#include "web/task_figures.hpp"

namespace archbench::web::pages {
namespace {

const tasks::TaskEntry& entry_of(const std::string& kind) {
  const tasks::TaskEntry* entry = tasks::find_task(kind);
  if (!entry) throw PageError(404, "no accuracy task called '" + kind + "'");
  return *entry;
}

std::string group_key(const results::TaskSummary& g) {
  return key_of(g.design + "|" + g.backend + "|" + g.dtype + "|" + g.task + "|" + g.workload);
}

std::vector<results::TaskSummary> groups_of(const Context& c, const std::string& kind) {
  results::TaskFilter filter;
  filter.kind = kind;
  return results::summarize_tasks(c.store, filter);
}

// One Pareto picture per backend and workload: designs compared at the same work.
struct ParetoGroup {
  std::string backend, workload;
  std::vector<std::string> designs;
  std::vector<double> speed, context, memory, accuracy;
  std::vector<bool> front;
};

std::vector<ParetoGroup> pareto_groups(const Context& c) {
  const std::string kind = tasks::headline_kind();
  std::vector<ParetoGroup> out;
  if (kind.empty()) return out;
  results::LeaderboardOptions options;
  options.headline_task = kind;
  const results::QueryResult board = results::leaderboard(c.store, options);
  const size_t design = column(board, "design"), backend = column(board, "backend"), shape = column(board, "shape"),
               speed = column(board, "tokens_per_s"), memory = column(board, "kv_cache_bytes_per_token"),
               context = column(board, "eff_context"), accuracy = column(board, kind + "_acc");
  if (context >= board.columns.size()) return out;
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (const auto& row : board.rows) {
    const auto s = number_of(row[speed]), e = number_of(row[context]);
    if (!s || !e) continue;  // a design needs a speed and a needle row to be placed
    const std::pair key{text_of(row[backend]), text_of(row[shape])};
    if (!index.count(key)) {
      index[key] = out.size();
      out.push_back({key.first, key.second, {}, {}, {}, {}, {}, {}});
    }
    ParetoGroup& g = out[index[key]];
    g.designs.push_back(text_of(row[design]));
    g.speed.push_back(*s);
    g.context.push_back(*e);
    g.memory.push_back(number_of(row[memory]).value_or(NAN));
    g.accuracy.push_back(accuracy < row.size() ? number_of(row[accuracy]).value_or(NAN) : NAN);
  }
  for (ParetoGroup& g : out) {
    std::vector<std::vector<double>> points;
    for (size_t i = 0; i < g.designs.size(); ++i) points.push_back({g.speed[i], g.context[i], g.memory[i]});
    g.front = pareto_front(points, {true, true, false});
  }
  return out;
}

std::string pareto_key(const ParetoGroup& g) { return key_of(g.backend + "|" + g.workload); }

}  // namespace

std::string task(const Context& c, const std::string& kind) {
  const tasks::TaskEntry& entry = entry_of(kind);
  const std::vector<results::TaskSummary> groups = groups_of(c, kind);
  std::string body = "<p>" + escape(entry.summary) + ". Each picture is one design on one backend (the latest row of each "
                     "context); chance level is printed in each subtitle. <code>archbench plot " + escape(kind) +
                     "</code> draws one of them.</p>\n";
  results::QueryResult summary;
  summary.columns = {"design", "backend", "dtype", "task", "workload", kind + "_acc", "eff_context", "chance", "run_id"};
  for (const auto& g : groups)
    summary.rows.push_back({g.design, g.backend, g.dtype, g.task, g.workload, g.accuracy, g.effective_context, g.chance,
                            g.run_id});
  TableOptions options;
  options.id = "groups";
  options.filters = {"backend", "dtype", "task"};
  options.empty_note = "No " + kind + " rows are stored: run `archbench run --suite " + kind + "`.";
  body += table(summary, options);
  if (!groups.empty()) {
    body += "<div class=\"figures\">\n";
    for (const auto& g : groups)
      body += "<figure><img src=\"task-" + escape(kind) + "-" + group_key(g) + ".svg\" alt=\"" +
              escape(g.design + " " + g.backend + " " + g.dtype) + "\"></figure>\n";
    body += "</div>\n";
  }
  return page(c, kind + " accuracy", "task-" + kind + ".html", body);
}

std::string task_svg(const Context& c, const std::string& kind, const std::string& key) {
  const tasks::TaskEntry& entry = entry_of(kind);
  for (const auto& g : groups_of(c, kind))
    if (group_key(g) == key) return task_figure_svg(entry, g);
  throw PageError(404, "no " + kind + " group " + key);
}

std::string pareto(const Context& c) {
  const std::vector<ParetoGroup> groups = pareto_groups(c);
  const std::string kind = tasks::headline_kind();
  std::string body =
      "<p>Speed (tokens/s, higher is better) against effective context (the longest context whose " + escape(kind) +
      " rows, and every shorter one, are at least 90% right; higher is better) against KV-cache bytes per token "
      "(marker size; lower is better), one picture per backend and workload. Ringed designs are on the Pareto "
      "front: no other design is at least as good on all three and better on one. Points are numbered as in the "
      "table under each picture.</p>\n";
  if (groups.empty())
    body += "<p class=\"empty\">No design has both a timed result and a " + escape(kind) +
            " row on the same backend: run a suite with both (the quick suite has them).</p>\n";
  for (const ParetoGroup& g : groups) {
    body += "<h2>" + escape(g.backend + " · " + g.workload) + "</h2>\n<img src=\"pareto-" + pareto_key(g) +
            ".svg\" alt=\"Pareto scatter\">\n";
    results::QueryResult t;
    t.columns = {"point", "design", "tokens_per_s", "eff_context", "kv_cache_bytes_per_token", kind + "_acc", "pareto_front"};
    for (size_t i = 0; i < g.designs.size(); ++i)
      t.rows.push_back({int64_t(i + 1), g.designs[i], g.speed[i], g.context[i],
                        std::isnan(g.memory[i]) ? results::Cell{} : results::Cell{g.memory[i]},
                        std::isnan(g.accuracy[i]) ? results::Cell{} : results::Cell{g.accuracy[i]},
                        std::string(g.front[i] ? "yes" : "no")});
    TableOptions options;
    options.id = "pareto-" + pareto_key(g);
    body += table(t, options);
  }
  return page(c, "Pareto: speed, context, memory", "pareto.html", body);
}

std::string pareto_svg(const Context& c, const std::string& key) {
  for (const ParetoGroup& g : pareto_groups(c)) {
    if (pareto_key(g) != key) continue;
    ScatterChart chart;
    chart.title = "Speed vs effective context: " + g.backend;
    chart.subtitle = g.workload;
    chart.x_label = "tokens/s (log scale)";
    chart.y_label = "effective context (tokens)";
    chart.log_x = true;
    chart.series = {"design", "on the Pareto front (ringed)"};
    double most = 0;
    for (double m : g.memory)
      if (!std::isnan(m)) most = std::max(most, m);
    for (size_t i = 0; i < g.designs.size(); ++i)
      chart.points.push_back({g.speed[i], g.context[i], g.front[i] ? 1u : 0u,
                              most > 0 && !std::isnan(g.memory[i]) ? g.memory[i] / most : 0, bool(g.front[i]),
                              std::to_string(i + 1)});  // the "point" column of the table under the picture
    chart.note = "marker area: KV-cache bytes per token (largest here: " + display(results::Cell{most}) + ")";
    return scatter_svg(chart);
  }
  throw PageError(404, "no Pareto group " + key);
}

}  // namespace archbench::web::pages
