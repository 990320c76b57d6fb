// The growth pivot (see growth.hpp): SQL picks the latest result per problem
// and backend, C++ reads the parameter from problem_params and pivots.
#include "results/growth.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "harness/errors.hpp"
#include "results/format.hpp"
#include "results/leaderboard.hpp"

namespace archbench::results {
namespace {

// The metric becomes a column name spliced into SQL, so it must be one of these.
const std::string& checked_metric(const std::string& name) {
  static const std::vector<std::string> metrics = growth_metrics();
  for (const auto& m : metrics)
    if (m == name) return m;
  std::string list;
  for (const auto& m : metrics) list += (list.empty() ? "" : ", ") + m;
  throw InputError("--metric: '" + name + "' is not one of " + list);
}

// A column of the pivot: one value of the parameter. Numbers sort numerically,
// before strings (enums such as mode), which sort as text.
struct ColumnValue {
  bool is_text = false;
  double number = 0;
  std::string text;
  bool operator<(const ColumnValue& o) const {
    return std::tie(is_text, number, text) < std::tie(o.is_text, o.number, o.text);
  }
};

std::optional<ColumnValue> column_value(const nlohmann::ordered_json& value) {
  if (value.is_number()) return ColumnValue{false, value.get<double>(), ""};
  if (value.is_string()) return ColumnValue{true, 0, value.get<std::string>()};
  return std::nullopt;
}

std::string value_text(const ColumnValue& v) {
  if (v.is_text) return v.text;
  if (std::abs(v.number) < 1e15 && v.number == std::floor(v.number))
    return std::to_string(int64_t(v.number));
  return display_cell(Cell{v.number});
}

// A problem's parameters as stored (problem_params), in position order.
struct StoredParam {
  std::string name, key, type, text, token;
  double value = 0;
  bool design = false;
};
using StoredParams = std::map<int64_t, std::vector<StoredParam>>;

// The stored parameters of every problem that has `param`.
StoredParams stored_params(const Store& store, const std::string& param) {
  StoredParams out;
  const QueryResult rows = store.query(
      "SELECT problem_id, name, key, type, value, text, token, design FROM problem_params"
      " WHERE problem_id IN (SELECT problem_id FROM problem_params WHERE name = ?1)"
      " ORDER BY problem_id, position",
      {Cell{param}});
  for (const auto& row : rows.rows) {
    auto text = [&](size_t i) {
      const auto* s = std::get_if<std::string>(&row.at(i));
      return s ? *s : std::string();
    };
    StoredParam p{text(1), text(2), text(3), text(5), text(6), 0, false};
    if (const auto* d = std::get_if<double>(&row.at(4))) p.value = *d;
    else if (const auto* i = std::get_if<int64_t>(&row.at(4))) p.value = double(*i);
    p.design = std::get<int64_t>(row.at(7)) != 0;
    out[std::get<int64_t>(row.at(0))].push_back(std::move(p));
  }
  return out;
}

// The printed tokens of the design (or the workload) part, joined by '.', with
// `param`'s token printed as '*': Problem::design() / workload() rebuilt.
std::string joined_tokens(const std::vector<StoredParam>& params, bool design, const std::string& param) {
  std::string out;
  for (const StoredParam& p : params) {
    if (p.design != design || p.token.empty()) continue;
    out += (out.empty() ? "" : ".") + (p.name == param ? std::string("*") : p.token);
  }
  return out;
}

// Every parameter name of every stored problem, for the error message.
std::set<std::string> stored_param_names(const Store& store) {
  std::set<std::string> names;
  for (const auto& row : store.query("SELECT DISTINCT params_json FROM problems").rows) {
    const auto* text = std::get_if<std::string>(&row.at(0));
    if (!text) continue;
    const auto params = nlohmann::ordered_json::parse(*text, nullptr, false);
    if (params.is_object())
      for (auto it = params.begin(); it != params.end(); ++it) names.insert(it.key());
  }
  return names;
}

// Text order with digit runs compared as numbers, so the rows of a series over
// another parameter come in size order: "t1.", "t32.", "t128." (not t1, t128, t32).
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i_end = i, j_end = j;
      while (i_end < a.size() && std::isdigit(static_cast<unsigned char>(a[i_end]))) ++i_end;
      while (j_end < b.size() && std::isdigit(static_cast<unsigned char>(b[j_end]))) ++j_end;
      const std::string x = a.substr(i, i_end - i), y = b.substr(j, j_end - j);
      const size_t x0 = std::min(x.find_first_not_of('0'), x.size() - 1);
      const size_t y0 = std::min(y.find_first_not_of('0'), y.size() - 1);
      const std::string xs = x.substr(x0), ys = y.substr(y0);
      if (xs.size() != ys.size()) return xs.size() < ys.size();
      if (xs != ys) return xs < ys;
      i = i_end;
      j = j_end;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
  return a < b;  // equal as numbers ("07" and "7"): still a strict order
}

struct RowKey {
  std::string kind, workload, backend, design, dtype;  // sorted in this order
  bool operator<(const RowKey& o) const {
    if (kind != o.kind) return kind < o.kind;
    if (workload != o.workload) return natural_less(workload, o.workload);
    if (backend != o.backend) return backend < o.backend;
    if (design != o.design) return natural_less(design, o.design);
    return dtype < o.dtype;
  }
};

struct Series {
  std::map<ColumnValue, Cell> cells;
  std::set<ColumnValue> failed;
};

}  // namespace

std::vector<std::string> growth_metrics() {
  std::vector<std::string> out = known_metrics();
  for (const char* extra : {"max_abs", "max_rel"})
    if (std::find(out.begin(), out.end(), extra) == out.end()) out.emplace_back(extra);
  return out;
}

QueryResult growth(const Store& store, const GrowthOptions& o) {
  const std::string& metric = checked_metric(o.metric);
  if (o.param.empty()) throw InputError("--by: expected a parameter name, e.g. seq");
  if (o.run_id && store.query("SELECT 1 FROM runs WHERE id = ?1", {Cell{*o.run_id}}).rows.empty())
    throw InputError("--run: run " + std::to_string(*o.run_id) +
                     " does not exist (see `archbench runs`)");

  // ?1 kind, ?2 backend, ?3 run id, ?4 workload glob; NULL means "no filter".
  // Newest first, so of two results landing in one cell the newer one wins.
  const std::string sql =
      "WITH latest AS ("
      " SELECT r.run_id, r.outcome, r." + metric + " AS value, p.kind, p.dtype, p.id AS problem_id,"
      "  p.params_json, p.variant,"
      "  CASE WHEN p.design <> '' THEN p.design ELSE p.variant END AS design,"
      "  CASE WHEN p.workload <> '' THEN p.workload ELSE p.shape END AS shape,"
      "  ROW_NUMBER() OVER (PARTITION BY r.problem_id, r.backend"
      "                     ORDER BY r.run_id DESC, r.id DESC) AS recency,"
      "  r.backend, r.id"
      " FROM results r JOIN problems p ON p.id = r.problem_id"
      " WHERE (?1 IS NULL OR p.kind = ?1) AND (?2 IS NULL OR r.backend = ?2)"
      "  AND (?3 IS NULL OR r.run_id = ?3)"
      // Accuracy-task rows are not checks against a reference.
      "  AND r.task = ''"
      ")"
      " SELECT kind, backend, dtype, design, shape, problem_id, params_json, outcome, value, variant"
      " FROM latest WHERE recency = 1 AND outcome IN ('passed', 'failed')"
      "  AND (?4 IS NULL OR shape GLOB ?4)"
      " ORDER BY run_id DESC, id DESC";
  auto opt = [](const std::string& s) { return s.empty() ? Cell{} : Cell{s}; };
  const QueryResult latest = store.query(
      sql, {opt(o.kind), opt(o.backend), o.run_id ? Cell{*o.run_id} : Cell{}, opt(o.shape)});

  const StoredParams stored = stored_params(store, o.param);
  std::map<RowKey, Series> series;
  std::set<ColumnValue> columns;
  std::set<std::string> keys;  // canonical keys seen for the parameter ("s"; "" where printed bare)
  for (const auto& row : latest.rows) {
    auto text = [&](size_t i) {
      const auto* s = std::get_if<std::string>(&row.at(i));
      return s ? *s : std::string();
    };
    std::optional<ColumnValue> value;
    std::string workload = text(4), design = text(3);
    auto found = stored.find(std::get<int64_t>(row.at(5)));
    if (found != stored.end()) {
      const std::vector<StoredParam>& params = found->second;
      const StoredParam& p = *std::find_if(params.begin(), params.end(),
                                           [&](const StoredParam& q) { return q.name == o.param; });
      value = p.type == "enum" ? ColumnValue{true, 0, p.text} : ColumnValue{false, p.value, ""};
      keys.insert(p.key);
      if (!p.token.empty()) {
        workload = joined_tokens(params, false, o.param);
        const std::string design_tokens = joined_tokens(params, true, o.param);
        design = text(9) + (design_tokens.empty() ? "" : ":" + design_tokens);
      }
    } else {  // not described yet (see growth.hpp): the value from params_json, nothing blanked
      const auto params = nlohmann::ordered_json::parse(text(6), nullptr, false);
      if (!params.is_object() || !params.contains(o.param)) continue;
      value = column_value(params[o.param]);
      if (!value) continue;
      keys.insert("");
    }
    RowKey key{text(0), workload, text(1), design, o.param == "dtype" ? "*" : text(2)};
    Series& s = series[key];
    if (!s.cells.emplace(*value, row.at(8)).second) continue;  // an older duplicate
    if (text(7) == "failed") s.failed.insert(*value);
    columns.insert(*value);
  }
  if (series.empty()) {
    const auto names = stored_param_names(store);
    if (!names.count(o.param)) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw InputError("--by: '" + o.param + "' is not a parameter of any stored problem" +
                       (list.empty() ? std::string(" (the database holds no problems)")
                                     : " (known: " + list + ")"));
    }
  }

  // One key for all headers when every token agreed on it; otherwise the name.
  const std::string label =
      keys.size() == 1 && !keys.begin()->empty() ? *keys.begin() : o.param;
  QueryResult out;
  out.columns = {"kind", "backend", "dtype", "design", "workload"};
  for (const auto& c : columns) out.columns.push_back(label + "=" + value_text(c));
  out.columns.push_back("failed_at");
  for (const auto& [key, s] : series) {
    std::vector<Cell> row = {key.kind, key.backend, key.dtype, key.design, key.workload};
    std::string failed;
    for (const auto& c : columns) {
      auto it = s.cells.find(c);
      row.push_back(it == s.cells.end() ? Cell{} : it->second);
      if (s.failed.count(c)) failed += (failed.empty() ? "" : " ") + label + "=" + value_text(c);
    }
    row.push_back(failed);
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace archbench::results
