// The task pictures (see task_figures.hpp), drawn with results/svg_plot.
#include "web/task_figures.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "results/svg_plot.hpp"

namespace archbench::web {
namespace {

using results::context_label;

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

std::string percent(double value) {
  char text[32];
  std::snprintf(text, sizeof text, value < 0.01 ? "%.2g%%" : "%.0f%%", value * 100);
  return text;
}

std::string task_figure_svg(const tasks::TaskEntry& task, const results::TaskSummary& group) {
  return task.plot == tasks::PlotKind::heatmap ? heatmap_svg(task, group) : lines_svg(task, group);
}

}  // namespace archbench::web
