// The plugin registry: finds plugin libraries on the search path, negotiates
// the ABI, checks manifests, and indexes variants by name. A plugin that cannot
// be used is refused with its path and the reason; loading goes on without it.
// Libraries stay loaded until the process ends (never unloaded mid-run).
#pragma once

#include "harness/block_variant.hpp"

#include <archbench/plugin_abi.h>

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace archbench {

struct Manifest {
  std::string path, name, version, library, description;
  std::vector<std::string> variants;
};

struct LoadedPlugin {
  std::string name, version, path;
  std::string hash;  // of the library file, "sha1:<hex>" (harness/file_hash.hpp); recorded with each result
  uint32_t abi_version = 0;
  std::vector<const ab_variant*> variants;
};

struct Refusal {
  std::string path, reason;
  std::string line() const { return "refused plugin " + path + ": " + reason; }
};

// The plugins/ folder beside the executable first, then --plugin-dir values, then
// ARCHBENCH_PLUGIN_PATH (':'-separated). A variant name is owned by the first
// plugin that registers it, so the in-tree plugins keep their names: an outside
// plugin that claims one is the one refused (issue 13).
std::vector<std::string> plugin_search_path(const std::vector<std::string>& cli_dirs);

// Reads every manifest on the path without loading code (for `list plugins`).
std::vector<Manifest> read_manifests(const std::vector<std::string>& search_path,
                                     std::vector<Refusal>& refusals);

class Registry {
 public:
  // Loads every plugin library found on the path; refusals are appended.
  // `hash_libraries`: take each library's content hash (LoadedPlugin::hash), which
  // commands that record results need; `list` and `run --dry-run` skip the cost.
  void load(const std::vector<std::string>& search_path, const ab_host& host,
            std::vector<Refusal>& refusals, bool hash_libraries = true);
  // Loads one library file (also used by tests with mock plugins). `hash` is the
  // file's content hash when known already (the probe takes it; "" for none);
  // without one it is taken here.
  std::optional<Refusal> load_library(const std::string& path, const ab_host& host,
                                      const Manifest* manifest,
                                      std::optional<std::string> hash = std::nullopt);
  // load_library in a forked child first: a library whose loading crashes or
  // hangs there is refused with the signal or the limit, and never loaded here.
  // On success, when `hash_library`, `hash` is the file's content hash, taken
  // before any of its code ran.
  std::optional<Refusal> probe_library(const std::string& path, const ab_host& host,
                                       const Manifest* manifest, bool hash_library, std::string& hash) const;

  // A plugin's variant by name; "block/<preset>.<layer>" is made from that
  // preset on first use (block_variant.hpp; bad input -> InputError).
  const ab_variant* find(const std::string& name) const;
  // The block of a loaded preset's layer type (a preset file off the path too),
  // made once; find() then knows it by name. Bad input -> InputError.
  const ab_variant* block(const Preset& preset, const PresetLayer& layer) const;
  const LoadedPlugin* plugin_of(const ab_variant* variant) const;
  std::vector<const ab_variant*> variants() const;  // sorted by name
  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }
  // The suite fragments (`suite.toml`) in the folders of the loaded plugins'
  // libraries, in load order, each once (see harness/suite.hpp).
  std::vector<std::string> suite_fragments() const;
  std::string plugins_json() const;

 private:
  std::vector<LoadedPlugin> plugins_;
  std::map<std::string, std::pair<const ab_variant*, size_t>> by_name_;  // -> plugin index
  // Blocks made on demand, each with the preset it came from as its "plugin".
  struct Block {
    std::unique_ptr<BlockVariantHolder> variant;
    LoadedPlugin source;
  };
  mutable std::map<std::string, Block> blocks_;
  const ab_variant* keep_block(std::unique_ptr<BlockVariantHolder> block) const;
};

}  // namespace archbench
