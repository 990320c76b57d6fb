// `archbench plot TASK`: the accuracy tasks' pictures, drawn from the stored
// cells as standalone SVG (results/svg_plot), in the form the task's registry
// entry asks for:
//   heatmap   context x coordinate (green = found, red = lost); needle: x depth
//   lines     accuracy vs context, one line per coordinate; multihop: per hop count
// The filters must pick exactly one group (design, backend, dtype, task,
// workload); otherwise the error lists the candidates to choose from.
#include "harness/cli/common.hpp"
#include "harness/errors.hpp"
#include "results/svg_plot.hpp"
#include "results/task_summary.hpp"
#include "tasks/task.hpp"

#include <cmath>
#include <map>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace archbench::cli {
namespace {

using results::context_label;

std::string percent(double value) {
  char text[32];
  std::snprintf(text, sizeof text, value < 0.01 ? "%.2g%%" : "%.0f%%", value * 100);
  return text;
}

std::string subtitle(const results::TaskSummary& g) {
  return g.workload + " · " + g.task + " · " + std::to_string(g.trials_per_cell) + " trials per cell · chance " +
         percent(g.chance) + " · mean " + percent(g.accuracy) + " · effective context " +
         (g.effective_context ? context_label(g.effective_context) : std::string("none")) + " (rows >= 90%)";
}

// The sorted keys of a summary's per-context or per-coordinate map: a plot's axis.
template <class Key>
std::vector<Key> axis(const std::map<Key, double>& by) {
  std::vector<Key> keys;
  for (const auto& [key, _] : by) keys.push_back(key);
  return keys;
}

double cell(const results::TaskSummary& g, int64_t context, double coordinate) {
  auto it = g.cells.find({context, coordinate});
  return it == g.cells.end() ? NAN : it->second;
}

// The task's name and its rows' label: "needle single.low-freq".
std::string title(const tasks::TaskEntry& task, const results::TaskSummary& g) {
  return task.name + (g.label.empty() ? "" : " " + g.label) + ": " + g.design + " [" + g.backend + ", " + g.dtype + "]";
}

// Context x coordinate, coloured by accuracy (the task's coordinate on y).
std::string heatmap_svg(const tasks::TaskEntry& task, const results::TaskSummary& g) {
  const std::vector<int64_t> contexts = axis(g.context_accuracy);
  const std::vector<double> coordinates = axis(g.coordinate_accuracy);
  results::Heatmap map;
  map.title = title(task, g);
  map.subtitle = subtitle(g);
  map.x_label = "context length (tokens)";
  map.y_label = task.plot_axis;
  for (int64_t c : contexts) map.x_ticks.push_back(context_label(c));
  for (double d : coordinates) map.y_ticks.push_back(task.coordinate_label(d));
  for (double d : coordinates)
    for (int64_t c : contexts) map.values.push_back(cell(g, c, d));
  return results::heatmap_svg(map);
}

// Accuracy against context, one line per coordinate.
std::string lines_svg(const tasks::TaskEntry& task, const results::TaskSummary& g) {
  const std::vector<int64_t> contexts = axis(g.context_accuracy);
  const std::vector<double> coordinates = axis(g.coordinate_accuracy);
  results::LineChart chart;
  chart.title = title(task, g);
  chart.subtitle = subtitle(g);
  chart.x_label = "context length (tokens)";
  chart.y_label = task.plot_axis;
  for (int64_t c : contexts) {
    chart.x_ticks.push_back(context_label(c));
    chart.x_values.push_back(double(c));
  }
  for (double h : coordinates) {
    results::LineSeries series;
    series.name = task.coordinate_label(h);
    for (int64_t c : contexts) series.y.push_back(cell(g, c, h));
    chart.series.push_back(std::move(series));
  }
  return results::line_chart_svg(chart);
}

}  // namespace

int plot_command(const Context& context) {
  Globals globals;
  results::TaskFilter filter;
  std::string output;
  int64_t run = 0;
  po::options_description options("archbench plot");
  options.add_options()
      ("task", po::value(&filter.kind)->required(), tasks::task_names().c_str())
      ("variant", po::value(&filter.variant), "variant or design (a glob, e.g. 'attention/gqa*' or 'attention/mha:alibi*')")
      ("backend", po::value(&filter.backend), "cpu | vulkan")
      ("dtype", po::value(&filter.dtype), "f32 | bf16")
      ("options", po::value(&filter.task), "task string glob, e.g. 'needle.single.low-freq*'")
      ("run", po::value(&run), "only this run id (default: the latest row of each context)")
      ("output,o", po::value(&output)->required(), "the SVG file to write");
  add_globals(options, globals, false);
  po::positional_options_description positional;
  positional.add("task", 1);
  po::variables_map values;
  if (!parse("plot", "archbench plot TASK [--variant GLOB] [--backend B] [--dtype D] [--options GLOB] [--run ID] -o FILE.svg [--db PATH]",
             context, options, values, &positional))
    return 0;
  const tasks::TaskEntry* entry = tasks::find_task(filter.kind);
  if (!entry) throw InputError("archbench plot: '" + filter.kind + "' is not one of " + tasks::task_names());
  if (values.count("run")) filter.run_id = run;
  const results::Store store = results::Store::open_readonly(database_path(globals));
  const std::vector<results::TaskSummary> groups = results::summarize_tasks(store, filter);
  if (groups.empty())
    throw InputError("archbench plot: no stored " + filter.kind + " results match (run `archbench run --suite " +
                     filter.kind + "` first, or loosen --variant/--backend/--dtype/--options)");
  if (groups.size() > 1) {
    std::string list;
    for (size_t i = 0; i < groups.size() && i < 4; ++i)
      list += std::string(i ? " | " : " ") + "--variant '" + groups[i].design + "' --backend " + groups[i].backend + " --dtype " +
              groups[i].dtype + " --options '" + groups[i].task + "'  (" + groups[i].workload + ")";
    throw InputError("archbench plot: " + std::to_string(groups.size()) + " " + filter.kind +
                     " result groups match; narrow it to one:" + list + (groups.size() > 4 ? " | ..." : ""));
  }
  const std::string svg =
      entry->plot == tasks::PlotKind::heatmap ? heatmap_svg(*entry, groups[0]) : lines_svg(*entry, groups[0]);
  std::ofstream out(output, std::ios::binary | std::ios::trunc);
  if (!out || !(out << svg) || !out.flush()) throw InputError("-o: cannot write '" + output + "'");
  std::cout << "wrote " << output << " (" << groups[0].design << ", " << groups[0].backend << ", "
            << groups[0].dtype << ", " << groups[0].task << ")\n";
  return 0;
}

}  // namespace archbench::cli
