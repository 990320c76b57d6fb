// `archbench list presets` (see presets.hpp).
#include "harness/cli/presets.hpp"

#include "harness/block_variant.hpp"
#include "harness/plugin_calls.hpp"
#include "harness/preset.hpp"
#include "harness/registry.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace archbench::cli {
namespace {

std::string billions(double n) {
  char text[32];
  std::snprintf(text, sizeof text, n >= 1e12 ? "%.3gT" : "%.3gB", n >= 1e12 ? n / 1e12 : n / 1e9);
  return text;
}

}  // namespace

void list_presets(const Registry& registry) {
  std::vector<Preset> presets;
  for (const std::string& name : preset_names()) presets.push_back(load_preset(name));
  // Every part's validate() and describe() in one child first (plugin_calls.hpp).
  prefetch_plugin_calls([&] {
    for (const Preset& p : presets) count_preset(p, registry);
  });
  for (const Preset& p : presets) {
    const PresetCount c = count_preset(p, registry);
    std::string types;
    for (const PresetLayer& l : p.layer_types)
      types += (types.empty() ? "" : ", ") + l.name + " " + std::to_string(l.layers.size());
    std::printf("%-20s %s: %d layers (%s)%s, d_model %.0f, vocab %.0f\n", p.name.c_str(), p.title.c_str(), p.layers,
                types.c_str(), p.mtp_layers ? (" + " + std::to_string(p.mtp_layers) + " MTP").c_str() : "", p.d_model,
                p.vocab);
    std::string published;
    if (p.published_total) {
      char text[160];
      std::snprintf(text, sizeof text, "; published %s (x%.3f)", billions(*p.published_total).c_str(),
                    c.total / *p.published_total);
      published = text;
      if (p.published_active) {
        std::snprintf(text, sizeof text, " / %s active (x%.3f%s)", billions(*p.published_active).c_str(),
                      c.active_as_published / *p.published_active, p.active_without.empty() ? "" : ", as they count");
        published += text;
      }
    }
    std::printf("  parameters %s total, %s active%s; KV cache %.0f bytes/token in bf16\n", billions(c.total).c_str(),
                billions(c.active).c_str(), published.c_str(), c.kv_cache_bytes_per_token);
    std::string blocks;
    for (const PresetLayer& l : p.layer_types) blocks += (blocks.empty() ? "" : ", ") + block_variant_name(p, l);
    std::printf("  blocks %s\n", blocks.c_str());
    for (const std::string& m : c.missing) std::printf("  not counted: %s\n", m.c_str());
    for (const std::string& f : c.failures) std::printf("  not counted: %s\n", f.c_str());
    std::string unconfirmed;
    for (const std::string& n : p.not_confirmed) unconfirmed += (unconfirmed.empty() ? "" : ", ") + n;
    std::printf("  source %s%s\n  %s\n", p.source.c_str(),
                unconfirmed.empty() ? "" : ("; not confirmed: " + unconfirmed).c_str(), p.path.c_str());
  }
}

}  // namespace archbench::cli
