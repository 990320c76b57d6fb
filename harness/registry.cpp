// Plugin discovery, Boost.DLL loading, ABI negotiation and manifest checks.
#define BOOST_DLL_USE_STD_FS
#include "harness/registry.hpp"

#include "harness/file_hash.hpp"
#include "harness/isolation.hpp"
#include "harness/variant_abi.hpp"

#include <boost/dll/shared_library.hpp>
#include <boost/dll/runtime_symbol_info.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace archbench {
namespace fs = std::filesystem;
namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// plugin.json: {"name", "version", "library", "variants": [{"name": ...}]}.
std::optional<Manifest> parse_manifest(const fs::path& path, std::vector<Refusal>& refusals) {
  try {
    auto json = nlohmann::json::parse(read_text(path));
    Manifest m;
    m.path = path.string();
    m.name = json.at("name").get<std::string>();
    m.version = json.at("version").get<std::string>();
    m.library = json.at("library").get<std::string>();
    m.description = json.value("description", "");
    for (const auto& v : json.at("variants")) m.variants.push_back(v.at("name").get<std::string>());
    return m;
  } catch (const std::exception& e) {
    refusals.push_back({path.string(), std::string("malformed manifest: ") + e.what()});
    return std::nullopt;
  }
}

bool is_shared_library(const fs::path& path) {
  const std::string name = path.filename().string();
  return path.extension() == ".so" || name.find(".so.") != std::string::npos;
}

// The plugin folders of one search-path entry: the entry itself and its subfolders.
std::vector<fs::path> plugin_folders(const std::string& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  out.push_back(dir);
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_directory()) out.push_back(entry.path());
  std::sort(out.begin() + 1, out.end());
  return out;
}

// Why the dynamic loader refused `path`, in its words ("invalid ELF header",
// "undefined symbol: x") rather than Boost.DLL's generic "Bad file descriptor".
std::string load_failure(const std::string& path) {
  const char* error = dlerror();
  std::string why = error ? error : "";
  if (why.rfind(path + ": ", 0) == 0) why = why.substr(path.size() + 2);
  return why.empty() ? "the dynamic loader refused it" : why;
}

// Reads a string the host will read later (names, keys, choices, descriptions),
// so a table pointing at garbage crashes the probe (below), not the parent.
size_t touch(const char* text) { return text ? std::strlen(text) : 0; }

size_t touch_tables(const ab_plugin_info& info) {
  size_t total = touch(info.name) + touch(info.version);
  for (uint32_t i = 0; i < info.variant_count; ++i) {
    const ab_variant* v = info.variants[i];
    if (!v || v->struct_size < offsetof(ab_variant, record)) continue;  // refused by the checks
    total += touch(v->name) + touch(v->kind) + touch(v->description);
    if (has_abi3_fields(*v)) total += touch(v->contracts);
    for (uint32_t p = 0; v->params && p < v->param_count; ++p)
      total += touch(v->params[p].name) + touch(v->params[p].key) + touch(v->params[p].choices) +
               touch(v->params[p].description);
  }
  return total;
}

// A library's entry point, static constructors and tables run first in a forked
// child: one that crashes or hangs there is refused in one line, and the parent
// (which lists, plans and records) never runs it. Deterministic code that
// passes the probe behaves the same when the parent loads it next.
constexpr double kProbeSeconds = 20;

}  // namespace

std::vector<std::string> plugin_search_path(const std::vector<std::string>& cli_dirs) {
  // In-tree first: the first plugin to register a variant name owns it.
  std::vector<std::string> out = {(boost::dll::program_location().parent_path() / "plugins").string()};
  out.insert(out.end(), cli_dirs.begin(), cli_dirs.end());
  if (const char* env = std::getenv("ARCHBENCH_PLUGIN_PATH")) {
    std::stringstream in(env);
    std::string item;
    while (std::getline(in, item, ':'))
      if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::vector<Manifest> read_manifests(const std::vector<std::string>& search_path,
                                     std::vector<Refusal>& refusals) {
  std::vector<Manifest> out;
  for (const auto& dir : search_path)
    for (const auto& folder : plugin_folders(dir))
      if (fs::exists(folder / "plugin.json"))
        if (auto m = parse_manifest(folder / "plugin.json", refusals)) out.push_back(*m);
  return out;
}

void Registry::load(const std::vector<std::string>& search_path, const ab_host& host,
                    std::vector<Refusal>& refusals, bool hash_libraries) {
  std::set<std::string> seen;
  for (const auto& dir : search_path) {
    for (const auto& folder : plugin_folders(dir)) {
      std::optional<Manifest> manifest;
      if (fs::exists(folder / "plugin.json")) {
        manifest = parse_manifest(folder / "plugin.json", refusals);
        if (!manifest) continue;
        if (!fs::exists(folder / manifest->library)) {
          refusals.push_back({manifest->path, "its library " + manifest->library + " is missing"});
          continue;
        }
      }
      std::vector<fs::path> libraries;
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(folder, ec))
        if (entry.is_regular_file() && is_shared_library(entry.path())) libraries.push_back(entry.path());
      std::sort(libraries.begin(), libraries.end());
      for (const auto& library : libraries) {
        const std::string canonical = fs::weakly_canonical(library).string();
        if (!seen.insert(canonical).second) continue;  // same file reached twice on the path
        const bool described = manifest && library.filename() == manifest->library;
        std::string hash;
        if (auto refusal =
                probe_library(library.string(), host, described ? &*manifest : nullptr, hash_libraries, hash)) {
          refusals.push_back(*refusal);
          continue;
        }
        if (auto refusal = load_library(library.string(), host, described ? &*manifest : nullptr, hash))
          refusals.push_back(*refusal);
      }
    }
  }
}

std::optional<Refusal> Registry::probe_library(const std::string& path, const ab_host& host,
                                               const Manifest* manifest, bool hash_library,
                                               std::string& hash) const {
  const ChildOutcome probe = run_isolated(
      [&] {
        // The hash first, before any of the library's code has run in this
        // process, so nothing it does can change what it is recorded as; and
        // here, so the parent does not read the file a second time.
        const std::string content_hash = hash_library ? file_sha1(path) : "";
        Registry scratch;  // names other plugins own are checked in the parent
        const std::optional<Refusal> refusal = scratch.load_library(path, host, manifest, "");
        return refusal ? "refused:" + refusal->reason : "ok:" + content_hash;
      },
      kProbeSeconds);
  if (probe.kind == ChildOutcome::Kind::timed_out)
    return Refusal{path, "loading it hung a probe process (" + probe.reason + ")"};
  if (probe.kind == ChildOutcome::Kind::crashed)
    return Refusal{path, "loading it crashed a probe process (" + probe.reason + ")"};
  if (probe.output.rfind("refused:", 0) == 0) return Refusal{path, probe.output.substr(8)};
  if (probe.output.rfind("ok:", 0) == 0) hash = probe.output.substr(3);
  return std::nullopt;
}

std::optional<Refusal> Registry::load_library(const std::string& path, const ab_host& host,
                                              const Manifest* manifest, std::optional<std::string> hash) {
  // Kept alive on purpose until the process ends: plugin code and statics must
  // outlive every instance, and unloading mid-run is never safe.
  auto* library = new boost::dll::shared_library();
  boost::dll::fs::error_code ec;
  library->load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    delete library;
    return Refusal{path, "not a loadable shared library: " + load_failure(path)};
  }
  if (!library->has(AB_ENTRY_SYMBOL)) {
    return Refusal{path, std::string("no entry symbol '") + AB_ENTRY_SYMBOL + "'"};
  }
  auto entry = library->get<ab_status(const ab_host*, ab_plugin_info*)>(AB_ENTRY_SYMBOL);
  ab_plugin_info info{};
  info.struct_size = sizeof(ab_plugin_info);
  const ab_status status = entry(&host, &info);
  if (status == AB_ERR_INCOMPATIBLE_ABI) {
    return Refusal{path, "plugin speaks ABI " + std::to_string(info.abi_min) + ".." +
                             std::to_string(info.abi_max) + ", host speaks " +
                             std::to_string(host.abi_min) + ".." + std::to_string(host.abi_max)};
  }
  if (status != AB_OK) return Refusal{path, std::string("entry failed: ") + status_text(status)};
  if (info.abi_version < host.abi_min || info.abi_version > host.abi_max)
    return Refusal{path, "plugin chose ABI " + std::to_string(info.abi_version) +
                             ", outside the host's " + std::to_string(host.abi_min) + ".." +
                             std::to_string(host.abi_max)};
  if (!info.name || !info.version || (info.variant_count && !info.variants))
    return Refusal{path, "entry returned an incomplete plugin description"};
  touch_tables(info);

  LoadedPlugin plugin{info.name, info.version, path, {}, info.abi_version, {}};
  std::set<std::string> names;
  for (uint32_t i = 0; i < info.variant_count; ++i) {
    const ab_variant* v = info.variants[i];
    // ABI 1 tables end before `record`; read it only where the table has it.
    if (!v || v->struct_size < offsetof(ab_variant, record) || !v->name || !v->kind ||
        !v->describe || !v->reference || !v->create || !v->execute || !v->destroy)
      return Refusal{path, "variant table " + std::to_string(i) + " is incomplete"};
    const bool has_record = v->struct_size >= offsetof(ab_variant, record) + sizeof v->record &&
                            info.abi_version >= 2 && v->record;
    // The host reads describe() and the extras by the table's size, so the
    // size must match the version chosen.
    if ((info.abi_version >= 3) != has_abi3_fields(*v))
      return Refusal{path, "variant table " + std::to_string(i) + " has " + std::to_string(v->struct_size) +
                               " bytes, which does not match the ABI " + std::to_string(info.abi_version) +
                               " it chose"};
    if ((v->backends & AB_BACKEND_BIT(AB_BACKEND_VULKAN)) && !has_record)
      return Refusal{path, std::string("variant '") + v->name +
                               "' declares the vulkan backend but has no record() (ABI 2)"};
    if (auto it = by_name_.find(v->name); it != by_name_.end())
      return Refusal{path, std::string("variant '") + v->name + "' is already registered by plugin " +
                               plugins_[it->second.second].name + " (" +
                               plugins_[it->second.second].path + ")"};
    names.insert(v->name);
    plugin.variants.push_back(v);
  }
  if (manifest) {
    std::set<std::string> declared(manifest->variants.begin(), manifest->variants.end());
    if (manifest->name != plugin.name || manifest->version != plugin.version || declared != names)
      return Refusal{path, "manifest " + manifest->path + " disagrees with the library (manifest: " +
                               manifest->name + " " + manifest->version + ", " +
                               std::to_string(declared.size()) + " variants; library: " +
                               plugin.name + " " + plugin.version + ", " +
                               std::to_string(names.size()) + " variants)"};
  }
  // Once per library: every result it produces carries it.
  plugin.hash = hash ? std::move(*hash) : file_sha1(path);
  for (const ab_variant* v : plugin.variants) by_name_[v->name] = {v, plugins_.size()};
  plugins_.push_back(std::move(plugin));
  return std::nullopt;
}

const ab_variant* Registry::find(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) return it->second.first;
  if (auto made = blocks_.find(name); made != blocks_.end()) return made->second.variant->table();
  std::unique_ptr<BlockVariantHolder> block = make_block_variant(name, *this);
  return block ? keep_block(std::move(block)) : nullptr;
}

const ab_variant* Registry::block(const Preset& preset, const PresetLayer& layer) const {
  if (auto made = blocks_.find(block_variant_name(preset, layer)); made != blocks_.end())
    return made->second.variant->table();
  return keep_block(make_block_variant(preset, layer, *this));
}

// A block's "plugin" is the preset file it came from, hashed like a library.
const ab_variant* Registry::keep_block(std::unique_ptr<BlockVariantHolder> block) const {
  const std::string name = block->table()->name;
  Block entry;
  entry.source.name = "preset:" + name.substr(name.find('/') + 1, name.rfind('.') - name.find('/') - 1);
  entry.source.version = "block";
  entry.source.path = block->preset_path();
  entry.source.hash = file_sha1(block->preset_path());
  entry.source.abi_version = AB_ABI_VERSION_MAX;
  entry.source.variants = {block->table()};
  entry.variant = std::move(block);
  return blocks_.emplace(name, std::move(entry)).first->second.variant->table();
}

const LoadedPlugin* Registry::plugin_of(const ab_variant* variant) const {
  auto it = by_name_.find(variant->name);
  if (it != by_name_.end()) return &plugins_[it->second.second];
  auto block = blocks_.find(variant->name);
  return block == blocks_.end() ? nullptr : &block->second.source;
}

std::vector<const ab_variant*> Registry::variants() const {
  std::vector<const ab_variant*> out;
  for (const auto& [name, entry] : by_name_) out.push_back(entry.first);
  return out;
}

std::vector<std::string> Registry::suite_fragments() const {
  std::vector<std::string> out;
  for (const auto& p : plugins_) {
    const std::string fragment = (fs::path(p.path).parent_path() / "suite.toml").string();
    if (fs::is_regular_file(fragment) && std::find(out.begin(), out.end(), fragment) == out.end())
      out.push_back(fragment);
  }
  return out;
}

std::string Registry::plugins_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : plugins_)
    out.push_back({{"name", p.name}, {"version", p.version}, {"path", p.path}, {"hash", p.hash},
                   {"abi", p.abi_version}});
  return out.dump();
}

}  // namespace archbench
