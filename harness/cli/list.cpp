// `archbench list plugins|variants|suites|tasks|presets|backends`.
#include "backends/cpu/cpu_backend.hpp"
#include "harness/cli/common.hpp"
#include "harness/cli/presets.hpp"
#include "harness/cli/vulkan_devices.hpp"
#include "harness/errors.hpp"
#include "harness/problem.hpp"
#include "harness/suite.hpp"
#include "tasks/task.hpp"

#include <cstdio>

namespace archbench::cli {
namespace {

std::string mask_names(uint32_t mask, bool dtypes) {
  std::string out;
  for (uint32_t bit = 0; bit < 3; ++bit) {
    if (!(mask & (1u << bit))) continue;
    const char* name = dtypes ? dtype_name(ab_dtype(bit)) : (bit == 0 ? "cpu" : bit == 1 ? "vulkan" : "?");
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

void list_plugins(const Globals& globals, const ab_host& host) {
  // Manifests describe plugins without loading code; then load to show what is usable.
  std::vector<Refusal> refusals;
  const auto manifests = read_manifests(plugin_search_path(globals.plugin_dirs), refusals);
  Registry registry;
  registry.load(plugin_search_path(globals.plugin_dirs), host, refusals, false);
  for (const auto& m : manifests) {
    bool loaded = false;
    for (const auto& p : registry.plugins()) loaded = loaded || p.name == m.name;
    std::printf("%-10s %-8s %-8s %zu variants  %s\n  manifest %s\n", m.name.c_str(), m.version.c_str(),
                loaded ? "loaded" : "REFUSED", m.variants.size(), m.description.c_str(), m.path.c_str());
  }
  for (const auto& p : registry.plugins()) {
    bool has_manifest = false;
    for (const auto& m : manifests) has_manifest = has_manifest || m.name == p.name;
    if (!has_manifest)
      std::printf("%-10s %-8s %-8s %zu variants  (no manifest)\n  library %s\n", p.name.c_str(),
                  p.version.c_str(), "loaded", p.variants.size(), p.path.c_str());
  }
  for (const Refusal& r : refusals) std::printf("%s\n", r.line().c_str());
}

void list_variants(const Registry& registry) {
  for (const ab_variant* v : registry.variants()) {
    std::printf("%-20s kind %-10s backends %-10s dtypes %-12s plugin %s\n  %s\n", v->name, v->kind,
                mask_names(v->backends, false).c_str(), mask_names(v->dtypes, true).c_str(),
                registry.plugin_of(v)->name.c_str(), v->description ? v->description : "");
    for (uint32_t i = 0; i < v->param_count; ++i) {
      const ab_param_spec& p = v->params[i];
      std::string def;
      char number[32];
      std::snprintf(number, sizeof number, "%.10g", p.default_value);
      if (p.type == AB_PARAM_ENUM) def = enum_choices(p).at(size_t(p.default_value)) + " of " + p.choices;
      else def = number;
      // Design parameters (AB_PARAM_FLAG_DESIGN) are what leaderboards compare at equal workloads.
      const char* role = (p.flags & AB_PARAM_FLAG_DESIGN) ? "design  " : "workload";
      std::printf("    %-14s key %-6s %s default %-14s %s\n", p.name, p.key, role, def.c_str(),
                  p.description ? p.description : "");
    }
  }
}

}  // namespace

int list_command(const Context& context) {
  Globals globals;
  std::string what = "variants";
  po::options_description options("archbench list");
  options.add_options()("what", po::value(&what), "plugins | variants | suites | tasks | presets | backends");
  add_globals(options, globals, true);
  po::positional_options_description positional;
  positional.add("what", 1);
  po::variables_map values;
  if (!parse("list", "archbench list [plugins|variants|suites|tasks|presets|backends]", context, options, values, &positional))
    return 0;
  if (what != "plugins" && what != "variants" && what != "suites" && what != "tasks" && what != "presets" &&
      what != "backends")
    throw InputError("archbench list: '" + what + "' is not one of plugins, variants, suites, tasks, presets, backends");

  if (what == "suites") {
    for (const Suite& s : list_suites())
      std::printf("%-12s %s\n  %s\n", s.name.c_str(), s.description.c_str(), s.path.c_str());
    return 0;
  }
  if (what == "tasks") {  // the task registry (tasks/task.hpp)
    for (const tasks::TaskEntry* t : tasks::task_entries()) {
      std::string options;
      for (const std::string& o : t->options) options += (options.empty() ? "" : ", ") + o;
      std::printf("%-12s needs %-12s cells by %-8s %s\n  [task] options: %s\n", t->name.c_str(), t->contract.c_str(),
                  t->axis.c_str(), t->summary.c_str(), options.c_str());
    }
    return 0;
  }
  cpu::CpuBackend cpu_backend(globals.threads);
  if (what == "backends") {
    std::printf("cpu     available  oneDNN %s, ISA %s, %d threads, %s\n", cpu::onednn_version().c_str(),
                cpu::onednn_isa().c_str(), cpu_backend.threads(), cpu::cpu_model().c_str());
    const VulkanProbe vulkan = probe_vulkan();
    if (!vulkan.available)
      std::printf("vulkan  unavailable  %s\n", vulkan.reason.c_str());
    else
      std::printf("vulkan  available  %zu device(s), default %d: %s (`archbench devices` for details)\n",
                  vulkan.devices.size(), vulkan.chosen, vulkan.names[size_t(vulkan.chosen)].c_str());
    return 0;
  }
  if (what == "plugins") {
    list_plugins(globals, cpu_backend.host());
    return 0;
  }
  Registry registry;
  load_plugins(registry, globals, cpu_backend.host(), false);
  if (what == "presets") list_presets(registry);
  else list_variants(registry);
  return 0;
}

}  // namespace archbench::cli
