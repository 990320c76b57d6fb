// Fitting a leaderboard to the terminal (see table_view.hpp).
#include "results/table_view.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "harness/errors.hpp"
#include "results/format.hpp"

namespace archbench::results {
namespace {

size_t index_of(const QueryResult& r, const std::string& name) {
  return size_t(std::find(r.columns.begin(), r.columns.end(), name) - r.columns.begin());
}

void drop_column(QueryResult& r, size_t c) {
  r.columns.erase(r.columns.begin() + long(c));
  for (auto& row : r.rows) row.erase(row.begin() + long(c));
}

bool empty_cell(const Cell& cell) {
  if (std::holds_alternative<std::monostate>(cell)) return true;
  if (const auto* s = std::get_if<std::string>(&cell)) return s->empty();
  return false;
}

double cell_number(const Cell& cell) {
  if (const auto* v = std::get_if<double>(&cell)) return *v;
  if (const auto* v = std::get_if<int64_t>(&cell)) return double(*v);
  return std::nan("");
}

bool equals(const Cell& cell, double value) {
  if (const auto* v = std::get_if<double>(&cell)) return *v == value;
  if (const auto* v = std::get_if<int64_t>(&cell)) return double(*v) == value;
  return false;
}

// Columns that say nothing on this board: every cell empty, or the same
// uninformative value everywhere (speed_vs_cpu of a CPU-only board, a zero cache).
void drop_silent_columns(QueryResult& r) {
  for (size_t c = r.columns.size(); c-- > 0;) {
    const std::string& name = r.columns[c];
    const bool silent = std::all_of(r.rows.begin(), r.rows.end(), [&](const std::vector<Cell>& row) {
      return empty_cell(row[c]) || (name == "speed_vs_cpu" && equals(row[c], 1)) ||
             ((name == "kv_cache_bytes_per_token" || name == "quick") && equals(row[c], 0));
    });
    if (silent && !r.rows.empty()) drop_column(r, c);
  }
}

// rank + tied -> "2=", and ci95_low_ms + ci95_high_ms -> one "0.061-0.066" cell.
void merge_rank_and_interval(QueryResult& r) {
  const size_t rank = index_of(r, "rank"), tied = index_of(r, "tied");
  if (rank < r.columns.size() && tied < r.columns.size()) {
    for (auto& row : r.rows)
      if (!empty_cell(row[rank])) row[rank] = display_cell(row[rank]) + (equals(row[tied], 1) ? "=" : "");
    drop_column(r, tied);
  }
  const size_t low = index_of(r, "ci95_low_ms"), high = index_of(r, "ci95_high_ms");
  if (low < r.columns.size() && high < r.columns.size()) {
    for (auto& row : r.rows)
      row[low] = empty_cell(row[low]) ? Cell{} : Cell{display_cell(row[low]) + "-" + display_cell(row[high])};
    r.columns[low] = "ci95_ms";
    drop_column(r, high);
  }
}

// Rows that ran a reference fallback get "!" before their design; the long impl
// list itself stays in csv/json.
bool mark_reference_fallbacks(QueryResult& r) {
  const size_t impl = index_of(r, "impl"), design = index_of(r, "design");
  if (impl >= r.columns.size()) return false;
  bool any = false;
  for (auto& row : r.rows) {
    const auto* text = std::get_if<std::string>(&row[impl]);
    if (!text || !has_reference_fallback(*text) || design >= r.columns.size()) continue;
    row[design] = "!" + display_cell(row[design]);
    any = true;
  }
  drop_column(r, impl);
  return any;
}

// Dot-separated tokens every row of a kind shares in `column` tell its rows nothing:
// they are taken out of each cell (the part before ':' stays: the variant) and
// listed for the note, per kind ("attention shape tokens b1.dm0"). A cell left
// without tokens keeps its prefix, or "(all)".
std::vector<std::string> elide_common_tokens(QueryResult& r, const std::string& name) {
  const size_t c = index_of(r, name), kind = index_of(r, "kind");
  std::vector<std::string> notes;
  if (c >= r.columns.size()) return notes;
  struct Split {
    std::string prefix;
    std::vector<std::string> tokens;
  };
  std::map<std::string, std::vector<size_t>> by_kind;  // kind -> rows ("" without a kind column)
  for (size_t i = 0; i < r.rows.size(); ++i) by_kind[kind < r.columns.size() ? display_cell(r.rows[i][kind]) : ""].push_back(i);
  for (const auto& [kind_name, rows] : by_kind) {
    if (rows.size() < 2) continue;
    std::vector<Split> cells;
    for (size_t i : rows) {
      const std::string text = display_cell(r.rows[i][c]);
      Split split;
      const size_t colon = text.find(':');
      std::string rest = text;
      if (colon != std::string::npos) {
        split.prefix = text.substr(0, colon);
        rest = text.substr(colon + 1);
      }
      std::istringstream parts(rest);
      for (std::string token; std::getline(parts, token, '.');)
        if (!token.empty()) split.tokens.push_back(token);
      cells.push_back(std::move(split));
    }
    std::vector<std::string> shared;
    for (const std::string& token : cells[0].tokens)
      if (std::all_of(cells.begin(), cells.end(), [&](const Split& s) {
            return std::find(s.tokens.begin(), s.tokens.end(), token) != s.tokens.end();
          }) && std::find(shared.begin(), shared.end(), token) == shared.end())
        shared.push_back(token);
    if (shared.empty()) continue;
    for (size_t k = 0; k < rows.size(); ++k) {
      std::string kept;
      for (const std::string& token : cells[k].tokens)
        if (std::find(shared.begin(), shared.end(), token) == shared.end()) kept += (kept.empty() ? "" : ".") + token;
      const std::string& prefix = cells[k].prefix;
      r.rows[rows[k]][c] = prefix.empty() ? (kept.empty() ? std::string("(all)") : kept)
                                          : (kept.empty() ? prefix : prefix + ":" + kept);
    }
    std::string list;
    for (const std::string& token : shared) list += (list.empty() ? "" : ".") + token;
    notes.push_back((kind_name.empty() ? "" : kind_name + " ") + name + " tokens " + list);
  }
  return notes;
}

// A column with one value on every row (kind, backend) goes to the note.
std::string drop_if_constant(QueryResult& r, const std::string& name) {
  const size_t c = index_of(r, name);
  if (c >= r.columns.size() || r.rows.size() < 2) return "";
  const std::string first = display_cell(r.rows[0][c]);
  for (const auto& row : r.rows)
    if (display_cell(row[c]) != first) return "";
  drop_column(r, c);
  return first;
}

}  // namespace

bool has_reference_fallback(const std::string& implementations) {
  std::istringstream list(implementations);
  for (std::string entry; std::getline(list, entry, ',');) {
    const size_t colon = entry.find(':');
    if (colon != std::string::npos && entry.compare(colon + 1, 3, "ref") == 0) return true;
  }
  return false;
}

size_t table_width(const QueryResult& result) {
  std::istringstream lines(format(result, Format::table));
  size_t widest = 0;
  for (std::string line; std::getline(lines, line);) widest = std::max(widest, line.size());
  return widest;
}

TableView fit_leaderboard(const QueryResult& board, size_t width) {
  TableView view;
  view.table = board;
  QueryResult& t = view.table;
  merge_rank_and_interval(t);
  // Tables print the compact design (non-default parameters); csv/json keep both.
  if (const size_t full = index_of(t, "design"), compact = index_of(t, "design_short");
      full < t.columns.size() && compact < t.columns.size()) {
    for (auto& row : t.rows) row[full] = row[compact];
    drop_column(t, compact);
  }
  // What every row shares says nothing row by row: it moves to the note (tokens
  // first, while the kind column still says which rows share them).
  for (const char* name : {"shape", "design"})
    for (const std::string& note : elide_common_tokens(t, name)) view.common.push_back(note);
  for (const char* name : {"kind", "backend", "quick"})
    if (const std::string value = drop_if_constant(t, name); !value.empty()) view.common.push_back(std::string(name) + " " + value);
  view.reference_fallback = mark_reference_fallbacks(t);
  drop_silent_columns(t);
  // Least useful first (what csv keeps for tools, derived figures); the design
  // strings are cut in steps between, and the interval goes last of all.
  auto drop = [&](std::initializer_list<const char*> names) {
    for (const char* name : names) {
      if (table_width(t) <= width) return;
      const size_t c = index_of(t, name);
      if (c >= t.columns.size()) continue;
      drop_column(t, c);
      view.hidden.push_back(name);
    }
  };
  const size_t design = index_of(t, "design");
  auto cut_designs = [&](size_t shortest) {  // from the end: the variant name stays readable
    if (design >= t.columns.size() || table_width(t) <= width) return;
    size_t longest = 0;
    for (const auto& row : t.rows) longest = std::max(longest, display_cell(row[design]).size());
    const size_t excess = table_width(t) - width;
    const size_t keep = std::max(shortest, longest > excess ? longest - excess : shortest);
    for (auto& row : t.rows) {
      const std::string text = display_cell(row[design]);
      if (text.size() > keep) {
        row[design] = text.substr(0, keep - 2) + "..";
        view.shortened = true;
      }
    }
  };
  drop({"run_id", "frac_peak_bandwidth", "needle_task", "frac_peak_compute", "gflops", "kv_cache_bytes_per_token", "device"});
  cut_designs(40);
  drop({"cv", "eff_context", "nmse", "needle_acc"});
  cut_designs(28);
  drop({"median_ms"});     // ci95_ms brackets it
  drop({"speed_vs_cpu"});  // worth a shorter design: backends side by side
  cut_designs(16);
  drop({"ci95_ms"});
  return view;
}

std::vector<std::string> board_warnings(const QueryResult& board, double high_cv) {
  std::vector<std::string> out;
  auto count_where = [&](const char* name, auto&& predicate) {
    const size_t c = index_of(board, name);
    if (c >= board.columns.size()) return 0;
    int n = 0;
    for (const auto& row : board.rows)
      if (const double v = cell_number(row[c]); !std::isnan(v) && predicate(v)) ++n;
    return n;
  };
  if (const int n = count_where("cv", [&](double v) { return v > high_cv; }))
    out.push_back("warning: " + std::to_string(n) + " result(s) have cv above " + display_cell(Cell{high_cv * 100}) +
                  "% (noisy timings; see ci95_ms): rerun on a quiet machine or with more --repetitions");
  if (const int n = count_where("frac_peak_bandwidth", [](double v) { return v > 1; }))
    out.push_back("warning: " + std::to_string(n) + " result(s) move data faster than the calibrated memory bandwidth "
                  "(frac_peak_bandwidth > 1): their data is cache-resident, so their GB/s is not memory bandwidth");
  if (const size_t impl = index_of(board, "impl"); impl < board.columns.size()) {
    int n = 0;
    for (const auto& row : board.rows)
      if (const auto* text = std::get_if<std::string>(&row[impl]); text && has_reference_fallback(*text)) ++n;
    if (n)
      out.push_back("warning: " + std::to_string(n) + " result(s) ran a oneDNN primitive on its reference implementation "
                    "('ref...' in impl): a slow fallback, not what this CPU can do");
  }
  if (const int n = count_where("quick", [](double v) { return v == 1; }))
    out.push_back("note: " + std::to_string(n) + " result(s) come from --quick runs (no careful result of those problems; quick = 1 in csv/json)");
  return out;
}

namespace {

// Word-wraps each line of `text` to `width` columns, so notes fit like the table.
std::string wrapped(const std::string& text, size_t width) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::string current;
    std::istringstream words(line);
    for (std::string word; words >> word;) {
      if (!current.empty() && current.size() + 1 + word.size() > width) {
        out += current + "\n";
        current = " " + word;  // continuation lines indented by one
      } else {
        current += (current.empty() ? "" : " ") + word;
      }
    }
    out += current + "\n";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace

std::string TableView::note(size_t width) const {
  return wrapped(unwrapped_note(width), width);
}

std::string TableView::unwrapped_note(size_t width) const {
  std::string shared;
  for (const std::string& item : common) shared += (shared.empty() ? "(every row: " : "; ") + item;
  if (!shared.empty()) shared += ")\n";
  std::string fallback = reference_fallback ? "(! before a design: a oneDNN primitive ran its reference implementation, "
                                              "often 100x slower; impl in csv/json)" : "";
  if (hidden.empty() && !shortened) {
    const std::string out = shared + fallback;
    return out.empty() || out.back() != '\n' ? out : out.substr(0, out.size() - 1);
  }
  if (!fallback.empty()) fallback += "\n";
  std::string text = "(to fit " + std::to_string(width) + " columns";
  if (!hidden.empty()) {
    text += ", hidden:";
    for (size_t i = 0; i < hidden.size(); ++i) text += (i ? ", " : " ") + hidden[i];
  }
  if (shortened) text += std::string(hidden.empty() ? "" : ";") + " design strings cut with '..'";
  return shared + fallback + text + "; --columns or --format csv shows everything)";
}

QueryResult select_columns(const QueryResult& result, const std::string& columns) {
  std::vector<size_t> picked;
  std::istringstream list(columns);
  for (std::string name; std::getline(list, name, ',');) {
    const size_t c = index_of(result, name);
    if (c >= result.columns.size()) {
      std::string known;
      for (const auto& k : result.columns) known += (known.empty() ? "" : ", ") + k;
      throw InputError("--columns: '" + name + "' is not one of " + known);
    }
    picked.push_back(c);
  }
  if (picked.empty()) throw InputError("--columns: expected a comma list of column names, got ''");
  QueryResult out;
  for (size_t c : picked) out.columns.push_back(result.columns[c]);
  for (const auto& row : result.rows) {
    std::vector<Cell> cells;
    for (size_t c : picked) cells.push_back(row[c]);
    out.rows.push_back(std::move(cells));
  }
  return out;
}

}  // namespace archbench::results
