// Command-line sweeps (see sweep.hpp).
#include "harness/sweep.hpp"

#include "harness/errors.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

namespace archbench {
namespace {

constexpr size_t kMaxExpanded = 10000;

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

bool starts_with_number(const std::string& s) {
  return !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '.');
}

// The alternatives of one token: "t128,256" -> t128, t256.
std::vector<std::string> alternatives(const std::string& token, const std::string& whole) {
  std::vector<std::string> parts = split(token, ',');
  if (parts.size() == 1) return parts;
  for (const auto& p : parts)
    if (p.empty()) throw InputError("--problem '" + whole + "': empty item in the list '" + token + "'");
  const std::string& first = parts[0];
  std::string prefix;
  const size_t dash = first.find('-');
  const bool enum_key = dash != std::string::npos && dash > 0 &&
                        std::all_of(first.begin(), first.begin() + long(dash), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  if (enum_key) prefix = first.substr(0, dash + 1);  // "qkn-none": the enum's key
  else {
    size_t letters = 0;
    while (letters < first.size() && std::isalpha(static_cast<unsigned char>(first[letters]))) ++letters;
    if (letters < first.size()) prefix = first.substr(0, letters);  // a key before a number
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string& p = parts[i];
    const bool is_enum_key = !prefix.empty() && prefix.back() == '-';
    if (is_enum_key ? p.find('-') == std::string::npos : starts_with_number(p)) p = prefix + p;
  }
  return parts;
}

}  // namespace

std::vector<std::string> expand_problem_sweeps(const std::vector<std::string>& problems) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& problem : problems) {
    const size_t at = problem.find('@');
    const std::string head = problem.substr(0, at), task = at == std::string::npos ? "" : problem.substr(at);
    const size_t colon = head.find(':');
    if (head.find(',') == std::string::npos || colon == std::string::npos) {
      if (seen.insert(problem).second) out.push_back(problem);
      continue;
    }
    std::vector<std::string> expanded = {head.substr(0, colon + 1)};
    const std::vector<std::string> tokens = split(head.substr(colon + 1), '.');
    for (size_t t = 0; t < tokens.size(); ++t) {
      std::vector<std::string> next;
      for (const std::string& prefix : expanded)
        for (const std::string& alt : alternatives(tokens[t], problem)) next.push_back(prefix + (t ? "." : "") + alt);
      if (next.size() > kMaxExpanded)
        throw InputError("--problem '" + problem + "': expands to more than " + std::to_string(kMaxExpanded) + " problems");
      expanded = std::move(next);
    }
    for (const std::string& e : expanded)
      if (seen.insert(e + task).second) out.push_back(e + task);
  }
  return out;
}

std::vector<int> parse_count_list(const std::string& text, const std::string& flag) {
  std::vector<int> out;
  for (const std::string& item : split(text, ',')) {
    size_t used = 0;
    long value = 0;
    try {
      value = std::stol(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || value < 1 || value > 4096)
      throw InputError(flag + ": expected whole numbers in [1, 4096], comma-separated, got '" + text + "'");
    out.push_back(int(value));
  }
  if (out.empty()) throw InputError(flag + ": expected whole numbers in [1, 4096], comma-separated, got ''");
  return out;
}

}  // namespace archbench
