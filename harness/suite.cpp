// TOML suite loading with toml++, grid expansion, plugin fragments, and each
// variant's share of an entry's grid.
#include "harness/suite.hpp"

#include "harness/errors.hpp"
#include "harness/toml_input.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#ifndef ARCHBENCH_SUITES_DIR
#define ARCHBENCH_SUITES_DIR "suites"
#endif

namespace archbench {
namespace fs = std::filesystem;
namespace {

// Calls `item` for a scalar, or for each element of a non-empty list;
// `what` names the value in the error ("parameter 'tokens'", "'contexts'").
template <class Item>
void scalar_or_list(const std::string& path, const toml::node& node, const std::string& what, Item&& item) {
  if (const toml::array* list = node.as_array()) {
    if (list->empty()) fail(path, node, what + " has an empty list");
    for (const toml::node& n : *list) item(n);
  } else {
    item(node);
  }
}

// A scalar param value, or a list of them (one grid axis).
std::vector<ParamValue> axis_values(const std::string& path, const std::string& name,
                                    const toml::node& node) {
  std::vector<ParamValue> out;
  auto scalar = [&](const toml::node& item) {
    if (auto i = item.value_exact<int64_t>()) out.emplace_back(*i);
    else if (auto d = item.value_exact<double>()) out.emplace_back(*d);
    else if (auto s = item.value_exact<std::string>()) out.emplace_back(*s);
    else if (auto b = item.value_exact<bool>()) out.emplace_back(int64_t(*b));
    else fail(path, item, "parameter '" + name + "' expects a number, a string or a list of them");
  };
  scalar_or_list(path, node, "parameter '" + name + "'", scalar);
  return out;
}

// A number of seconds in [low, high] (or (low, high] when `zero_allowed` is
// false). NaN, infinities and absurd values are refused here, where the file
// and position are known: later they would mean "never times out" (a deadline
// of inf or 1e300 s overflows the clock) or an abort in Google Benchmark.
double seconds(const std::string& path, const toml::table& table, const char* key, double fallback,
               bool zero_allowed, double high) {
  const toml::node* node = table.get(key);
  if (!node) return fallback;
  auto value = node->value<double>();
  const bool in_range = value && std::isfinite(*value) && (zero_allowed ? *value >= 0 : *value > 0) && *value <= high;
  if (!in_range) {
    char range[64];
    std::snprintf(range, sizeof range, "%s0, %g]", zero_allowed ? "[" : "(", high);
    fail(path, *node, std::string("'") + key + "' expects a number of seconds in " + range);
  }
  return *value;
}

// Reads a [measure] table over `measurement` / `timeout_s` (keys it lacks keep their value).
void parse_measure(const std::string& path, const toml::node& node, const char* where,
                   Measurement& measurement, double& timeout_s) {
  const toml::table* measure = node.as_table();
  if (!measure) fail(path, node, std::string(where) + " expects a table");
  only_keys(path, *measure, {"repetitions", "rounds", "min_time", "warmup", "timeout", "timing"}, where);
  if (const toml::node* timing = measure->get("timing")) {
    auto value = timing->value_exact<bool>();
    if (!value) fail(path, *timing, "'timing' expects true or false");
    measurement.perf = *value;
  }
  if (const toml::node* reps = measure->get("repetitions")) {
    auto value = reps->value_exact<int64_t>();
    if (!value || *value < 1 || *value > 1000) fail(path, *reps, "'repetitions' expects an integer in [1, 1000]");
    measurement.repetitions = int(*value);
  }
  if (const toml::node* rounds = measure->get("rounds")) {
    auto value = rounds->value_exact<int64_t>();
    if (!value || *value < 1 || *value > 100) fail(path, *rounds, "'rounds' expects an integer in [1, 100]");
    measurement.rounds = int(*value);
  }
  // Google Benchmark aborts on a zero (or NaN) minimum time; a warm-up may be 0.
  measurement.min_time_s = seconds(path, *measure, "min_time", measurement.min_time_s, false, kMaxRepetitionSeconds);
  measurement.warmup_s = seconds(path, *measure, "warmup", measurement.warmup_s, true, kMaxRepetitionSeconds);
  timeout_s = seconds(path, *measure, "timeout", timeout_s, false, kMaxTimeoutSeconds);
}

// The [task] table's settings before they expand into tasks: the kind and the
// contexts are the harness's; every other key belongs to the task (its registry
// entry reads them), kept with its node so an error can point at it.
struct TaskTable {
  bool present = false;
  std::string kind;
  const toml::node* kind_node = nullptr;
  tasks::TaskOptions options;
  std::map<std::string, const toml::node*> option_nodes;
  std::vector<int64_t> contexts, quick_contexts;
};

std::vector<int64_t> int_list(const std::string& path, const toml::node& node, const char* key, int64_t low,
                              int64_t high) {
  std::vector<int64_t> out;
  scalar_or_list(path, node, std::string("'") + key + "'", [&](const toml::node& n) {
    auto value = n.value_exact<int64_t>();
    if (!value || *value < low || *value > high)
      fail(path, n, std::string("'") + key + "' expects integers in [" + std::to_string(low) + ", " +
                        std::to_string(high) + "]");
    out.push_back(*value);
  });
  return out;
}

// A task option's values as written: numbers and strings (a list is several).
std::vector<tasks::OptionValue> option_values(const std::string& path, const std::string& key, const toml::node& node) {
  std::vector<tasks::OptionValue> out;
  scalar_or_list(path, node, "'" + key + "'", [&](const toml::node& n) {
    if (auto i = n.value_exact<int64_t>()) out.emplace_back(*i);
    else if (auto d = n.value_exact<double>()) out.emplace_back(*d);
    else if (auto s = n.value_exact<std::string>()) out.emplace_back(*s);
    else fail(path, n, "'" + key + "' expects a number, a string or a list of them");
  });
  return out;
}

// Reads a [task] table over `task` (keys it lacks keep their value).
void parse_task_table(const std::string& path, const toml::node& node, const char* where, TaskTable& task) {
  const toml::table* table = node.as_table();
  if (!table) fail(path, node, std::string(where) + " expects a table");
  // Every registered task's keys are allowed here; which apply is checked when
  // the table expands, once the kind is known (an entry may override it).
  std::vector<std::string> allowed = {"kind", "contexts", "quick_contexts"};
  for (const tasks::TaskEntry* entry : tasks::task_entries())
    for (const std::string& key : entry->options)
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) allowed.push_back(key);
  for (const auto& [key, value] : *table)
    if (std::find(allowed.begin(), allowed.end(), std::string(key.str())) == allowed.end()) {
      std::string list;
      for (const std::string& k : allowed) list += (list.empty() ? "" : ", ") + k;
      fail(path, value, "unknown key '" + std::string(key.str()) + "' in " + where + " (expected " + list + ")");
    }
  task.present = true;
  for (const auto& [key_name, value] : *table) {
    const std::string key(key_name.str());
    if (key == "kind") {
      auto text = value.value_exact<std::string>();
      if (!text || !tasks::find_task(*text)) fail(path, value, "'kind' expects " + tasks::task_names());
      task.kind = *text;
      task.kind_node = &value;
    } else if (key == "contexts") {
      task.contexts = int_list(path, value, "contexts", 16, 1 << 21);
    } else if (key == "quick_contexts") {
      task.quick_contexts = int_list(path, value, "quick_contexts", 16, 1 << 21);
    } else {
      task.options[key] = option_values(path, key, value);
      task.option_nodes[key] = &value;
    }
  }
}

// The tasks of an entry, through the kind's registry entry.
void expand_tasks(const std::string& path, const std::string& where, const TaskTable& task, SuiteEntry& entry) {
  if (task.kind.empty()) throw InputError(where + ": an accuracy task needs kind = " + tasks::task_names() + " in [task]");
  if (task.contexts.empty()) throw InputError(where + ": an accuracy task needs contexts = [...] in [task]");
  const tasks::TaskEntry& kind = *tasks::find_task(task.kind);
  for (const auto& [key, node] : task.option_nodes)
    if (std::find(kind.options.begin(), kind.options.end(), key) == kind.options.end())
      fail(path, *node, "'" + key + "' is not an option of " + kind.name);
  entry.contexts = task.contexts;
  entry.quick_contexts = task.quick_contexts.empty() ? task.contexts : task.quick_contexts;
  try {
    entry.tasks = kind.expand(task.options);
  } catch (const tasks::OptionError& e) {
    auto node = task.option_nodes.find(e.key);
    if (node == task.option_nodes.end()) throw InputError(where + ": " + e.what());
    fail(path, *node->second, e.what());
  }
}

SuiteEntry parse_entry(const std::string& path, const toml::table& table, const Suite& suite,
                       const TaskTable& suite_task) {
  SuiteEntry entry;
  entry.where = position(path, table.source());
  entry.measurement = suite.measurement;
  entry.timeout_s = suite.timeout_s;
  only_keys(path, table,
            {"variant", "dtypes", "backends", "seed", "params", "measure", "quick", "task", "require"},
            "[[problems]]");
  TaskTable task = suite_task;
  if (const toml::node* own = table.get("task")) parse_task_table(path, *own, "[problems.task]", task);
  if (task.present) expand_tasks(path, entry.where, task, entry);
  if (const toml::node* quick = table.get("quick")) {
    auto value = quick->value_exact<bool>();
    if (!value) fail(path, *quick, "'quick' expects true or false");
    entry.in_quick = *value;
  }
  if (const toml::node* measure = table.get("measure"))
    parse_measure(path, *measure, "[problems.measure]", entry.measurement, entry.timeout_s);
  auto variant = table["variant"].value_exact<std::string>();
  if (!variant) throw InputError(entry.where + ": [[problems]] needs variant = \"kind/name\" (a glob)");
  entry.variant_glob = *variant;
  for (const std::string& d : string_list(path, table, "dtypes"))
    entry.dtypes.push_back(parse_dtype(d, position(path, table.get("dtypes")->source())));
  if (entry.dtypes.empty()) entry.dtypes.push_back(AB_DTYPE_F32);
  entry.backends = string_list(path, table, "backends");
  for (const std::string& b : entry.backends)
    if (b != "cpu" && b != "vulkan")
      fail(path, *table.get("backends"), "backend '" + b + "' is not one of cpu, vulkan");
  if (const toml::node* seed = table.get("seed")) {
    auto value = seed->value_exact<int64_t>();
    if (!value || *value < 0) fail(path, *seed, "'seed' expects a non-negative integer");
    entry.seed = uint64_t(*value);
  }
  // Cartesian product over the list-valued parameters, sized before it is
  // built: an entry whose own grid passes the plan's cap is refused here.
  entry.points = {{}};
  if (const toml::node* params_node = table.get("params")) {
    const toml::table* params = params_node->as_table();
    if (!params) fail(path, *params_node, "'params' expects a table of name = value(s)");
    double rows = double(entry.dtypes.size()) * double(std::max<size_t>(1, entry.tasks.size())) *
                  double(std::max<size_t>(1, entry.contexts.size()));
    std::vector<std::vector<ParamValue>> axes;
    for (const auto& [key, node] : *params) {
      axes.push_back(axis_values(path, std::string(key.str()), node));
      rows *= double(axes.back().size());
    }
    if (rows > double(kMaxPlannedRows))
      fail(path, *params_node, "this entry's grid has more than " + std::to_string(kMaxPlannedRows) +
                                   " problems, the most one run plans; split or narrow it");
    size_t axis = 0;
    for (const auto& [key, node] : *params) {
      const std::string name(key.str());
      std::vector<std::map<std::string, ParamValue>> grown;
      for (const ParamValue& value : axes[axis++])
        for (auto point : entry.points) {
          point[name] = value;
          grown.push_back(std::move(point));
        }
      entry.points = std::move(grown);
    }
  }
  if (const toml::node* require = table.get("require")) {
    const toml::array* names = require->as_array();
    if (!names) fail(path, *require, "'require' expects a list of parameter names");
    for (const toml::node& item : *names) {
      auto name = item.value_exact<std::string>();
      if (!name) fail(path, item, "'require' expects a list of parameter names");
      if (!entry.points.front().count(*name))
        fail(path, item, "'require' names '" + *name + "', which [problems.params] does not set");
      entry.required[*name] = position(path, item.source());
    }
  }
  return entry;
}

// Appends the document's [[problems]] entries to `suite`; `what` names the file
// kind in the error for a document without any.
void append_entries(const std::string& path, const toml::table& document, Suite& suite, const TaskTable& task,
                    const char* what) {
  const toml::node* problems = document.get("problems");
  const toml::array* list = problems ? problems->as_array() : nullptr;
  if (!list || list->empty())
    throw InputError(path + ":1:1: " + what + " needs at least one [[problems]] table");
  for (const toml::node& item : *list) {
    const toml::table* table = item.as_table();
    if (!table) fail(path, item, "each entry of 'problems' must be a table ([[problems]])");
    suite.entries.push_back(parse_entry(path, *table, suite, task));
  }
}

bool has_param(const ab_variant& variant, const std::string& name) {
  for (uint32_t i = 0; i < variant.param_count; ++i)
    if (name == variant.params[i].name || name == variant.params[i].key) return true;
  return false;
}

}  // namespace

std::vector<std::string> suite_search_path() { return search_path("ARCHBENCH_SUITE_PATH", ARCHBENCH_SUITES_DIR); }

Suite load_suite(const std::string& name_or_path) {
  const std::string path = find_toml(name_or_path, suite_search_path());
  if (path.empty())
    throw InputError("--suite: no suite file '" + name_or_path + "' and no " + name_or_path +
                     ".toml on the suite path (see `archbench list suites`)");
  const toml::table document = parse_document(path);
  only_keys(path, document, {"name", "description", "measure", "task", "problems"}, "the suite");
  Suite suite;
  suite.path = path;
  suite.name = document["name"].value_or(fs::path(path).stem().string());
  suite.description = document["description"].value_or(std::string());
  if (const toml::node* measure = document.get("measure"))
    parse_measure(path, *measure, "[measure]", suite.measurement, suite.timeout_s);
  TaskTable task;
  if (const toml::node* table = document.get("task")) parse_task_table(path, *table, "[task]", task);
  append_entries(path, document, suite, task, "a suite");
  return suite;
}

void append_fragment(Suite& suite, const std::string& path) {
  const toml::table document = parse_document(path);
  // The suite's name, [measure] and [task] are the suite's own to set.
  only_keys(path, document, {"problems"}, "a suite fragment");
  const TaskTable no_task;
  append_entries(path, document, suite, no_task, "a suite fragment");
}

std::vector<ParamPoint> points_for(const SuiteEntry& entry, const ab_variant& variant,
                                   std::vector<SkippedParam>& skipped) {
  std::set<std::string> lacking;
  for (const auto& [name, value] : entry.points.front()) {  // every point sets the same names
    if (has_param(variant, name)) continue;
    if (auto pin = entry.required.find(name); pin != entry.required.end())
      throw InputError(pin->second + ": " + variant.name + " has no parameter '" + name +
                       "', which this entry requires");
    lacking.insert(name);
    skipped.push_back({entry.where, variant.name, name});
  }
  if (lacking.empty()) return entry.points;
  std::vector<ParamPoint> out;
  std::set<ParamPoint> kept;  // a set, not a scan of `out`: grids may have 10^5 points
  for (ParamPoint point : entry.points) {
    for (const std::string& name : lacking) point.erase(name);
    if (kept.insert(point).second) out.push_back(std::move(point));
  }
  return out;
}

std::vector<Suite> list_suites() {
  std::vector<Suite> out;
  for (const std::string& dir : suite_search_path()) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.path().extension() == ".toml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      try {
        out.push_back(load_suite(file.string()));
      } catch (const InputError& e) {
        Suite broken;
        broken.name = file.stem().string();
        broken.path = file.string();
        broken.description = std::string("(invalid: ") + e.what() + ")";
        out.push_back(broken);
      }
    }
  }
  return out;
}

}  // namespace archbench
