// Canonical problem strings: formatting, parsing and validation.
#include "harness/problem.hpp"

#include "harness/errors.hpp"
#include "harness/plugin_calls.hpp"
#include "harness/registry.hpp"
#include "harness/variant_abi.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace archbench {
namespace {

const uint64_t default_seed = 1;

// Shortest decimal that reads back to exactly the same double.
std::string shortest_real(double value) {
  char buffer[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::string format_value(const ab_param_spec& spec, double value) {
  switch (spec.type) {
    case AB_PARAM_INT: return spec.key + std::to_string(std::llround(value));
    case AB_PARAM_FLOAT: {
      std::string text = shortest_real(value);
      std::replace(text.begin(), text.end(), '.', 'p');  // '.' separates tokens
      return spec.key + text;
    }
    case AB_PARAM_ENUM: {
      const std::string choice = enum_choices(spec).at(size_t(value));
      return (spec.flags & AB_PARAM_FLAG_BARE) ? choice : std::string(spec.key) + "-" + choice;
    }
  }
  return {};
}

bool parse_number(std::string text, bool integer, double& out) {
  if (text.empty()) return false;
  std::replace(text.begin(), text.end(), 'p', '.');
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  if (*end != '\0' || !std::isfinite(out)) return false;
  return !integer || out == std::floor(out);
}

std::string expected_tokens(const ab_variant& variant) {
  std::string out;
  for (uint32_t i = 0; i < variant.param_count; ++i) {
    const ab_param_spec& spec = variant.params[i];
    out += out.empty() ? "" : ", ";
    if (spec.type == AB_PARAM_ENUM) {
      std::string choices = spec.choices;
      std::replace(choices.begin(), choices.end(), '|', '/');
      out += (spec.flags & AB_PARAM_FLAG_BARE) ? choices : std::string(spec.key) + "-" + choices;
    } else {
      out += std::string(spec.key) + (spec.type == AB_PARAM_INT ? "<int>" : "<real>");
    }
  }
  return out + ", f32/bf16/f16, seed<int>";
}

// Which parameter a token sets, and its value; false if none matches.
bool match_token(const ab_variant& variant, const std::string& token, uint32_t& index, double& value) {
  for (uint32_t i = 0; i < variant.param_count; ++i) {  // bare enum values first
    const ab_param_spec& spec = variant.params[i];
    if (spec.type != AB_PARAM_ENUM || !(spec.flags & AB_PARAM_FLAG_BARE)) continue;
    auto choices = enum_choices(spec);
    auto it = std::find(choices.begin(), choices.end(), token);
    if (it != choices.end()) {
      index = i;
      value = double(it - choices.begin());
      return true;
    }
  }
  // Longest key first, so "hd128" is head_dim even when a key "h" exists.
  size_t best_length = 0;
  bool found = false;
  for (uint32_t i = 0; i < variant.param_count; ++i) {
    const ab_param_spec& spec = variant.params[i];
    const size_t length = std::strlen(spec.key);
    if (length <= best_length || token.compare(0, length, spec.key) != 0) continue;
    std::string rest = token.substr(length);
    double parsed = 0;
    if (spec.type == AB_PARAM_ENUM) {
      if (rest.empty() || rest[0] != '-') continue;
      auto choices = enum_choices(spec);
      auto it = std::find(choices.begin(), choices.end(), rest.substr(1));
      if (it == choices.end()) continue;
      parsed = double(it - choices.begin());
    } else if (!parse_number(rest, spec.type == AB_PARAM_INT, parsed)) {
      continue;
    }
    best_length = length;
    index = i;
    value = parsed;
    found = true;
  }
  return found;
}

std::vector<double> defaults_of(const ab_variant& variant) {
  std::vector<double> values;
  for (uint32_t i = 0; i < variant.param_count; ++i) values.push_back(variant.params[i].default_value);
  return values;
}

}  // namespace

const char* dtype_name(ab_dtype dtype) {
  switch (dtype) {
    case AB_DTYPE_F32: return "f32";
    case AB_DTYPE_BF16: return "bf16";
    case AB_DTYPE_F16: return "f16";
    case AB_DTYPE_I32: return "i32";  // a tensor dtype only: no problem computes in it
  }
  return "?";
}

ab_dtype parse_dtype(const std::string& text, const std::string& where) {
  for (ab_dtype d : {AB_DTYPE_F32, AB_DTYPE_BF16, AB_DTYPE_F16})
    if (text == dtype_name(d)) return d;
  throw InputError(where + ": dtype '" + text + "' is not one of f32, bf16, f16");
}

std::vector<std::string> enum_choices(const ab_param_spec& spec) {
  std::vector<std::string> out;
  std::stringstream in(spec.choices ? spec.choices : "");
  std::string item;
  while (std::getline(in, item, '|')) out.push_back(item);
  return out;
}

ab_problem Problem::raw() const {
  ab_problem out{};
  out.struct_size = sizeof(ab_problem);
  out.dtype = dtype;
  out.values = values.data();
  out.value_count = uint32_t(values.size());
  out.seed = seed;
  return out;
}

// A parameter that is not printed in this problem's strings: one added later
// (AB_PARAM_FLAG_QUIET_DEFAULT), at its default.
bool Problem::silent(uint32_t index) const {
  const ab_param_spec& spec = variant->params[index];
  return (spec.flags & AB_PARAM_FLAG_QUIET_DEFAULT) && values[index] == spec.default_value;
}

// The canonical tokens ("dm4096.") of the parameters in `part`, in schema order;
// parameter `wildcard` printed with '*' for its value.
std::string Problem::tokens(Part part, int wildcard) const {
  std::string out;
  for (uint32_t i = 0; i < variant->param_count; ++i) {
    const ab_param_spec& spec = variant->params[i];
    const bool design = spec.flags & AB_PARAM_FLAG_DESIGN;
    if (part != Part::all && design != (part == Part::design)) continue;
    if (silent(i) && int(i) != wildcard) continue;
    if (int(i) != wildcard) out += format_value(spec, values[i]) + ".";
    else if (spec.type == AB_PARAM_ENUM) out += (spec.flags & AB_PARAM_FLAG_BARE) ? "*." : std::string(spec.key) + "-*.";
    else out += std::string(spec.key) + "*.";
  }
  return out;
}

std::string Problem::dtype_and_seed() const {
  return dtype_name(dtype) + (seed != default_seed ? ".seed" + std::to_string(seed) : "");
}

std::string Problem::shape() const { return tokens(Part::all) + dtype_and_seed(); }

std::string Problem::canonical() const { return std::string(variant->name) + ":" + shape(); }

std::string Problem::workload() const { return tokens(Part::workload) + dtype_and_seed(); }

std::string Problem::workload_with_wildcard(uint32_t index) const {
  return tokens(Part::workload, int(index)) + dtype_and_seed();
}

std::vector<results::ProblemParam> Problem::structured_params() const {
  std::vector<results::ProblemParam> out;
  for (uint32_t i = 0; i < variant->param_count; ++i) {
    const ab_param_spec& spec = variant->params[i];
    results::ProblemParam p;
    p.name = spec.name;
    p.token = silent(i) ? "" : format_value(spec, values[i]);  // kept, unprinted, as the default seed is
    p.design = spec.flags & AB_PARAM_FLAG_DESIGN;
    if (spec.type == AB_PARAM_ENUM) {
      p.type = "enum";
      p.key = (spec.flags & AB_PARAM_FLAG_BARE) ? "" : spec.key;
      p.text = enum_choices(spec).at(size_t(values[i]));
    } else {
      p.type = spec.type == AB_PARAM_INT ? "int" : "real";
      p.key = spec.key;
      p.value = values[i];
    }
    out.push_back(std::move(p));
  }
  results::ProblemParam dtype_param;
  dtype_param.name = "dtype";
  dtype_param.type = "enum";
  dtype_param.text = dtype_param.token = dtype_name(dtype);
  out.push_back(dtype_param);
  results::ProblemParam seed_param;
  seed_param.name = seed_param.key = "seed";
  seed_param.type = "int";
  seed_param.value = double(seed);
  seed_param.token = seed != default_seed ? "seed" + std::to_string(seed) : "";
  out.push_back(seed_param);
  return out;
}

std::string Problem::design() const {
  std::string design_tokens = tokens(Part::design);
  if (design_tokens.empty()) return variant->name;
  design_tokens.pop_back();  // the trailing '.'
  return std::string(variant->name) + ":" + design_tokens;
}

std::string Problem::design_compact() const {
  std::string tokens_out;
  for (uint32_t i = 0; i < variant->param_count; ++i) {
    const ab_param_spec& spec = variant->params[i];
    if (!(spec.flags & AB_PARAM_FLAG_DESIGN) || values[i] == spec.default_value) continue;
    tokens_out += (tokens_out.empty() ? "" : ".") + format_value(spec, values[i]);
  }
  return tokens_out.empty() ? std::string(variant->name) : std::string(variant->name) + ":" + tokens_out;
}

std::string Problem::params_json() const {
  nlohmann::ordered_json out;
  for (uint32_t i = 0; i < variant->param_count; ++i) {
    const ab_param_spec& spec = variant->params[i];
    if (spec.type == AB_PARAM_INT) out[spec.name] = std::llround(values[i]);
    else if (spec.type == AB_PARAM_FLOAT) out[spec.name] = values[i];
    else out[spec.name] = enum_choices(spec).at(size_t(values[i]));
  }
  out["dtype"] = dtype_name(dtype);
  out["seed"] = seed;
  return out.dump();
}

Problem parse_problem(const std::string& text, const Registry& registry) {
  const std::string where = "problem '" + printable(text) + "'";
  // A newline or an escape sequence typed into a problem string must not reach
  // the terminal raw or split the one-line error.
  for (const char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw InputError(where + ": contains a control character");
  const size_t colon = text.find(':');
  const std::string variant_name = text.substr(0, colon);
  const ab_variant* variant = registry.find(variant_name);
  if (!variant)
    throw InputError(where + ": unknown variant '" + printable(variant_name) +
                     "' (see `archbench list variants`)");
  Problem problem;
  problem.variant = variant;
  problem.values = defaults_of(*variant);
  std::vector<bool> seen(variant->param_count, false);
  bool dtype_seen = false, seed_seen = false;
  std::stringstream tokens(colon == std::string::npos ? "" : text.substr(colon + 1));
  std::string token;
  while (std::getline(tokens, token, '.')) {
    if (token.empty()) throw InputError(where + ": empty token (two dots in a row?)");
    uint32_t index = 0;
    double value = 0;
    if (token == "f32" || token == "bf16" || token == "f16") {
      if (dtype_seen) throw InputError(where + ": dtype given twice");
      problem.dtype = parse_dtype(token, where);
      dtype_seen = true;
    } else if (token.rfind("seed", 0) == 0 && parse_number(token.substr(4), false, value)) {
      // Digits only, read as an integer: every 64-bit seed round-trips exactly,
      // and none above 2^64 - 1 passes as a saturated or rounded double (1e30
      // used to become 2^64 - 1).
      if (seed_seen) throw InputError(where + ": seed given twice");
      const auto [end, error] = std::from_chars(token.data() + 4, token.data() + token.size(), problem.seed);
      if (token.find_first_not_of("0123456789", 4) != std::string::npos || error != std::errc() ||
          end != token.data() + token.size())
        throw InputError(where + ": token '" + printable(token) +
                         "': the seed must be a whole number in digits, 0 to 18446744073709551615 (2^64 - 1)");
      seed_seen = true;
    } else if (match_token(*variant, token, index, value)) {
      if (seen[index])
        throw InputError(where + ": parameter '" + variant->params[index].name + "' given twice");
      seen[index] = true;
      problem.values[index] = value;
    } else {
      throw InputError(where + ": unknown token '" + printable(token) + "'; expected " + expected_tokens(*variant));
    }
  }
  validate_problem(problem, where);
  return problem;
}

Problem make_problem(const ab_variant& variant, const std::map<std::string, ParamValue>& named,
                     ab_dtype dtype, uint64_t seed, const std::string& where) {
  Problem problem;
  problem.variant = &variant;
  problem.values = defaults_of(variant);
  problem.dtype = dtype;
  problem.seed = seed;
  for (const auto& [name, value] : named) {
    uint32_t index = variant.param_count;
    for (uint32_t i = 0; i < variant.param_count; ++i)
      if (name == variant.params[i].name || name == variant.params[i].key) index = i;
    if (index == variant.param_count)
      throw InputError(where + ": " + variant.name + " has no parameter '" + name + "'");
    const ab_param_spec& spec = variant.params[index];
    if (spec.type == AB_PARAM_ENUM) {
      const std::string* text = std::get_if<std::string>(&value);
      auto choices = enum_choices(spec);
      auto it = text ? std::find(choices.begin(), choices.end(), *text) : choices.end();
      if (it == choices.end())
        throw InputError(where + ": '" + name + "' must be one of " + spec.choices);
      problem.values[index] = double(it - choices.begin());
    } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
      problem.values[index] = double(*i);
    } else if (const double* d = std::get_if<double>(&value); d && spec.type == AB_PARAM_FLOAT) {
      problem.values[index] = *d;
    } else {
      throw InputError(where + ": '" + name + "' must be " +
                       (spec.type == AB_PARAM_INT ? "an integer" : "a number"));
    }
  }
  validate_problem(problem, where);
  return problem;
}

void validate_problem(const Problem& problem, const std::string& where) {
  const ab_variant& variant = *problem.variant;
  for (uint32_t i = 0; i < variant.param_count; ++i) {
    const ab_param_spec& spec = variant.params[i];
    const double v = problem.values[i];
    // NaN compares false both ways: without isfinite a suite's `eps = nan` passed
    // and printed a canonical string ("epsnan") that does not parse back.
    if (!std::isfinite(v) || v < spec.min_value || v > spec.max_value) {
      std::ostringstream msg;
      msg << where << ": " << spec.name << " = " << shortest_real(v) << " is outside ["
          << shortest_real(spec.min_value) << ", " << shortest_real(spec.max_value) << "]";
      throw InputError(msg.str());
    }
  }
  if (!variant.validate) return;
  const ab_problem raw = problem.raw();
  // Plugin code: in the parent it runs in a child (see plugin_calls.hpp).
  const CallAnswer answer = plugin_call(call_key("validate", variant, raw), [&] {
    char reason[512] = {};
    const ab_status status = variant.validate(variant.context, &raw, reason, sizeof reason);
    reason[sizeof reason - 1] = '\0';  // a plugin that filled the buffer left no end
    return nlohmann::json{{"status", int(status)}, {"reason", std::string(reason)}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
  });
  if (!answer.ok()) throw PluginCrash(problem, answer.failure("validate()"));
  const nlohmann::json said = nlohmann::json::parse(answer.text);
  if (said.at("status").get<int>() == AB_OK) return;
  std::string reason = said.at("reason").get<std::string>();
  if (reason.empty()) reason = "the variant's validate() refused it (" + status_text(ab_status(said.at("status").get<int>())) + ")";
  throw InputError(where + ": " + printable(reason));
}

}  // namespace archbench
