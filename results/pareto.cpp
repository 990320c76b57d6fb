// Pareto fronts and the composite score (see pareto.hpp).
#include "results/pareto.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>

#include "harness/errors.hpp"
#include "results/leaderboard.hpp"

namespace archbench::results {
namespace {

size_t index_of(const QueryResult& r, const std::string& name) {
  return size_t(std::find(r.columns.begin(), r.columns.end(), name) - r.columns.begin());
}

double number(const QueryResult& r, const std::vector<Cell>& row, const std::string& column) {
  const size_t c = index_of(r, column);
  if (c >= r.columns.size()) return std::nan("");
  if (const auto* v = std::get_if<double>(&row[c])) return *v;
  if (const auto* v = std::get_if<int64_t>(&row[c])) return double(*v);
  return std::nan("");
}

std::string text(const Cell& c) { return std::holds_alternative<std::string>(c) ? std::get<std::string>(c) : ""; }

// Row indices per (kind, backend, shape), in board order.
std::map<std::string, std::vector<size_t>> groups_of(const QueryResult& board) {
  std::map<std::string, std::vector<size_t>> groups;
  const size_t kind = index_of(board, "kind"), backend = index_of(board, "backend"), shape = index_of(board, "shape");
  for (size_t i = 0; i < board.rows.size(); ++i) {
    const auto& row = board.rows[i];
    auto part = [&](size_t c) { return c < row.size() ? text(row[c]) : std::string(); };
    groups[part(kind) + "|" + part(backend) + "|" + part(shape)].push_back(i);
  }
  return groups;
}

// true when a is better than b on this axis (a missing value is worst).
bool better(double a, double b, bool maximize) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return maximize ? a > b : a < b;
}

}  // namespace

std::vector<Axis> parse_axes(const std::string& list, const std::string& flag) {
  std::vector<Axis> axes;
  std::istringstream in(list);
  const std::vector<std::string> metrics = known_metrics();
  for (std::string name; std::getline(in, name, ',');) {
    if (name == "speed") axes.push_back({"tokens_per_s", true});
    else if (name == "fidelity") axes.push_back({"nmse", false});
    else if (name == "context") axes.push_back({"eff_context", true});
    else if (name == "memory") axes.push_back({"kv_cache_bytes_per_token", false});
    else if (std::find(metrics.begin(), metrics.end(), name) != metrics.end())
      axes.push_back({name, name != "median_s" && name != "nmse" && name != "kv_cache_bytes_per_token"});
    else
      throw InputError(flag + ": '" + name + "' is not one of speed, fidelity, context, memory or a --metric name");
  }
  if (axes.size() < 2) throw InputError(flag + ": expected at least two axes, got '" + list + "'");
  return axes;
}

std::vector<bool> pareto_front(const std::vector<std::vector<double>>& points, const std::vector<Axis>& axes) {
  std::vector<bool> front(points.size(), true);
  for (size_t p = 0; p < points.size(); ++p)
    for (size_t q = 0; q < points.size() && front[p]; ++q) {
      if (q == p) continue;
      bool at_least_as_good = true, strictly = false;
      for (size_t a = 0; a < axes.size(); ++a) {
        if (better(points[p][a], points[q][a], axes[a].maximize)) at_least_as_good = false;
        if (better(points[q][a], points[p][a], axes[a].maximize)) strictly = true;
      }
      if (at_least_as_good && strictly) front[p] = false;
    }
  return front;
}

QueryResult pareto_rows(const QueryResult& board, const std::vector<Axis>& axes) {
  std::vector<bool> keep(board.rows.size(), false);
  for (const auto& [key, rows] : groups_of(board)) {
    std::vector<std::vector<double>> points;
    for (size_t i : rows) {
      std::vector<double> point;
      for (const Axis& axis : axes) point.push_back(number(board, board.rows[i], axis.column));
      points.push_back(point);
    }
    const std::vector<bool> front = pareto_front(points, axes);
    for (size_t k = 0; k < rows.size(); ++k) keep[rows[k]] = front[k];
  }
  QueryResult out;
  out.columns = board.columns;
  for (size_t i = 0; i < board.rows.size(); ++i)
    if (keep[i]) out.rows.push_back(board.rows[i]);
  return out;
}

Weights parse_weights(const std::string& text_in) {
  Weights w{0, 0, 0, 0};
  std::istringstream in(text_in);
  for (std::string item; std::getline(in, item, ',');) {
    const size_t eq = item.find('=');
    const std::string name = item.substr(0, eq);
    double value = -1;
    try {
      size_t used = 0;
      if (eq != std::string::npos) value = std::stod(item.substr(eq + 1), &used);
      if (eq == std::string::npos || used != item.size() - eq - 1) value = -1;
    } catch (const std::exception&) {
      value = -1;
    }
    if (!(value >= 0 && value <= 1e6))
      throw InputError("--weights: '" + item + "': expected NAME=WEIGHT with a weight >= 0 (speed, fidelity, context, memory)");
    if (name == "speed") w.speed = value;
    else if (name == "fidelity") w.fidelity = value;
    else if (name == "context") w.context = value;
    else if (name == "memory") w.memory = value;
    else throw InputError("--weights: '" + name + "' is not one of speed, fidelity, context, memory");
  }
  if (w.speed + w.fidelity + w.context + w.memory <= 0)
    throw InputError("--weights: expected at least one weight above 0, got '" + text_in + "'");
  return w;
}

QueryResult composite_board(const QueryResult& board, const Weights& weights) {
  std::vector<double> score(board.rows.size(), std::nan(""));
  for (const auto& [key, rows] : groups_of(board)) {
    double best_speed = 0, best_context = 0, least_memory = std::numeric_limits<double>::infinity();
    for (size_t i : rows) {
      const auto& row = board.rows[i];
      if (const double v = number(board, row, "tokens_per_s"); v > best_speed) best_speed = v;
      if (const double v = number(board, row, "eff_context"); v > best_context) best_context = v;
      if (const double v = number(board, row, "kv_cache_bytes_per_token"); v > 0 && v < least_memory) least_memory = v;
    }
    for (size_t i : rows) {
      const auto& row = board.rows[i];
      double sum = 0, weight = 0;
      auto add = [&](double w, double s) {
        if (w > 0 && !std::isnan(s)) sum += w * s, weight += w;
      };
      const double speed = number(board, row, "tokens_per_s");
      if (best_speed > 0) add(weights.speed, std::isnan(speed) ? 0 : speed / best_speed);
      const double nmse = number(board, row, "nmse");
      if (!std::isnan(nmse)) add(weights.fidelity, nmse <= 0 ? 1 : std::clamp(-std::log10(nmse) / 12, 0.0, 1.0));
      const double context = number(board, row, "eff_context");
      if (best_context > 0) add(weights.context, std::isnan(context) ? 0 : context / best_context);
      const double memory = number(board, row, "kv_cache_bytes_per_token");
      if (std::isfinite(least_memory) && !std::isnan(memory)) add(weights.memory, memory <= 0 ? 1 : least_memory / memory);
      if (weight > 0) score[i] = sum / weight;
    }
  }
  QueryResult out;
  out.columns = board.columns;
  const size_t design = index_of(board, "design"), rank = index_of(board, "rank"), tied = index_of(board, "tied");
  out.columns.insert(out.columns.begin() + long(design) + 1, "composite");
  // Re-rank within each group, keeping the groups in board order.
  std::vector<size_t> order(board.rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::map<size_t, size_t> group_first;  // row -> the first row of its group
  for (const auto& [key, rows] : groups_of(board))
    for (size_t i : rows) group_first[i] = rows.front();
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (group_first[a] != group_first[b]) return group_first[a] < group_first[b];
    return better(score[a], score[b], true);
  });
  int64_t position = 0, last_rank = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t i = order[k];
    const bool new_group = k == 0 || group_first[i] != group_first[order[k - 1]];
    position = new_group ? 1 : position + 1;
    std::vector<Cell> row = board.rows[i];
    const bool same_as_above = !new_group && score[i] == score[order[k - 1]];
    if (!same_as_above) last_rank = position;
    if (rank < row.size()) row[rank] = std::isnan(score[i]) ? Cell{} : Cell{last_rank};
    if (tied < row.size()) {
      row[tied] = Cell{int64_t(same_as_above)};
      if (same_as_above) out.rows.back()[tied] = Cell{int64_t(1)};
    }
    row.insert(row.begin() + long(design) + 1, std::isnan(score[i]) ? Cell{} : Cell{score[i]});
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace archbench::results
