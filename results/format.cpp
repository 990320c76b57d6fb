// Implementation of the output formats (see format.hpp).
#include "results/format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "harness/errors.hpp"

namespace archbench::results {
namespace {

bool is_number(const Cell& c) {
  return std::holds_alternative<int64_t>(c) || std::holds_alternative<double>(c);
}

// Right-align a column only when it holds numbers (and nothing but NULLs besides).
std::vector<bool> numeric_columns(const QueryResult& r) {
  std::vector<bool> numeric(r.columns.size(), false);
  for (size_t c = 0; c < r.columns.size(); ++c) {
    bool any = false, all = true;
    for (const auto& row : r.rows) {
      if (c >= row.size() || std::holds_alternative<std::monostate>(row[c])) continue;
      any = true;
      all = all && is_number(row[c]);
    }
    numeric[c] = any && all;
  }
  return numeric;
}

// Full precision for machine-readable output: the shortest text that reads back
// to the same double.
std::string exact_number(double x) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, res.ptr);
}

// Display width: count UTF-8 code points, not bytes, so names with non-ASCII
// characters still line up.
size_t width(const std::string& s) {
  size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

// Table cells stay on one line.
std::string one_line(std::string s) {
  for (char& ch : s)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  return s;
}

const Cell& cell_at(const std::vector<Cell>& row, size_t c) {
  static const Cell kNull;
  return c < row.size() ? row[c] : kNull;
}

std::string render_table(const QueryResult& r) {
  const auto numeric = numeric_columns(r);
  const size_t n = r.columns.size();
  std::vector<std::vector<std::string>> text;
  std::vector<size_t> w(n);
  for (size_t c = 0; c < n; ++c) w[c] = width(r.columns[c]);
  for (const auto& row : r.rows) {
    auto& line = text.emplace_back();
    for (size_t c = 0; c < n; ++c) {
      line.push_back(one_line(display_cell(cell_at(row, c))));
      w[c] = std::max(w[c], width(line.back()));
    }
  }
  auto emit = [&](const std::vector<std::string>& cells, std::string& out) {
    std::string line;
    for (size_t c = 0; c < n; ++c) {
      std::string pad(w[c] - width(cells[c]), ' ');
      if (c) line += "  ";
      line += numeric[c] ? pad + cells[c] : cells[c] + pad;
    }
    line.erase(line.find_last_not_of(' ') + 1);  // npos + 1 == 0 clears an all-blank line
    out += line + '\n';
  };
  std::string out;
  emit(r.columns, out);
  std::vector<std::string> rule;
  for (size_t c = 0; c < n; ++c) rule.emplace_back(w[c], '-');
  emit(rule, out);
  for (const auto& line : text) emit(line, out);
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + '"';
}

std::string render_csv(const QueryResult& r) {
  auto cell_text = [](const Cell& c) -> std::string {
    if (auto* d = std::get_if<double>(&c)) return exact_number(*d);
    if (auto* i = std::get_if<int64_t>(&c)) return std::to_string(*i);
    if (auto* s = std::get_if<std::string>(&c)) return *s;
    return "";
  };
  std::string out;
  for (size_t c = 0; c < r.columns.size(); ++c) out += (c ? "," : "") + csv_field(r.columns[c]);
  out += '\n';
  for (const auto& row : r.rows) {
    for (size_t c = 0; c < r.columns.size(); ++c)
      out += (c ? "," : "") + csv_field(cell_text(cell_at(row, c)));
    out += '\n';
  }
  return out;
}

nlohmann::ordered_json json_rows(const QueryResult& r) {
  // ordered_json keeps the query's column order instead of sorting the keys.
  auto arr = nlohmann::ordered_json::array();
  for (const auto& row : r.rows) {
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    for (size_t c = 0; c < r.columns.size(); ++c) {
      const Cell& v = cell_at(row, c);
      auto& slot = obj[r.columns[c]];
      if (auto* i = std::get_if<int64_t>(&v)) slot = *i;
      else if (auto* d = std::get_if<double>(&v)) slot = *d;  // NaN/inf print as null
      else if (auto* s = std::get_if<std::string>(&v)) slot = *s;
      else slot = nullptr;
    }
    arr.push_back(std::move(obj));
  }
  return arr;
}

std::string render_json(const QueryResult& r) {
  // replace: a BLOB or invalid UTF-8 must not abort the whole output
  return json_rows(r).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + '\n';
}

// One object per line, no header: for streaming tools (`jq -c`, pandas lines=True).
std::string render_jsonl(const QueryResult& r) {
  std::string out;
  for (const auto& obj : json_rows(r)) out += obj.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + '\n';
  return out;
}

std::string md_cell(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') out += "\\|";
    else if (ch == '\n') out += "<br>";
    else if (ch != '\r') out += ch;
  }
  return out;
}

std::string render_md(const QueryResult& r) {
  const auto numeric = numeric_columns(r);
  std::string head = "|", sep = "|";
  for (size_t c = 0; c < r.columns.size(); ++c) {
    head += " " + md_cell(r.columns[c]) + " |";
    sep += numeric[c] ? " ---: |" : " --- |";
  }
  std::string out = head + '\n' + sep + '\n';
  for (const auto& row : r.rows) {
    std::string line = "|";
    for (size_t c = 0; c < r.columns.size(); ++c)
      line += " " + md_cell(display_cell(cell_at(row, c))) + " |";
    out += line + '\n';
  }
  return out;
}

}  // namespace

Format parse_format(const std::string& name) {
  if (name == "table") return Format::table;
  if (name == "csv") return Format::csv;
  if (name == "json") return Format::json;
  if (name == "jsonl") return Format::jsonl;
  if (name == "md") return Format::md;
  throw InputError("--format: '" + name + "' is not one of table, csv, json, jsonl, md");
}

std::string display_cell(const Cell& cell) {
  if (auto* i = std::get_if<int64_t>(&cell)) return std::to_string(*i);
  if (auto* s = std::get_if<std::string>(&cell)) return *s;
  auto* d = std::get_if<double>(&cell);
  if (!d) return "";
  const double x = *d, a = std::fabs(x);
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  // %.4g would turn 123456 tokens/s into 1.235e+05; print big values whole instead.
  if (a >= 1e4 && a < 1e15) std::snprintf(buf, sizeof buf, "%.0f", x);
  else std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

std::string format(const QueryResult& result, Format fmt) {
  switch (fmt) {
    case Format::csv: return render_csv(result);
    case Format::json: return render_json(result);
    case Format::jsonl: return render_jsonl(result);
    case Format::md: return render_md(result);
    case Format::table: break;
  }
  return render_table(result);
}

}  // namespace archbench::results
