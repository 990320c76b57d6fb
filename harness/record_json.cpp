// Field-by-field JSON mapping of ResultRecord (optionals become null).
#include "harness/record_json.hpp"

#include <nlohmann/json.hpp>

namespace archbench {
namespace {

using json = nlohmann::json;

template <class T>
void put(json& out, const char* key, const std::optional<T>& value) {
  out[key] = value ? json(*value) : json(nullptr);
}
template <class T>
void take(const json& in, const char* key, std::optional<T>& value) {
  if (in.contains(key) && !in[key].is_null()) value = in[key].get<T>();
}

// One list of fields so both directions stay in step.
template <class Visit>
void visit_fields(Visit&& v) {
  v("median_s", &results::ResultRecord::median_s);
  v("mean_s", &results::ResultRecord::mean_s);
  v("stddev_s", &results::ResultRecord::stddev_s);
  v("cv", &results::ResultRecord::cv);
  v("min_s", &results::ResultRecord::min_s);
  v("gflops", &results::ResultRecord::gflops);
  v("gbps", &results::ResultRecord::gbps);
  v("tokens_per_s", &results::ResultRecord::tokens_per_s);
  v("frac_peak_compute", &results::ResultRecord::frac_peak_compute);
  v("frac_peak_bandwidth", &results::ResultRecord::frac_peak_bandwidth);
  v("nmse", &results::ResultRecord::nmse);
  v("max_abs", &results::ResultRecord::max_abs);
  v("max_rel", &results::ResultRecord::max_rel);
}

}  // namespace

std::string record_to_json(const results::ResultRecord& r) {
  json out = {{"canonical", r.canonical}, {"variant", r.variant}, {"kind", r.kind},
              {"params_json", r.params_json}, {"dtype", r.dtype}, {"backend", r.backend},
              {"workload", r.workload}, {"design", r.design},
              {"suite", r.suite}, {"outcome", r.outcome}, {"reason", r.reason},
              {"iterations", r.iterations}, {"repetitions", r.repetitions}, {"flops", r.flops},
              {"bytes", r.bytes}, {"tokens", r.tokens},
              {"kv_cache_bytes_per_token", r.kv_cache_bytes_per_token},
              {"peak_memory_bytes", r.peak_memory_bytes}, {"samples", r.samples}};
  visit_fields([&](const char* key, auto member) { put(out, key, r.*member); });
  out["shape"] = r.shape;
  json figures = json::array();
  for (const auto& [name, value] : r.figures) figures.push_back({{"name", name}, {"value", value}});
  out["figures"] = figures;
  json params = json::array();
  for (const auto& p : r.params)
    params.push_back({{"name", p.name}, {"key", p.key}, {"type", p.type}, {"value", p.value}, {"text", p.text},
                      {"token", p.token}, {"design", p.design}});
  out["params"] = params;
  out["task"] = r.task;
  out["task_kind"] = r.task_kind;
  out["task_axis"] = r.task_axis;
  out["task_label"] = r.task_label;
  out["task_headline"] = r.task_headline;
  out["task_workload"] = r.task_workload;
  out["plugin_path"] = r.plugin_path;
  out["plugin_hash"] = r.plugin_hash;
  out["impl"] = r.impl;
  json cells = json::array();
  for (const auto& c : r.cells)
    cells.push_back({{"context", c.context}, {"coordinate", c.coordinate}, {"trials", c.trials},
                     {"successes", c.successes}, {"chance", c.chance}, {"canonical", c.canonical}});
  out["cells"] = cells;
  return out.dump();
}

results::ResultRecord record_from_json(const std::string& text) {
  const json in = json::parse(text);
  results::ResultRecord r;
  r.canonical = in.at("canonical");
  r.variant = in.at("variant");
  r.kind = in.at("kind");
  r.params_json = in.at("params_json");
  r.workload = in.value("workload", "");
  r.design = in.value("design", "");
  r.dtype = in.at("dtype");
  r.backend = in.at("backend");
  r.suite = in.at("suite");
  r.outcome = in.at("outcome");
  r.reason = in.at("reason");
  r.iterations = in.at("iterations");
  r.repetitions = in.at("repetitions");
  r.flops = in.at("flops");
  r.bytes = in.at("bytes");
  r.tokens = in.at("tokens");
  r.kv_cache_bytes_per_token = in.at("kv_cache_bytes_per_token");
  r.peak_memory_bytes = in.at("peak_memory_bytes");
  r.samples = in.at("samples").get<std::vector<double>>();
  visit_fields([&](const char* key, auto member) { take(in, key, r.*member); });
  r.shape = in.value("shape", "");
  if (in.contains("figures"))
    for (const json& f : in.at("figures")) r.figures.emplace_back(f.at("name"), f.at("value").get<double>());
  if (in.contains("params"))
    for (const json& p : in.at("params"))
      r.params.push_back({p.at("name"), p.at("key"), p.at("type"), p.at("value"), p.at("text"), p.at("token"),
                          p.at("design")});
  r.task = in.value("task", "");
  r.task_kind = in.value("task_kind", "");
  r.task_axis = in.value("task_axis", "");
  r.task_label = in.value("task_label", "");
  r.task_headline = in.value("task_headline", 0);
  r.task_workload = in.value("task_workload", "");
  r.plugin_path = in.value("plugin_path", "");
  r.plugin_hash = in.value("plugin_hash", "");
  r.impl = in.value("impl", "");
  if (in.contains("cells"))
    for (const json& c : in.at("cells"))
      r.cells.push_back({c.at("context"), c.at("coordinate"), c.at("trials"), c.at("successes"),
                         c.at("chance"), c.at("canonical")});
  return r;
}

}  // namespace archbench
