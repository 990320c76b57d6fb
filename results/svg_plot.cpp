// Implementation of the SVG charts (see svg_plot.hpp). Layout is computed from
// estimated text widths (no font metrics available), so every estimate errs on
// the wide side: a little extra margin is better than a clipped label.
#include "results/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string_view>

#include "harness/errors.hpp"

namespace archbench::results {
namespace {

// Sizes in SVG user units (px at 100% zoom).
constexpr double kPad = 16;  // outer margin on every side
constexpr double kTitleSize = 18, kSubtitleSize = 13, kAxisTitleSize = 13, kTickSize = 12;
constexpr double kTickAngle = 40;  // degrees, for x tick labels too wide to lie flat
constexpr const char* kFont = "DejaVu Sans, Helvetica, Arial, sans-serif";
constexpr const char* kInk = "#222222";
constexpr const char* kMutedInk = "#555555";

// Fixed-point text for a number. snprintf follows LC_NUMERIC, and a caller that
// set a locale with a decimal comma would otherwise produce broken coordinates.
std::string num(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s(buf);
  std::replace(s.begin(), s.end(), ',', '.');
  // "-0.0" and "0.0" are the same number; print it one way so output is stable.
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

// Advance of one character as a fraction of the font size, roughly as in
// DejaVu Sans (what sans-serif usually resolves to on Linux, and wider than
// Helvetica/Arial, so estimates err towards too much room). A flat average
// would under-measure the labels these charts are full of: digits and '%'.
double char_width(unsigned char ch) {
  if (std::string_view(" .,:;'!|iljIft()[]").find(static_cast<char>(ch)) != std::string_view::npos)
    return 0.36;
  if (ch >= '0' && ch <= '9') return 0.64;
  if (std::string_view("%MWmw@").find(static_cast<char>(ch)) != std::string_view::npos) return 0.98;
  if (ch >= 'A' && ch <= 'Z') return 0.74;
  if (ch >= 0x80) return 0.7;  // a non-ASCII code point, counted once (at its lead byte)
  return 0.62;
}

double text_width(const std::string& s, double size) {
  double em = 0;
  for (unsigned char ch : s)
    if ((ch & 0xC0) != 0x80) em += char_width(ch);  // skip UTF-8 continuation bytes
  return em * size;
}

double widest(const std::vector<std::string>& labels, double size) {
  double w = 0;
  for (const auto& l : labels) w = std::max(w, text_width(l, size));
  return w;
}

struct TextStyle {
  double size = kTickSize;
  const char* anchor = "start";
  const char* fill = kInk;
  bool bold = false;
  double rotate = 0;  // degrees about the anchor point
  const char* cls = nullptr;
};

void text(std::string& out, double x, double y, const std::string& s, const TextStyle& st) {
  out += "<text";
  if (st.cls) out += std::string(" class=\"") + st.cls + "\"";
  out += " x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + num(st.size) + "\"";
  if (std::string(st.anchor) != "start") out += std::string(" text-anchor=\"") + st.anchor + "\"";
  if (std::string(st.fill) != kInk) out += std::string(" fill=\"") + st.fill + "\"";
  if (st.bold) out += " font-weight=\"bold\"";
  if (st.rotate != 0)
    out += " transform=\"rotate(" + num(st.rotate) + " " + num(x) + " " + num(y) + ")\"";
  out += ">" + xml_escape(s) + "</text>\n";
}

void line(std::string& out, double x1, double y1, double x2, double y2, const char* stroke,
          double width = 1) {
  out += "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" +
         num(y2) + "\" stroke=\"" + stroke + "\" stroke-width=\"" + num(width) + "\"/>\n";
}

// The document wrapper. The body is laid out first, so the final size is known
// only afterwards; the white background keeps PNG conversions from turning
// transparent.
std::string document(double width, double height, const std::string& defs,
                     const std::string& body) {
  const std::string w = num(std::ceil(width), 0), h = num(std::ceil(height), 0);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + w +
         "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h + "\" font-family=\"" + kFont +
         "\" fill=\"" + kInk + "\">\n<defs>\n" + defs + "</defs>\n<rect width=\"" + w +
         "\" height=\"" + h + "\" fill=\"#ffffff\"/>\n" + body + "</svg>\n";
}

// Title (bold) and subtitle (muted) at the top left. Returns the y where the
// chart itself may start.
double title_block(std::string& out, const std::string& title, const std::string& subtitle) {
  double y = kPad;
  if (!title.empty()) {
    y += kTitleSize;
    text(out, kPad, y, title, {.size = kTitleSize, .bold = true, .cls = "title"});
  }
  if (!subtitle.empty()) {
    y += kSubtitleSize + 6;
    text(out, kPad, y, subtitle, {.size = kSubtitleSize, .fill = kMutedInk, .cls = "subtitle"});
  }
  return y + (y > kPad ? 18 : 0);
}

// Bold text is wider than the estimate for regular text; pad it by 10%.
double title_width(const std::string& title, const std::string& subtitle) {
  return std::max(1.1 * text_width(title, kTitleSize), text_width(subtitle, kSubtitleSize));
}

// Tick labels under an x axis lie flat when the widest fits between
// neighbouring ticks, and are turned otherwise so long labels (or many of them)
// never overlap.
struct XTicks {
  bool turned = false;
  double height = 0;      // room they need below the axis line
  double reach_left = 0;  // how far a turned label extends left of its tick
};

XTicks x_tick_layout(const std::vector<std::string>& labels, double spacing) {
  const double w = widest(labels, kTickSize);
  if (w + 8 <= spacing) return {false, kTickSize + 10, w / 2};
  const double a = kTickAngle * std::numbers::pi / 180;
  return {true, w * std::sin(a) + kTickSize * std::cos(a) + 14, w * std::cos(a)};
}

void x_tick_labels(std::string& out, const std::vector<double>& xs,
                   const std::vector<std::string>& labels, double axis_y, const XTicks& t) {
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!t.turned) {
      text(out, xs[i], axis_y + 6 + kTickSize, labels[i], {.anchor = "middle", .cls = "xtick"});
    } else {
      // Anchored at its end just below the tick and turned anticlockwise, the
      // label runs down-left; the small x shift centres the glyphs on the tick.
      text(out, xs[i] + kTickSize * 0.3, axis_y + 12, labels[i],
           {.anchor = "end", .rotate = -kTickAngle, .cls = "xtick"});
    }
  }
}

// The y axis title, turned to read bottom-to-top, centred on [top, bottom],
// just left of the tick labels (whose widest is tick_width) of the axis at
// axis_x. Placed from the axis rather than the page edge, so it stays next to
// its ticks when turned x labels push the chart right.
void y_axis_title(std::string& out, const std::string& label, double axis_x, double tick_width,
                  double top, double bottom) {
  if (label.empty()) return;
  const double x = axis_x - 8 - tick_width - 10, y = (top + bottom) / 2;
  text(out, x, y, label,
       {.size = kAxisTitleSize, .anchor = "middle", .rotate = -90, .cls = "axis-title"});
}

// The x axis title centred under [left, left + width] below `bottom` (the
// tick labels' lower edge); returns the new lower edge of the chart.
double x_axis_title(std::string& out, const std::string& label, double left, double width, double bottom) {
  if (label.empty()) return bottom;
  text(out, left + width / 2, bottom + kAxisTitleSize, label,
       {.size = kAxisTitleSize, .anchor = "middle", .cls = "axis-title"});
  return bottom + kAxisTitleSize + 6;
}

// Room left of a chart for the y axis title and the widest y tick label.
double left_margin(const std::string& y_label, double tick_width) {
  return kPad + (y_label.empty() ? 0 : kAxisTitleSize + 10) + tick_width + 8;
}

struct Rgb {
  double r, g, b;
};

// Red - yellow - green stops (ColorBrewer RdYlGn ends, a stronger yellow in the
// middle so 0.5 does not vanish against the white page).
constexpr Rgb kHeatStops[3] = {{0xd7, 0x30, 0x27}, {0xfe, 0xe0, 0x8b}, {0x1a, 0x98, 0x50}};

Rgb heat_rgb(double v) {
  if (std::isnan(v)) return {0xe4, 0xe4, 0xe4};  // the missing-cell grey, not garbage
  v = std::clamp(v, 0.0, 1.0);
  const Rgb& a = v < 0.5 ? kHeatStops[0] : kHeatStops[1];
  const Rgb& b = v < 0.5 ? kHeatStops[1] : kHeatStops[2];
  const double t = v < 0.5 ? v * 2 : (v - 0.5) * 2;
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

std::string hex(const Rgb& c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(std::lround(c.r)),
                static_cast<int>(std::lround(c.g)), static_cast<int>(std::lround(c.b)));
  return buf;
}

// White text on the dark ends of the scale, near-black on the light middle.
const char* ink_on(const Rgb& c) {
  const double luma = (0.299 * c.r + 0.587 * c.g + 0.114 * c.b) / 255;
  return luma < 0.55 ? "#ffffff" : kInk;
}

// Missing cells: light grey with diagonal hatching, so they read as "no data"
// rather than as a colour on the scale, also when printed in black and white.
constexpr const char* kMissingPattern =
    "<pattern id=\"ab-missing\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
    "patternTransform=\"rotate(45)\">\n"
    "<rect width=\"8\" height=\"8\" fill=\"#e4e4e4\"/>\n"
    "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#a8a8a8\" stroke-width=\"3\"/>\n"
    "</pattern>\n";

// The legend bar's gradient, bottom (0) to top (1). Its stops are the same
// colours the cells use and SVG interpolates in sRGB as heat_rgb does, so the
// bar matches the cells everywhere.
std::string heat_gradient() {
  std::string g = "<linearGradient id=\"ab-heat\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n";
  for (double t : {0.0, 0.5, 1.0})
    g += "<stop offset=\"" + num(t, 1) + "\" stop-color=\"" + hex(heat_rgb(t)) + "\"/>\n";
  return g + "</linearGradient>\n";
}

void check_heatmap(const Heatmap& m) {
  const size_t rows = m.y_ticks.size(), cols = m.x_ticks.size();
  if (rows == 0 || cols == 0) throw InputError("heatmap: needs at least one row and one column");
  if (m.values.size() != rows * cols)
    throw InputError("heatmap: " + std::to_string(m.values.size()) + " values for " +
                     std::to_string(rows) + " rows x " + std::to_string(cols) + " columns");
  if (m.decimals < 0 || m.decimals > 6) throw InputError("heatmap: decimals must be 0..6");
}

// The colour bar right of the grid with its scale, and below it a hatched
// swatch for "n/a" when any cell is missing. Returns the bottom edge.
double heat_legend(std::string& out, double x, double y, double bar_h, bool any_missing,
                   int decimals) {
  constexpr double bar_w = 14;
  out += "<rect class=\"legend-bar\" x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" +
         num(bar_w) + "\" height=\"" + num(bar_h) +
         "\" fill=\"url(#ab-heat)\" stroke=\"#999999\" stroke-width=\"0.5\"/>\n";
  for (double t : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    const double ty = y + bar_h * (1 - t);
    line(out, x + bar_w, ty, x + bar_w + 4, ty, "#666666");
    text(out, x + bar_w + 7, ty + kTickSize * 0.35, num(t, std::max(decimals, 1)),
         {.cls = "legend-tick"});
  }
  double bottom = y + bar_h;
  if (any_missing) {
    const double sy = bottom + 18;
    out += "<rect class=\"legend-missing\" x=\"" + num(x) + "\" y=\"" + num(sy) + "\" width=\"" +
           num(bar_w) + "\" height=\"" + num(bar_w) +
           "\" fill=\"url(#ab-missing)\" stroke=\"#999999\" stroke-width=\"0.5\"/>\n";
    text(out, x + bar_w + 7, sy + bar_w / 2 + kTickSize * 0.35, "n/a", {.cls = "legend-tick"});
    bottom = sy + bar_w;
  }
  return bottom;
}

}  // namespace

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 has no way to write these, not even as character references.
        if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') break;
        out += static_cast<char>(ch);
    }
  }
  return out;
}

std::string heat_colour(double value) { return hex(heat_rgb(value)); }

std::string heatmap_svg(const Heatmap& m) {
  check_heatmap(m);
  const size_t rows = m.y_ticks.size(), cols = m.x_ticks.size();
  // Cells shrink as the grid grows so typical grids (up to ~20 x 20) stay
  // around 800 x 500 px. Very large grids bottom out at cells too small for a
  // printed value; there the colour alone carries it.
  const double cell_w = std::clamp(760.0 / static_cast<double>(cols), 24.0, 96.0);
  const double cell_h = std::clamp(440.0 / static_cast<double>(rows), 14.0, 56.0);
  const double grid_w = cell_w * static_cast<double>(cols);
  const double grid_h = cell_h * static_cast<double>(rows);

  std::string body;
  const double gy = title_block(body, m.title, m.subtitle);
  const XTicks xt = x_tick_layout(m.x_ticks, cell_w);
  const double ytick_w = widest(m.y_ticks, kTickSize);
  const double gx = std::max(left_margin(m.y_label, ytick_w),
                             kPad + xt.reach_left - cell_w / 2);

  bool any_missing = false;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const double v = m.values[r * cols + c];
      const double x = gx + cell_w * static_cast<double>(c);
      const double y = gy + cell_h * static_cast<double>(r);
      const bool missing = std::isnan(v);
      any_missing = any_missing || missing;
      const std::string shown = missing ? "n/a" : num(v, m.decimals);
      const Rgb fill = heat_rgb(v);
      body += std::string("<rect class=\"cell") + (missing ? " missing" : "") + "\" x=\"" +
              num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(cell_w) + "\" height=\"" +
              num(cell_h) + "\" fill=\"" + (missing ? "url(#ab-missing)" : hex(fill)) +
              "\" stroke=\"#ffffff\" stroke-width=\"1\"><title>" +
              xml_escape(m.x_ticks[c] + " / " + m.y_ticks[r] + ": " + shown) + "</title></rect>\n";
      if (missing) continue;
      // The value fits when ~half the cell height and the cell width allow it;
      // below 8 px it would be unreadable, so the colour alone must do.
      const double size = std::min({12.0, cell_h * 0.5, (cell_w - 6) / text_width(shown, 1.0)});
      if (size >= 8)
        text(body, x + cell_w / 2, y + cell_h / 2 + size * 0.35, shown,
             {.size = size, .anchor = "middle", .fill = ink_on(fill), .cls = "value"});
    }
  }

  for (size_t r = 0; r < rows; ++r)
    text(body, gx - 8, gy + cell_h * (static_cast<double>(r) + 0.5) + kTickSize * 0.35,
         m.y_ticks[r], {.anchor = "end", .cls = "ytick"});
  std::vector<double> xs;
  for (size_t c = 0; c < cols; ++c) xs.push_back(gx + cell_w * (static_cast<double>(c) + 0.5));
  x_tick_labels(body, xs, m.x_ticks, gy + grid_h, xt);

  const double bottom = x_axis_title(body, m.x_label, gx, grid_w, gy + grid_h + xt.height);
  y_axis_title(body, m.y_label, gx, ytick_w, gy, gy + grid_h);

  const double lx = gx + grid_w + 24;
  const double legend_bottom =
      heat_legend(body, lx, gy, std::clamp(grid_h, 120.0, 240.0), any_missing, m.decimals);
  const double right = lx + 14 + 7 + text_width(num(1.0, std::max(m.decimals, 1)), kTickSize);

  const double width = std::max(right, kPad + title_width(m.title, m.subtitle)) + kPad;
  const double height = std::max(bottom, legend_bottom) + kPad;
  return document(width, height, std::string(kMissingPattern) + heat_gradient(), body);
}

namespace {

// Okabe-Ito colours (distinguishable with common colour-vision deficiencies),
// minus its yellow, which is too faint on white.
constexpr const char* kSeriesColours[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                          "#e69f00", "#56b4e9", "#000000"};
// Marker shapes cycle on a different period than the colours, so even the
// 8th series differs from the 1st, and lines stay apart in greyscale.
enum class Shape { circle, square, triangle, diamond };
constexpr Shape kShapes[] = {Shape::circle, Shape::square, Shape::triangle, Shape::diamond};

const char* series_colour(size_t i) { return kSeriesColours[i % std::size(kSeriesColours)]; }
Shape series_shape(size_t i) { return kShapes[i % std::size(kShapes)]; }

// A marker centred on (x, y), outlined in white so overlapping points and
// lines stay distinguishable. tip, when given, becomes a hover tooltip.
void marker(std::string& out, Shape shape, double x, double y, const char* colour,
            const std::string& tip) {
  std::string tag, geometry;
  switch (shape) {
    case Shape::circle:
      tag = "circle";
      geometry = "cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"4.5\"";
      break;
    case Shape::square:
      tag = "rect";
      geometry = "x=\"" + num(x - 4) + "\" y=\"" + num(y - 4) + "\" width=\"8\" height=\"8\"";
      break;
    case Shape::triangle:
      tag = "path";
      geometry = "d=\"M" + num(x) + " " + num(y - 5.5) + "L" + num(x + 5) + " " + num(y + 3.5) +
                 "L" + num(x - 5) + " " + num(y + 3.5) + "Z\"";
      break;
    case Shape::diamond:
      tag = "path";
      geometry = "d=\"M" + num(x) + " " + num(y - 5.5) + "L" + num(x + 5.5) + " " + num(y) + "L" +
                 num(x) + " " + num(y + 5.5) + "L" + num(x - 5.5) + " " + num(y) + "Z\"";
      break;
  }
  out += "<" + tag + " class=\"marker\" " + geometry + " fill=\"" + colour +
         "\" stroke=\"#ffffff\" stroke-width=\"1\"";
  out += tip.empty() ? "/>\n" : "><title>" + xml_escape(tip) + "</title></" + tag + ">\n";
}

void check_line_chart(const LineChart& ch) {
  const size_t n = ch.x_ticks.size();
  if (n == 0) throw InputError("line chart: needs at least one x tick");
  if (!ch.x_values.empty()) {
    if (ch.x_values.size() != n)
      throw InputError("line chart: " + std::to_string(ch.x_values.size()) + " x values for " +
                       std::to_string(n) + " x ticks");
    for (double x : ch.x_values)
      if (!(x > 0) || !std::isfinite(x))
        throw InputError("line chart: x values must be positive for a log2 axis");
  }
  for (const auto& s : ch.series)
    if (s.y.size() != n)
      throw InputError("line chart: series '" + s.name + "' has " + std::to_string(s.y.size()) +
                       " points for " + std::to_string(n) + " x ticks");
  if (!std::isfinite(ch.y_min) || !std::isfinite(ch.y_max) || !(ch.y_max > ch.y_min))
    throw InputError("line chart: y range needs y_min < y_max");
}

// Where each x tick sits, measured from the plot's left edge. Log2 when
// x_values are given, evenly spaced otherwise; inset from both edges so end
// markers are not cut by the frame.
std::vector<double> x_positions(const LineChart& ch, double plot_w) {
  const size_t n = ch.x_ticks.size();
  const double inset = 24, span = plot_w - 2 * inset;
  std::vector<double> xs(n, plot_w / 2);
  if (ch.x_values.empty()) {
    for (size_t i = 0; n > 1 && i < n; ++i)
      xs[i] = inset + span * static_cast<double>(i) / static_cast<double>(n - 1);
    return xs;
  }
  const auto [lo_it, hi_it] = std::minmax_element(ch.x_values.begin(), ch.x_values.end());
  const double lo = std::log2(*lo_it), hi = std::log2(*hi_it);
  for (size_t i = 0; hi > lo && i < n; ++i)
    xs[i] = inset + span * (std::log2(ch.x_values[i]) - lo) / (hi - lo);
  return xs;
}

// Closest pair of ticks: how much room a flat tick label has.
double min_spacing(std::vector<double> xs, double plot_w) {
  std::sort(xs.begin(), xs.end());
  double gap = plot_w;
  for (size_t i = 1; i < xs.size(); ++i) gap = std::min(gap, xs[i] - xs[i - 1]);
  return gap;
}

// A "nice" step (1, 2, 2.5 or 5 times a power of ten) giving about 5 intervals.
double nice_step(double range) {
  const double raw = range / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double m = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
  return m * mag;
}

// Fewest decimals that show the step exactly, so labels read 0.25 and 20%, not 0.250 and 20.0%.
int decimals_for(double step) {
  for (int d = 0; d < 6; ++d) {
    const double scaled = step * std::pow(10.0, d);
    if (std::abs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) return d;
  }
  return 6;
}

struct YTick {
  double value;
  std::string label;
};

std::vector<YTick> y_ticks(const LineChart& ch) {
  const double step = nice_step(ch.y_max - ch.y_min);
  const int d = decimals_for(ch.y_percent ? step * 100 : step);
  std::vector<YTick> ticks;
  const auto first = static_cast<long long>(std::ceil(ch.y_min / step - 1e-9));
  const auto last = static_cast<long long>(std::floor(ch.y_max / step + 1e-9));
  for (long long k = first; k <= last; ++k) {
    const double v = static_cast<double>(k) * step;  // k * step, not a running sum: no drift
    ticks.push_back({v, ch.y_percent ? num(v * 100, d) + "%" : num(v, d)});
  }
  return ticks;
}

std::string point_label(const LineChart& ch, double v) {
  return ch.y_percent ? num(v * 100, 1) + "%" : num(v, 3);
}

}  // namespace

std::string line_chart_svg(const LineChart& ch) {
  check_line_chart(ch);
  const size_t n = ch.x_ticks.size();
  const std::vector<YTick> yt = y_ticks(ch);
  double ytick_w = 0;
  for (const auto& t : yt) ytick_w = std::max(ytick_w, text_width(t.label, kTickSize));
  double legend_w = 0;
  for (const auto& s : ch.series) legend_w = std::max(legend_w, 20 + 34 + text_width(s.name, kTickSize));
  // A long title (variant strings are long) sets the picture's width anyway:
  // the plot widens to fill it rather than leaving an empty band right of the legend.
  const double title_room = title_width(ch.title, ch.subtitle) - left_margin(ch.y_label, ytick_w) - legend_w;
  const double plot_w = std::clamp(std::max(80.0 * static_cast<double>(n), title_room), 360.0, 960.0);
  const double plot_h = 360;
  const std::vector<double> rel_x = x_positions(ch, plot_w);
  const XTicks xt = x_tick_layout(ch.x_ticks, min_spacing(rel_x, plot_w));

  std::string body;
  const double py = title_block(body, ch.title, ch.subtitle);
  const double first_x = *std::min_element(rel_x.begin(), rel_x.end());
  const double px = std::max(left_margin(ch.y_label, ytick_w), kPad + xt.reach_left - first_x);
  const auto to_y = [&](double v) {
    return py + plot_h * (1 - (v - ch.y_min) / (ch.y_max - ch.y_min));
  };
  std::vector<double> xs;
  for (double x : rel_x) xs.push_back(px + x);

  // Grid first, so data is drawn over it.
  for (const auto& t : yt) {
    const double y = to_y(t.value);
    line(body, px, y, px + plot_w, y, "#e3e3e3");
    text(body, px - 8, y + kTickSize * 0.35, t.label, {.anchor = "end", .cls = "ytick"});
  }
  for (double x : xs) line(body, x, py, x, py + plot_h, "#f0f0f0");
  line(body, px, py, px, py + plot_h, "#444444");
  line(body, px, py + plot_h, px + plot_w, py + plot_h, "#444444");
  x_tick_labels(body, xs, ch.x_ticks, py + plot_h, xt);

  // Data, clipped to the plot (plus room for a marker at the edge, since
  // accuracy 1.0 sits exactly on the top line) so out-of-range values do not
  // spill over the labels.
  constexpr double kClipSlack = 7;
  const std::string defs = "<clipPath id=\"ab-plot-clip\"><rect x=\"" + num(px - kClipSlack) +
                           "\" y=\"" + num(py - kClipSlack) + "\" width=\"" +
                           num(plot_w + 2 * kClipSlack) + "\" height=\"" +
                           num(plot_h + 2 * kClipSlack) + "\"/></clipPath>\n";
  body += "<g clip-path=\"url(#ab-plot-clip)\">\n";
  for (size_t s = 0; s < ch.series.size(); ++s) {
    const auto& ser = ch.series[s];
    // One path per series; a NaN ends a subpath and the next point starts a
    // new one with M, so missing measurements show as gaps, not as bridges.
    std::string d;
    bool pen_down = false;
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(ser.y[i])) {
        pen_down = false;
        continue;
      }
      d += (d.empty() ? "" : " ") + std::string(pen_down ? "L" : "M") + num(xs[i]) + " " +
           num(to_y(ser.y[i]));
      pen_down = true;
    }
    body += "<path class=\"series\" d=\"" + d + "\" fill=\"none\" stroke=\"" + series_colour(s) +
            "\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n";
  }
  // Markers after all lines, so no line crosses over another series' marker.
  for (size_t s = 0; s < ch.series.size(); ++s) {
    const auto& ser = ch.series[s];
    for (size_t i = 0; i < n; ++i)
      if (std::isfinite(ser.y[i]))
        marker(body, series_shape(s), xs[i], to_y(ser.y[i]), series_colour(s),
               ser.name + " @ " + ch.x_ticks[i] + ": " + point_label(ch, ser.y[i]));
  }
  body += "</g>\n";

  const double bottom = x_axis_title(body, ch.x_label, px, plot_w, py + plot_h + xt.height);
  y_axis_title(body, ch.y_label, px, ytick_w, py, py + plot_h);

  // Legend right of the plot, one row per series: a line sample with its marker.
  const double lx = px + plot_w + 20;
  double right = px + plot_w, legend_bottom = py;
  for (size_t s = 0; s < ch.series.size(); ++s) {
    const double y = py + 10 + 22 * static_cast<double>(s);
    body += "<g class=\"legend-entry\">\n";
    line(body, lx, y, lx + 26, y, series_colour(s), 2);
    marker(body, series_shape(s), lx + 13, y, series_colour(s), "");
    text(body, lx + 34, y + kTickSize * 0.35, ch.series[s].name, {.cls = "legend-label"});
    body += "</g>\n";
    right = std::max(right, lx + 34 + text_width(ch.series[s].name, kTickSize));
    legend_bottom = y + 11;
  }

  const double width = std::max(right, kPad + title_width(ch.title, ch.subtitle)) + kPad;
  const double height = std::max(bottom, legend_bottom) + kPad;
  return document(width, height, defs, body);
}

}  // namespace archbench::results
