// An accuracy task group's picture, in the form the task's registry entry asks
// for (tasks::PlotKind): a heatmap of context x coordinate, or accuracy
// against context with one line per coordinate. `archbench plot` writes it to
// a file; the web pages show several side by side.
#pragma once

#include <string>

#include "results/task_summary.hpp"
#include "tasks/task.hpp"

namespace archbench::web {

// The whole SVG document for one group (results::summarize_tasks).
std::string task_figure_svg(const tasks::TaskEntry& task, const results::TaskSummary& group);

// "88%", "0.5%": how the figures and the pages print an accuracy.
std::string percent(double value);

}  // namespace archbench::web
