// Standalone SVG charts for accuracy results: a heatmap (a task's axis x
// context grid) and a line chart (accuracy vs context, one line
// per series). Written here rather than through a plotting runtime so reports need
// nothing beyond the harness itself, and the bytes are deterministic (same
// input -> same file), which keeps rendered reports diffable and testable.
#pragma once

#include <string>
#include <vector>

namespace archbench::results {

// A rows x cols grid of values in [0, 1] (e.g. accuracy); NaN = not measured.
// rows = y_ticks.size(), cols = x_ticks.size(); values is row-major, so
// values[r * cols + c] is the cell in row r (top to bottom) and column c.
struct Heatmap {
  std::string title, subtitle;  // subtitle may be empty
  std::string x_label, y_label; // axis titles, may be empty
  std::vector<std::string> x_ticks;  // one label per column, left to right
  std::vector<std::string> y_ticks;  // one label per row, top to bottom
  std::vector<double> values;
  int decimals = 2;  // digits after the point for the value printed in a cell
};

// One line of a LineChart: y[i] belongs to x_ticks[i]; NaN leaves a gap.
struct LineSeries {
  std::string name;
  std::vector<double> y;
};

struct LineChart {
  std::string title, subtitle;
  std::string x_label, y_label;
  std::vector<std::string> x_ticks;  // one label per x position, left to right
  // Empty: the x axis is categorical (ticks evenly spaced). Otherwise one
  // positive value per tick (e.g. context length in tokens), placed on a log2
  // scale so 1K, 2K, 4K ... are evenly spaced and 3K falls in between.
  std::vector<double> x_values;
  std::vector<LineSeries> series;
  double y_min = 0.0, y_max = 1.0;
  bool y_percent = true;  // tick labels as "40%" rather than "0.4"
};

// The whole SVG 1.1 document (with XML declaration), sized for its grid.
// Mismatched sizes (values vs ticks, x_values or a series vs x_ticks, an empty
// grid, y_max <= y_min, a non-positive x value) -> InputError.
std::string heatmap_svg(const Heatmap& map);
std::string line_chart_svg(const LineChart& chart);

// The heatmap colour of a value as "#rrggbb": red at 0, yellow at 0.5, green
// at 1, linear in between, clamped outside [0, 1]; NaN gives the grey of a
// missing cell. Exposed for tests and for
// callers colouring a matching table.
std::string heat_colour(double value);

// Text made safe for XML content and attribute values (&, <, >, both quotes
// escaped; control characters XML 1.0 forbids dropped).
std::string xml_escape(const std::string& text);

}  // namespace archbench::results
