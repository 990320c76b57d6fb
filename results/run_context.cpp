// Run context of json output (see run_context.hpp).
#include "results/run_context.hpp"

#include <algorithm>

#include "results/format.hpp"
#include "results/samples.hpp"

namespace archbench::results {

nlohmann::ordered_json run_context(const Store& store, std::vector<int64_t> run_ids) {
  std::sort(run_ids.begin(), run_ids.end());
  run_ids.erase(std::unique(run_ids.begin(), run_ids.end()), run_ids.end());
  auto runs = nlohmann::ordered_json::array();
  for (const int64_t id : run_ids) {
    const QueryResult row = store.query(
        "SELECT id, uid, started_at, status, host, cpu_model, vulkan_device, git_sha, build_type, threads, quick,"
        " load_average, busy_processes, calibration_json FROM runs WHERE id = ?1",
        {Cell{id}});
    if (row.rows.empty()) continue;
    nlohmann::ordered_json run = nlohmann::ordered_json::object();
    for (size_t c = 0; c + 1 < row.columns.size(); ++c) {
      const Cell& v = row.rows[0][c];
      auto& slot = run[row.columns[c]];
      if (const auto* i = std::get_if<int64_t>(&v)) slot = *i;
      else if (const auto* d = std::get_if<double>(&v)) slot = *d;
      else if (const auto* s = std::get_if<std::string>(&v)) slot = *s;
      else slot = nullptr;
    }
    run["quick"] = cell_int(row.rows[0][10]) != 0;
    const auto* calibration = std::get_if<std::string>(&row.rows[0][13]);
    run["calibration"] = nlohmann::ordered_json::parse(calibration ? *calibration : "{}", nullptr, false);
    runs.push_back(std::move(run));
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["runs"] = std::move(runs);
  return out;
}

std::vector<int64_t> run_ids_of(const QueryResult& result, const std::string& column) {
  std::vector<int64_t> ids;
  const auto it = std::find(result.columns.begin(), result.columns.end(), column);
  if (it == result.columns.end()) return ids;
  const size_t c = size_t(it - result.columns.begin());
  for (const auto& row : result.rows)
    if (const auto* id = std::get_if<int64_t>(&row[c])) ids.push_back(*id);
  return ids;
}

std::string format_with_context(const QueryResult& result, const nlohmann::ordered_json& context, bool lines) {
  const auto replace = nlohmann::ordered_json::error_handler_t::replace;
  if (lines) {
    nlohmann::ordered_json head = nlohmann::ordered_json::object();
    head["context"] = context;
    return head.dump(-1, ' ', false, replace) + "\n" + format(result, Format::jsonl);
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["context"] = context;
  out["rows"] = nlohmann::ordered_json::parse(format(result, Format::json), nullptr, false);
  return out.dump(2, ' ', false, replace) + "\n";
}

}  // namespace archbench::results
