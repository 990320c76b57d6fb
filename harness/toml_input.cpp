// Reading TOML input files (see toml_input.hpp).
#include "harness/toml_input.hpp"

#include "harness/errors.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace archbench {

std::string position(const std::string& path, const toml::source_region& region) {
  return path + ":" + std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column);
}

[[noreturn]] void fail(const std::string& path, const toml::node& node, const std::string& what) {
  throw InputError(position(path, node.source()) + ": " + what);
}

toml::table parse_document(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw InputError(position(path, e.source()) + ": " + std::string(e.description()));
  }
}

void only_keys(const std::string& path, const toml::table& table, std::initializer_list<const char*> allowed,
               const char* where) {
  for (const auto& [key, node] : table) {
    bool known = false;
    for (const char* k : allowed) known = known || key.str() == k;
    if (known) continue;
    std::string list;
    for (const char* k : allowed) list += (list.empty() ? "" : ", ") + std::string(k);
    fail(path, node, "unknown key '" + std::string(key.str()) + "' in " + where + " (expected " + list + ")");
  }
}

std::vector<std::string> search_path(const char* env, const std::string& fallback) {
  std::vector<std::string> out;
  if (const char* value = std::getenv(env)) {
    std::stringstream in(value);
    std::string item;
    while (std::getline(in, item, ':'))
      if (!item.empty()) out.push_back(item);
  }
  out.push_back(fallback);
  return out;
}

std::string find_toml(const std::string& name_or_path, const std::vector<std::string>& dirs) {
  namespace fs = std::filesystem;
  if (fs::is_regular_file(name_or_path)) return name_or_path;
  for (const std::string& dir : dirs)
    if (fs::is_regular_file(fs::path(dir) / (name_or_path + ".toml"))) return (fs::path(dir) / (name_or_path + ".toml")).string();
  return {};
}

std::vector<std::string> string_list(const std::string& path, const toml::table& table, const char* key) {
  std::vector<std::string> out;
  const toml::node* node = table.get(key);
  if (!node) return out;
  const toml::array* list = node->as_array();
  if (!list) fail(path, *node, std::string("'") + key + "' expects a list of strings");
  for (const toml::node& item : *list) {
    auto text = item.value_exact<std::string>();
    if (!text) fail(path, item, std::string("'") + key + "' expects a list of strings");
    out.push_back(*text);
  }
  return out;
}

}  // namespace archbench
