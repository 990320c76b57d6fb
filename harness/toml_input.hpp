// Reading TOML input files (suites, presets) with toml++: errors as one line
// "FILE:LINE:COL: what was expected" (InputError), and the checks every such
// file needs (unknown keys refused, lists of strings).
#pragma once

#include <toml++/toml.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace archbench {

// "FILE:LINE:COL" of a node.
std::string position(const std::string& path, const toml::source_region& region);

// Throws InputError "FILE:LINE:COL: what".
[[noreturn]] void fail(const std::string& path, const toml::node& node, const std::string& what);

// The parsed file, or InputError at the syntax error's position.
toml::table parse_document(const std::string& path);

// Refuses any key of `table` not in `allowed` (typos must not be silently ignored).
void only_keys(const std::string& path, const toml::table& table, std::initializer_list<const char*> allowed,
               const char* where);

// The folders named in the environment variable `env` (colon-separated, empty
// items skipped), then `fallback`: where suites and presets are looked up.
std::vector<std::string> search_path(const char* env, const std::string& fallback);

// `name_or_path` when it is a file, else the first DIR/NAME.toml on `dirs`; "" when none.
std::string find_toml(const std::string& name_or_path, const std::vector<std::string>& dirs);

// `table[key]` as a list of strings ([] when absent).
std::vector<std::string> string_list(const std::string& path, const toml::table& table, const char* key);

}  // namespace archbench
