// Implementation of the scatter chart (see svg_scatter.hpp).
#include "web/svg_scatter.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "results/svg_plot.hpp"

namespace archbench::web {
namespace {

constexpr double kWidth = 760, kPlotLeft = 90, kPlotRight = 30, kPlotTop = 84, kPlotHeight = 340;
constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s(buf);
  std::replace(s.begin(), s.end(), ',', '.');  // a decimal-comma locale must not break coordinates
  return s;
}

std::string tick_text(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a >= 1e6 || (a > 0 && a < 1e-3)) std::snprintf(buf, sizeof buf, "%.3g", v);
  else std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

struct Axis {
  bool log = false;
  double lo = 0, hi = 1;
  double map(double v, double from, double to) const {
    const double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi, x = log ? std::log10(v) : v;
    return b == a ? (from + to) / 2 : from + (x - a) / (b - a) * (to - from);
  }
  std::vector<double> ticks() const {
    std::vector<double> out;
    if (log) {
      for (const double m : {1.0, 2.0, 5.0}) {
        if (out.size() >= 6) break;
        for (double p = std::floor(std::log10(lo)); p <= std::ceil(std::log10(hi)); ++p)
          if (const double v = m * std::pow(10.0, p); v >= lo * 0.999 && v <= hi * 1.001) out.push_back(v);
      }
      std::sort(out.begin(), out.end());
      if (out.size() >= 3) return out;
      out.clear();  // less than a decade: evenly spaced values, placed on the log scale
    }
    const double span = hi - lo, raw = span / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push_back(v);
    return out;
  }
};

Axis fit(const std::vector<double>& values, bool log) {
  Axis axis{log, 0, 1};
  if (values.empty()) return axis;
  auto [mn, mx] = std::minmax_element(values.begin(), values.end());
  axis.lo = *mn;
  axis.hi = *mx;
  if (log) {
    axis.lo /= 1.5;
    axis.hi *= 1.5;
  } else {
    const double pad = axis.hi > axis.lo ? (axis.hi - axis.lo) * 0.08 : std::max(std::fabs(axis.hi) * 0.1, 1.0);
    axis.lo = axis.lo >= 0 && axis.lo - pad < 0 ? 0 : axis.lo - pad;
    axis.hi += pad;
  }
  return axis;
}

std::string text(double x, double y, const std::string& s, const char* extra = "", int size = 12) {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + std::to_string(size) + "\"" + extra + ">" +
         results::xml_escape(s) + "</text>\n";
}

}  // namespace

std::string scatter_svg(const ScatterChart& chart) {
  std::vector<const ScatterPoint*> drawn;
  std::vector<double> xs, ys;
  for (const ScatterPoint& p : chart.points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || (chart.log_x && p.x <= 0) || (chart.log_y && p.y <= 0)) continue;
    drawn.push_back(&p);
    xs.push_back(p.x);
    ys.push_back(p.y);
  }
  const double px0 = kPlotLeft, px1 = kWidth - kPlotRight, py0 = kPlotTop, py1 = kPlotTop + kPlotHeight;
  const double height = py1 + 70 + (chart.note.empty() ? 0 : 18);
  std::string body;
  body += text(16, 26, chart.title, " font-weight=\"bold\" class=\"title\"", 16);
  if (!chart.subtitle.empty()) body += text(16, 46, chart.subtitle, " fill=\"#555555\" class=\"subtitle\"");
  body += "<rect x=\"" + num(px0) + "\" y=\"" + num(py0) + "\" width=\"" + num(px1 - px0) + "\" height=\"" +
          num(py1 - py0) + "\" fill=\"none\" stroke=\"#888888\"/>\n";
  if (drawn.empty()) {
    body += text((px0 + px1) / 2, (py0 + py1) / 2, "no points to draw", " text-anchor=\"middle\" fill=\"#555555\"");
  } else {
    const Axis ax = fit(xs, chart.log_x), ay = fit(ys, chart.log_y);
    for (double t : ax.ticks()) {
      if (chart.x_whole && t != std::floor(t)) continue;
      const double x = ax.map(t, px0, px1);
      body += "<line x1=\"" + num(x) + "\" y1=\"" + num(py0) + "\" x2=\"" + num(x) + "\" y2=\"" + num(py1) +
              "\" stroke=\"#e6e6e6\"/>\n" + text(x, py1 + 16, tick_text(t), " text-anchor=\"middle\" class=\"xtick\"");
    }
    for (double t : ay.ticks()) {
      const double y = ay.map(t, py1, py0);
      body += "<line x1=\"" + num(px0) + "\" y1=\"" + num(y) + "\" x2=\"" + num(px1) + "\" y2=\"" + num(y) +
              "\" stroke=\"#e6e6e6\"/>\n" + text(px0 - 6, y + 4, tick_text(t), " text-anchor=\"end\" class=\"ytick\"");
    }
    for (const ScatterPoint* p : drawn) {
      const double x = ax.map(p->x, px0, px1), y = ay.map(p->y, py1, py0);
      const double r = 4 + 10 * std::sqrt(std::clamp(p->size, 0.0, 1.0));
      const char* colour = kPalette[p->series % std::size(kPalette)];
      body += "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"" + num(r) + "\" fill=\"" + colour +
              "\" fill-opacity=\"0.55\" stroke=\"" + (p->marked ? "#000000" : colour) + "\" stroke-width=\"" +
              (p->marked ? "2.5" : "1") + "\" class=\"point\"/>\n";
      if (!p->label.empty()) {  // beside the point, on the side with more room
        const std::string label = p->label.size() > 48 ? p->label.substr(0, 45) + "..." : p->label;
        const bool left = x > (px0 + px1) / 2;
        body += text(left ? x - r - 3 : x + r + 3, y + 4, label,
                     left ? " text-anchor=\"end\" class=\"label\"" : " class=\"label\"", 10);
      }
    }
  }
  body += text((px0 + px1) / 2, py1 + 36, chart.x_label, " text-anchor=\"middle\"", 13);
  body += "<text x=\"18\" y=\"" + num((py0 + py1) / 2) + "\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 18 " +
          num((py0 + py1) / 2) + ")\">" + results::xml_escape(chart.y_label) + "</text>\n";
  // The legend: one row above the plot, so the plot keeps the whole width.
  double lx = px0;
  for (size_t s = 0; s < chart.series.size(); ++s) {
    body += "<circle cx=\"" + num(lx + 5) + "\" cy=\"" + num(py0 - 12) + "\" r=\"5\" fill=\"" +
            kPalette[s % std::size(kPalette)] + "\"/>\n" + text(lx + 14, py0 - 8, chart.series[s], " class=\"legend\"");
    lx += 14 + 7.5 * double(chart.series[s].size()) + 24;
  }
  if (!chart.note.empty()) body += text(16, py1 + 58, chart.note, " fill=\"#555555\" class=\"note\"");
  const std::string w = num(kWidth), h = num(height);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" +
         w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h +
         "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" fill=\"#222222\">\n<rect width=\"" + w +
         "\" height=\"" + h + "\" fill=\"#ffffff\"/>\n" + body + "</svg>\n";
}

}  // namespace archbench::web
