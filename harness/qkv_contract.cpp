// Problems at a task's context through the mixer.qkv/1 adapter (see qkv_contract.hpp).
// The adapter is plugin code the planner runs: each call goes through
// plugin_call (plugin_calls.hpp), so in the parent it runs in a child.
#include "harness/qkv_contract.hpp"

#include "harness/plugin_calls.hpp"
#include "harness/variant_abi.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>

namespace archbench {
namespace {

using json = nlohmann::json;

// Reals cross the child's pipe as their bits, so they come back exactly.
uint64_t bits_of(double value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}
double from_bits(uint64_t bits) {
  double value = 0;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// The adapter table, checked; nullptr when the variant has none (or a bad one).
const ab_mixer_qkv* find_adapter(const ab_variant& variant) {
  const auto* adapter = static_cast<const ab_mixer_qkv*>(contract_adapter(variant, AB_CONTRACT_MIXER_QKV));
  if (!adapter || adapter->struct_size < sizeof(ab_mixer_qkv) || !adapter->at_context || !adapter->layout ||
      !adapter->write_inputs || !adapter->read_output)
    return nullptr;
  return adapter;
}

// The adapter lookup as a plugin call: a pointer found in a child is valid here,
// since the child is a fork of this process with the same libraries loaded.
struct AdapterAnswer {
  const ab_mixer_qkv* adapter = nullptr;
  std::string crashed;  // why the lookup crashed, "" when it answered
};
AdapterAnswer adapter_of(const ab_variant& variant) {
  if (!implements(variant, AB_CONTRACT_MIXER_QKV)) return {};
  const ab_problem none{};
  const CallAnswer answer = plugin_call(call_key("qkv_adapter", variant, none), [&] {
    return std::to_string(reinterpret_cast<uintptr_t>(find_adapter(variant)));
  });
  if (!answer.ok()) return {nullptr, answer.failure("the mixer.qkv/1 adapter lookup")};
  return {reinterpret_cast<const ab_mixer_qkv*>(uintptr_t(std::stoull(answer.text))), ""};
}

}  // namespace

const ab_mixer_qkv* qkv_adapter(const ab_variant& variant) { return adapter_of(variant).adapter; }

ContextProblem problem_at_context(const Problem& base, int64_t tokens, const std::string& where) {
  ContextProblem out;
  const AdapterAnswer found = adapter_of(*base.variant);
  if (!found.crashed.empty()) {
    out.why = found.crashed;
    out.crashed = true;
    return out;
  }
  const ab_mixer_qkv* adapter = found.adapter;
  if (!adapter) {
    out.why = std::string("needs contract ") + AB_CONTRACT_MIXER_QKV;
    return out;
  }
  const ab_problem raw = base.raw();
  std::vector<double> values(base.values.size());
  std::string error;
  std::string crashed;
  auto ask = [&](int64_t at) {
    const CallAnswer answer = plugin_call(call_key("at_context", *base.variant, raw, std::to_string(at)), [&] {
      std::vector<double> made(base.values.size());
      uint32_t param = 0;
      char text[512] = {};
      const ab_status status = adapter->at_context(adapter->context, &raw, at, made.data(), &param, text, sizeof text);
      text[sizeof text - 1] = '\0';  // a plugin that filled the buffer left no end
      json values_bits = json::array();
      for (double v : made) values_bits.push_back(bits_of(v));
      return json{{"status", int(status)}, {"values", values_bits}, {"param", param}, {"error", std::string(text)}}
          .dump(-1, ' ', false, json::error_handler_t::replace);
    });
    if (!answer.ok()) {
      crashed = answer.failure("the mixer.qkv/1 adapter's at_context()");
      return AB_ERR_INTERNAL;
    }
    const json said = json::parse(answer.text);
    const auto& made = said.at("values");
    for (size_t i = 0; i < values.size() && i < made.size(); ++i) values[i] = from_bits(made[i].get<uint64_t>());
    out.context_param = said.at("param").get<uint32_t>();
    error = said.at("error").get<std::string>();
    return ab_status(said.at("status").get<int>());
  };
  // A replayed row keeps its own context: ask once to learn which parameter holds it.
  if (tokens <= 0 && ask(1) == AB_OK && out.context_param < values.size())
    tokens = std::llround(base.values[out.context_param]);
  const ab_status status = crashed.empty() ? ask(tokens) : AB_ERR_INTERNAL;
  if (!crashed.empty()) {  // in either call
    out.why = crashed;
    out.crashed = true;
    return out;
  }
  if (status != AB_OK) {
    out.why = !error.empty() ? error : "the mixer.qkv/1 adapter refused this problem";
    return out;
  }
  if (out.context_param >= values.size()) {
    out.why = "the mixer.qkv/1 adapter named no parameter for the context";
    return out;
  }
  Problem problem = base;
  problem.values = values;
  validate_problem(problem, where);
  out.problem = std::move(problem);
  return out;
}

}  // namespace archbench
