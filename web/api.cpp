// The read-only JSON API: the CLI's queries over HTTP, with the CLI's option
// names as parameters (api/leaderboard?kind=ffn&backend=cpu is
// `archbench leaderboard --kind ffn --backend cpu --format json`). An unknown
// parameter is a 400, so a typo is not silently ignored.
#include <charconv>
#include <set>

#include <nlohmann/json.hpp>

#include "results/format.hpp"
#include "results/compare.hpp"
#include "results/leaderboard.hpp"
#include "results/task_summary.hpp"
#include "tasks/task.hpp"
#include "web/pages.hpp"

namespace archbench::web::pages {
namespace {

using json = nlohmann::ordered_json;

void only(const Context& c, const std::set<std::string>& allowed) {
  for (const auto& [name, _] : c.target.params)
    if (!allowed.count(name)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw PageError(400, "unknown parameter '" + name + "' (expected " + (list.empty() ? "none" : list) + ")");
    }
}

std::string param(const Context& c, const std::string& name) {
  auto it = c.target.params.find(name);
  return it == c.target.params.end() ? "" : it->second;
}

std::optional<int64_t> int_param(const Context& c, const std::string& name, bool required) {
  auto it = c.target.params.find(name);
  if (it == c.target.params.end()) {
    if (required) throw PageError(400, "missing parameter '" + name + "' (a whole number)");
    return std::nullopt;
  }
  int64_t v = 0;
  const std::string& s = it->second;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size())
    throw PageError(400, "parameter '" + name + "': expected a whole number");
  return v;
}

json cell_json(const results::Cell& cell) {
  if (const auto* i = std::get_if<int64_t>(&cell)) return *i;
  if (const auto* d = std::get_if<double>(&cell)) return *d;
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  return nullptr;
}

json rows_json(const results::QueryResult& r) {
  json out = json::array();
  for (const auto& row : r.rows) {
    json o = json::object();
    for (size_t i = 0; i < r.columns.size() && i < row.size(); ++i) o[r.columns[i]] = cell_json(row[i]);
    out.push_back(std::move(o));
  }
  return out;
}

std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

}  // namespace

std::string api(const Context& c, const std::string& name) {
  if (name.empty()) {
    only(c, {});
    return dump(json{{"endpoints",
                      {"api/leaderboard?kind=&backend=&shape=&metric=&run=&host=&device=", "api/runs?host=",
                       "api/problem?id=", "api/compare?a=&b=", "api/tasks?kind=&backend=&variant=&dtype=&options=&run="}},
                     {"database", c.store.path()},
                     {"schema_version", c.store.schema_version()}});
  }
  if (name == "leaderboard") {
    only(c, {"kind", "backend", "shape", "metric", "run", "host", "device"});
    results::LeaderboardOptions o;
    o.kind = param(c, "kind");
    o.backend = param(c, "backend");
    o.shape = param(c, "shape");
    if (!param(c, "metric").empty()) o.metric = param(c, "metric");
    o.run_id = int_param(c, "run", false);
    o.host = param(c, "host");
    o.device = param(c, "device");
    o.headline_task = tasks::headline_kind();
    return results::format(results::leaderboard(c.store, o), results::Format::json);
  }
  if (name == "runs") {
    only(c, {"host"});
    return results::format(results::list_runs(c.store, param(c, "host")), results::Format::json);
  }
  if (name == "compare") {
    only(c, {"a", "b"});
    const int64_t a = *int_param(c, "a", true), b = *int_param(c, "b", true);
    return results::format(results::compare_runs(c.store, a, b).rows, results::Format::json);
  }
  if (name == "tasks") {
    only(c, {"kind", "backend", "variant", "dtype", "options", "run"});
    results::TaskFilter f;
    f.kind = param(c, "kind");
    if (!tasks::find_task(f.kind)) throw PageError(400, "parameter 'kind': expected one of " + tasks::task_names());
    f.backend = param(c, "backend");
    f.variant = param(c, "variant");
    f.dtype = param(c, "dtype");
    f.task = param(c, "options");
    f.run_id = int_param(c, "run", false);
    return results::format(results::task_leaderboard(c.store, f), results::Format::json);
  }
  if (name == "problem") {
    only(c, {"id"});
    const results::Cell id{*int_param(c, "id", true)};
    const results::QueryResult p = c.store.query(
        "SELECT id, canonical, variant, kind, dtype, workload, design, shape, params_json FROM problems WHERE id = ?1", {id});
    if (p.rows.empty()) throw PageError(404, "no problem " + text_of(id));
    json out = rows_json(p)[0];
    out["results"] = rows_json(c.store.query(
        "SELECT r.id, r.run_id, r.backend, r.suite, r.outcome, r.reason, r.median_s, r.mean_s, r.stddev_s, r.cv, r.min_s,"
        " r.repetitions, r.tokens_per_s, r.gflops, r.gbps, r.nmse, r.max_abs, r.max_rel, r.kv_cache_bytes_per_token,"
        " r.task, r.created_at FROM results r WHERE r.problem_id = ?1 ORDER BY r.run_id, r.id",
        {id}));
    out["samples"] = rows_json(c.store.query(
        "SELECT s.result_id, s.repetition, s.seconds FROM samples s JOIN results r ON r.id = s.result_id"
        " WHERE r.problem_id = ?1 ORDER BY s.result_id, s.repetition",
        {id}));
    return dump(out);
  }
  throw PageError(404, "no API endpoint 'api/" + name + "' (see api/)");
}

}  // namespace archbench::web::pages
