// Tests for results/svg_plot: the heatmap and line chart are checked for
// structure (one element per cell or series, the right colours, gaps at NaN),
// escaping, determinism and, when xmllint is installed, well-formed XML.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "harness/errors.hpp"
#include "results/svg_plot.hpp"
#include "test_support.hpp"

using namespace archbench::results;
using archbench::InputError;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

// Every match of group 1 of `pattern`, in document order.
std::vector<std::string> captures(const std::string& svg, const std::string& pattern) {
  std::vector<std::string> out;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator();
       ++it)
    out.push_back((*it)[1].str());
  return out;
}

// Well-formedness through xmllint when the machine has it; otherwise the check
// is skipped (the structural checks above it still run).
void check_parses_as_xml(const std::string& svg) {
  if (std::system("command -v xmllint >/dev/null 2>&1") != 0) {
    WARN("xmllint not installed: XML well-formedness not checked");
    return;
  }
  test_support::TempDir dir;
  const std::string path = dir.file("chart.svg");
  std::ofstream(path) << svg;
  const std::string command = "xmllint --noout '" + path + "' 2>&1";
  CHECK(std::system(command.c_str()) == 0);
}

// 2 rows x 3 columns, one cell missing.
Heatmap small_heatmap() {
  Heatmap m;
  m.title = "Needle retrieval";
  m.subtitle = "sliding window 4K";
  m.x_label = "Context length";
  m.y_label = "Needle depth";
  m.x_ticks = {"1K", "2K", "4K"};
  m.y_ticks = {"0%", "100%"};
  m.values = {0.0, 0.5, 1.0, kNaN, 0.25, 1.0};
  return m;
}

LineChart small_chart() {
  LineChart c;
  c.title = "Multi-hop accuracy";
  c.x_label = "Context";
  c.y_label = "Accuracy";
  c.x_ticks = {"1K", "2K", "4K", "8K"};
  c.series = {{"1 hop", {1.0, 0.9, 0.8, 0.7}},
              {"2 hops", {0.9, kNaN, 0.6, 0.5}},
              {"3 hops", {0.8, 0.6, 0.4, 0.2}}};
  return c;
}

}  // namespace

TEST_CASE("svg heat colours run red through yellow to green") {
  CHECK(heat_colour(0.0) == "#d73027");
  CHECK(heat_colour(0.5) == "#fee08b");
  CHECK(heat_colour(1.0) == "#1a9850");
  CHECK(heat_colour(-3.0) == heat_colour(0.0));
  CHECK(heat_colour(7.0) == heat_colour(1.0));
  CHECK(heat_colour(0.25) != heat_colour(0.0));
  CHECK(heat_colour(kNaN) == "#e4e4e4");
}

TEST_CASE("svg xml_escape covers markup and quotes and drops control characters") {
  CHECK(xml_escape("a & b <c> \"d\" 'e'") == "a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;");
  CHECK(xml_escape(std::string("x\x01y\tz")) == "xy\tz");
  CHECK(xml_escape("plain 128K") == "plain 128K");
}

TEST_CASE("svg heatmap is a standalone SVG document") {
  const std::string svg = heatmap_svg(small_heatmap());
  CHECK(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 0) == 0);
  CHECK(svg.find("xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
  CHECK(svg.find("version=\"1.1\"") != std::string::npos);
  CHECK(std::regex_search(svg, std::regex("<svg [^>]*width=\"\\d+\" height=\"\\d+\" "
                                          "viewBox=\"0 0 \\d+ \\d+\"")));
  CHECK(svg.find("sans-serif") != std::string::npos);
  CHECK(svg.substr(svg.size() - 7) == "</svg>\n");
  check_parses_as_xml(svg);
}

TEST_CASE("svg heatmap draws one rect per cell with the value's colour") {
  const std::string svg = heatmap_svg(small_heatmap());
  const auto fills = captures(svg, "<rect class=\"cell[^\"]*\"[^>]* fill=\"([^\"]+)\"");
  REQUIRE(fills.size() == 6);
  CHECK(fills[0] == heat_colour(0.0));
  CHECK(fills[1] == heat_colour(0.5));
  CHECK(fills[2] == heat_colour(1.0));
  CHECK(fills[3] == "url(#ab-missing)");
  CHECK(fills[4] == heat_colour(0.25));
  CHECK(fills[5] == heat_colour(1.0));
  // Values are printed in the cells (the grid is small, so cells are large).
  const auto values = captures(svg, "<text class=\"value\"[^>]*>([^<]*)</text>");
  CHECK(values == std::vector<std::string>{"0.00", "0.50", "1.00", "0.25", "1.00"});
}

TEST_CASE("svg heatmap styles a NaN cell as missing and explains it in the legend") {
  const std::string svg = heatmap_svg(small_heatmap());
  CHECK(count(svg, "class=\"cell missing\"") == 1);
  CHECK(svg.find("<pattern id=\"ab-missing\"") != std::string::npos);
  CHECK(svg.find("class=\"legend-missing\"") != std::string::npos);
  CHECK(svg.find(">n/a</text>") != std::string::npos);
  CHECK(svg.find("fill=\"url(#ab-heat)\"") != std::string::npos);  // the colour bar

  Heatmap full = small_heatmap();
  full.values[3] = 0.75;
  const std::string no_gaps = heatmap_svg(full);
  CHECK(count(no_gaps, "class=\"cell missing\"") == 0);
  CHECK(no_gaps.find("class=\"legend-missing\"") == std::string::npos);
}

TEST_CASE("svg heatmap prints titles and tick labels escaped") {
  Heatmap m = small_heatmap();
  m.title = "Recall <ours> & theirs";
  m.subtitle = "model \"x\"";
  m.x_ticks[0] = "1K<";
  const std::string svg = heatmap_svg(m);
  CHECK(svg.find(">Recall &lt;ours&gt; &amp; theirs</text>") != std::string::npos);
  CHECK(svg.find(">model &quot;x&quot;</text>") != std::string::npos);
  CHECK(svg.find(">1K&lt;</text>") != std::string::npos);
  CHECK(svg.find("<ours>") == std::string::npos);
  for (const char* label : {">Context length</text>", ">Needle depth</text>", ">2K</text>",
                            ">100%</text>"}) {
    INFO(label);
    CHECK(svg.find(label) != std::string::npos);
  }
  check_parses_as_xml(svg);
}

TEST_CASE("svg heatmap output is deterministic") {
  CHECK(heatmap_svg(small_heatmap()) == heatmap_svg(small_heatmap()));
  CHECK(line_chart_svg(small_chart()) == line_chart_svg(small_chart()));
}

TEST_CASE("svg heatmap leaves values out of cells too small to hold them") {
  Heatmap m;
  m.x_ticks.assign(60, "x");
  m.y_ticks.assign(40, "y");
  m.values.assign(60 * 40, 0.5);
  const std::string svg = heatmap_svg(m);
  CHECK(count(svg, "<rect class=\"cell\"") == 60 * 40);
  CHECK(count(svg, "class=\"value\"") == 0);
}

TEST_CASE("svg heatmap rejects mismatched sizes") {
  Heatmap m = small_heatmap();
  m.values.pop_back();
  CHECK_THROWS_AS(heatmap_svg(m), InputError);
  m = small_heatmap();
  m.y_ticks.clear();
  CHECK_THROWS_AS(heatmap_svg(m), InputError);
}

TEST_CASE("svg line chart draws one path per series with a legend entry each") {
  const std::string svg = line_chart_svg(small_chart());
  CHECK(count(svg, "<path class=\"series\"") == 3);
  CHECK(count(svg, "class=\"legend-entry\"") == 3);
  for (const char* name : {">1 hop</text>", ">2 hops</text>", ">3 hops</text>"})
    CHECK(svg.find(name) != std::string::npos);
  // 11 markers: 4 + 3 (one NaN) + 4 in the plot, and one per legend entry.
  CHECK(count(svg, "class=\"marker\"") == 11 + 3);
  for (const char* label : {">Multi-hop accuracy</text>", ">Context</text>", ">Accuracy</text>",
                            ">8K</text>"})
    CHECK(svg.find(label) != std::string::npos);
  check_parses_as_xml(svg);
}

TEST_CASE("svg line chart breaks a series at NaN") {
  const auto paths = captures(line_chart_svg(small_chart()), "<path class=\"series\" d=\"([^\"]*)\"");
  REQUIRE(paths.size() == 3);
  CHECK(count(paths[0], "M") == 1);
  CHECK(count(paths[0], "L") == 3);
  CHECK(count(paths[1], "M") == 2);  // 1K, then a gap at 2K, then 4K-8K
  CHECK(count(paths[1], "L") == 1);
  CHECK(paths[1].rfind("M", 0) == 0);
}

TEST_CASE("svg line chart y axis has percent ticks and gridlines over the range") {
  const std::string svg = line_chart_svg(small_chart());
  const auto labels = captures(svg, "<text class=\"ytick\"[^>]*>([^<]*)</text>");
  CHECK(labels == std::vector<std::string>{"0%", "20%", "40%", "60%", "80%", "100%"});

  LineChart c = small_chart();
  c.y_percent = false;
  c.y_min = 0.5;
  c.y_max = 1.0;
  const auto plain = captures(line_chart_svg(c), "<text class=\"ytick\"[^>]*>([^<]*)</text>");
  CHECK(plain == std::vector<std::string>{"0.5", "0.6", "0.7", "0.8", "0.9", "1.0"});
}

TEST_CASE("svg line chart spaces x_values on a log2 scale") {
  LineChart c = small_chart();
  c.x_ticks = {"1K", "2K", "3K", "4K"};
  c.x_values = {1024, 2048, 3072, 4096};
  const auto xs = captures(line_chart_svg(c), "<text class=\"xtick\" x=\"([0-9.]+)\"");
  REQUIRE(xs.size() == 4);
  const double x1 = std::stod(xs[0]), x2 = std::stod(xs[1]), x3 = std::stod(xs[2]),
               x4 = std::stod(xs[3]);
  CHECK(x3 > x2);
  CHECK(x4 - x2 == Approx(x2 - x1).margin(0.2));              // 1K->2K as wide as 2K->4K
  CHECK((x3 - x2) / (x4 - x2) == Approx(std::log2(1.5)).epsilon(0.01));
}

TEST_CASE("svg line chart escapes series names and rejects bad input") {
  LineChart c = small_chart();
  c.series[0].name = "hops <= 1 & \"short\"";
  const std::string svg = line_chart_svg(c);
  CHECK(svg.find(">hops &lt;= 1 &amp; &quot;short&quot;</text>") != std::string::npos);
  check_parses_as_xml(svg);

  c = small_chart();
  c.series[1].y.pop_back();
  CHECK_THROWS_AS(line_chart_svg(c), InputError);
  c = small_chart();
  c.x_values = {1024, 0, 4096, 8192};
  CHECK_THROWS_AS(line_chart_svg(c), InputError);
  c = small_chart();
  c.y_max = c.y_min;
  CHECK_THROWS_AS(line_chart_svg(c), InputError);
}
