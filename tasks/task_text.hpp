// Helpers every task uses for its strings and its suite options, so each task's
// file holds only what is its own: reals with 'p' for the decimal point (the '.'
// separates tokens), checked numbers, key-prefixed tokens, and typed reads of a
// suite's [task] options with errors that name the key.
#pragma once

#include "tasks/task.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace archbench::tasks {

// "24p5" for 24.5; the shortest text that prints the value.
std::string real_token(double value);

// A task string's tokens ("needle.single.t8" -> needle, single, t8).
std::vector<std::string> task_tokens(const std::string& text);

// The number after a token's key; std::invalid_argument naming `token` otherwise.
double token_real(const std::string& token, const std::string& text);
int64_t token_int(const std::string& token, const std::string& text, int64_t low, int64_t high);

// True, with the rest in `rest`, when `token` is `key` followed by something.
bool token_has_key(const std::string& token, const char* key, std::string& rest);

// Typed reads of a suite option (OptionError naming the key when it is wrong);
// a missing key gives `fallback`.
int64_t option_int(const TaskOptions& options, const std::string& key, int64_t low, int64_t high,
                   int64_t fallback);
double option_real(const TaskOptions& options, const std::string& key, double low_exclusive, double high,
                   double fallback);
std::vector<int64_t> option_ints(const TaskOptions& options, const std::string& key, int64_t low, int64_t high,
                                 const std::vector<int64_t>& fallback);
// Each value one of `choices` (a list forms a grid axis).
std::vector<std::string> option_choices(const TaskOptions& options, const std::string& key,
                                        const std::vector<std::string>& choices,
                                        const std::vector<std::string>& fallback);

// "a, b or c".
std::string or_list(const std::vector<std::string>& items);

}  // namespace archbench::tasks
