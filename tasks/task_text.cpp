// Task-string tokens and typed suite options (see task_text.hpp).
#include "tasks/task_text.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace archbench::tasks {
namespace {

const OptionValue* single_value(const TaskOptions& options, const std::string& key) {
  auto it = options.find(key);
  if (it == options.end()) return nullptr;
  if (it->second.size() != 1) throw OptionError(key, "'" + key + "' expects one value, not a list");
  return &it->second.front();
}

bool as_real(const OptionValue& value, double& out) {
  if (const auto* i = std::get_if<int64_t>(&value)) return out = double(*i), true;
  if (const auto* d = std::get_if<double>(&value)) return out = *d, true;
  return false;
}

}  // namespace

std::string real_token(double value) {
  std::ostringstream out;
  out << value;
  std::string text = out.str();
  std::replace(text.begin(), text.end(), '.', 'p');
  return text;
}

std::vector<std::string> task_tokens(const std::string& text) {
  std::vector<std::string> tokens;
  std::stringstream in(text);
  for (std::string token; std::getline(in, token, '.');) tokens.push_back(token);
  return tokens;
}

double token_real(const std::string& token, const std::string& text) {
  std::string number = text;
  std::replace(number.begin(), number.end(), 'p', '.');
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != number.size() || !std::isfinite(value))
    throw std::invalid_argument("task token '" + token + "': expected a number after its key");
  return value;
}

int64_t token_int(const std::string& token, const std::string& text, int64_t low, int64_t high) {
  const double value = token_real(token, text);
  if (value != std::floor(value) || value < double(low) || value > double(high))
    throw std::invalid_argument("task token '" + token + "': expected an integer in [" + std::to_string(low) +
                                ", " + std::to_string(high) + "]");
  return int64_t(value);
}

bool token_has_key(const std::string& token, const char* key, std::string& rest) {
  const std::string k = key;
  if (token.size() <= k.size() || token.compare(0, k.size(), k) != 0) return false;
  rest = token.substr(k.size());
  return true;
}

int64_t option_int(const TaskOptions& options, const std::string& key, int64_t low, int64_t high,
                   int64_t fallback) {
  const OptionValue* value = single_value(options, key);
  if (!value) return fallback;
  const auto* i = std::get_if<int64_t>(value);
  if (!i || *i < low || *i > high)
    throw OptionError(key, "'" + key + "' expects an integer in [" + std::to_string(low) + ", " +
                               std::to_string(high) + "]");
  return *i;
}

double option_real(const TaskOptions& options, const std::string& key, double low_exclusive, double high,
                   double fallback) {
  const OptionValue* value = single_value(options, key);
  if (!value) return fallback;
  double number = 0;
  if (!as_real(*value, number) || !(number > low_exclusive) || number > high) {
    std::ostringstream range;
    range << "(" << low_exclusive << ", " << high << "]";
    throw OptionError(key, "'" + key + "' expects a number in " + range.str());
  }
  return number;
}

std::vector<int64_t> option_ints(const TaskOptions& options, const std::string& key, int64_t low, int64_t high,
                                 const std::vector<int64_t>& fallback) {
  auto it = options.find(key);
  if (it == options.end()) return fallback;
  std::vector<int64_t> out;
  for (const OptionValue& value : it->second) {
    const auto* i = std::get_if<int64_t>(&value);
    if (!i || *i < low || *i > high)
      throw OptionError(key, "'" + key + "' expects integers in [" + std::to_string(low) + ", " +
                                 std::to_string(high) + "]");
    out.push_back(*i);
  }
  return out;
}

std::vector<std::string> option_choices(const TaskOptions& options, const std::string& key,
                                        const std::vector<std::string>& choices,
                                        const std::vector<std::string>& fallback) {
  auto it = options.find(key);
  if (it == options.end()) return fallback;
  std::vector<std::string> out;
  for (const OptionValue& value : it->second) {
    const auto* text = std::get_if<std::string>(&value);
    if (!text || std::find(choices.begin(), choices.end(), *text) == choices.end())
      throw OptionError(key, "'" + key + "' expects " + or_list(choices) +
                                 (text ? ", not '" + *text + "'" : std::string()));
    out.push_back(*text);
  }
  return out;
}

std::string or_list(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i];
  return out;
}

}  // namespace archbench::tasks
