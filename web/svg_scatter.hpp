// A standalone SVG scatter chart for the web pages: the Pareto picture (speed
// against effective context, point size for memory per token) and a problem's
// samples (one dot per repetition). Same conventions as results/svg_plot: a
// whole SVG document, deterministic bytes, every label XML-escaped.
#pragma once

#include <string>
#include <vector>

namespace archbench::web {

struct ScatterPoint {
  double x = 0, y = 0;
  size_t series = 0;    // index into ScatterChart::series (colour and legend)
  double size = 0;      // relative marker area in [0, 1]; 0 = the smallest marker
  bool marked = false;  // drawn with a ring (e.g. on the Pareto front)
  std::string label;    // written beside the point; may be empty
};

struct ScatterChart {
  std::string title, subtitle, x_label, y_label;
  bool log_x = false, log_y = false;  // log scales need positive values (others are dropped)
  bool x_whole = false;               // x ticks only at whole numbers (counts, repetitions)
  std::vector<std::string> series;    // legend entries, one colour each
  std::vector<ScatterPoint> points;
  std::string note;                   // a line under the plot (e.g. what marker size means)
};

// The whole SVG 1.1 document. No point (or none drawable) -> a chart that says so.
std::string scatter_svg(const ScatterChart& chart);

}  // namespace archbench::web
