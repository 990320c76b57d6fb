// Placing parts at a workload and reducing them to fit (see workload.hpp).
#include "harness/workload.hpp"

#include "harness/errors.hpp"
#include "harness/model_parameters.hpp"

#include <cmath>
#include <sstream>

namespace archbench {
namespace {

int flagged(const ab_variant& variant, uint32_t flag) {
  for (uint32_t i = 0; i < variant.param_count; ++i)
    if (variant.params[i].flags & flag) return int(i);
  return -1;
}

// The index of `choice` among an enum's choices, or -1.
int choice_index(const ab_param_spec& spec, const std::string& choice) {
  const std::vector<std::string> choices = enum_choices(spec);
  for (size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == choice) return int(i);
  return -1;
}

// Validated, or nullopt with the reason.
std::optional<Problem> validated(const Problem& problem, std::string& why) {
  try {
    validate_problem(problem, problem.canonical());
    return problem;
  } catch (const InputError& e) {
    why = e.what();
  } catch (const PluginCrash& e) {
    why = e.what();
  }
  return std::nullopt;
}

}  // namespace

const char* mode_name(Workload::Mode mode) { return mode == Workload::Mode::prefill ? "prefill" : "decode"; }

std::optional<Problem> at_workload(const Problem& part, const Workload& workload, std::string& why) {
  const ab_variant& variant = *part.variant;
  Problem placed = part;
  const int mode = flagged(variant, AB_PARAM_FLAG_MODE), batch = flagged(variant, AB_PARAM_FLAG_BATCH),
            context = flagged(variant, AB_PARAM_FLAG_CONTEXT), rows = flagged(variant, AB_PARAM_FLAG_ROWS);
  const bool prefill = workload.mode == Workload::Mode::prefill;
  if (mode >= 0 && batch >= 0 && context >= 0) {
    const int choice = choice_index(variant.params[mode], mode_name(workload.mode));
    if (choice < 0) {
      why = std::string(variant.name) + ": its mode parameter has no '" + mode_name(workload.mode) + "' choice";
      return std::nullopt;
    }
    placed.values[size_t(mode)] = choice;
    placed.values[size_t(batch)] = double(workload.batch);
    placed.values[size_t(context)] = double(workload.tokens);
  } else if (rows >= 0) {
    // One call's token rows: the prompt's tokens, or one new token per sequence.
    placed.values[size_t(rows)] = double(prefill ? workload.batch * workload.tokens : workload.batch);
  } else {
    why = std::string(variant.name) + " declares no workload roles (AB_PARAM_FLAG_MODE, BATCH and CONTEXT, or ROWS)";
    return std::nullopt;
  }
  return validated(placed, why);
}

std::optional<double> sequence_bytes(const Problem& problem) {
  const int context = flagged(*problem.variant, AB_PARAM_FLAG_CONTEXT);
  if (context < 0 || flagged(*problem.variant, AB_PARAM_FLAG_MODE) < 0 || flagged(*problem.variant, AB_PARAM_FLAG_BATCH) < 0)
    return std::nullopt;
  std::string why;
  const std::optional<Problem> step =
      at_workload(problem, Workload{Workload::Mode::decode, 1, int64_t(problem.values[size_t(context)])}, why);
  if (!step) return std::nullopt;
  const ParameterCount c = count_parameters(*step);
  if (!c.failure.empty()) return std::nullopt;
  return c.state_bytes;
}

std::optional<Problem> reduce_by(const Problem& problem, int factor, std::string& why) {
  if (factor == 1) return problem;
  Problem reduced = problem;
  bool any = false;
  for (uint32_t i = 0; i < problem.variant->param_count; ++i) {
    if (!(problem.variant->params[i].flags & AB_PARAM_FLAG_REDUCIBLE)) continue;
    any = true;
    if (std::fmod(problem.values[i], factor) != 0) {
      std::ostringstream text;
      text << problem.variant->name << ": its " << problem.variant->params[i].name << " ("
           << problem.values[i] << ") is not a multiple of " << factor;
      why = text.str();
      return std::nullopt;
    }
    reduced.values[i] = problem.values[i] / factor;
  }
  if (!any) return problem;  // nothing to divide: measured whole
  return validated(reduced, why);
}

Reduced reduce_to_fit(const Problem& problem, double budget_bytes) {
  Reduced out;
  ParameterCount full = count_parameters(problem);
  if (!full.failure.empty()) {
    out.why = full.failure;
    return out;
  }
  if (full.tensor_bytes <= budget_bytes) {
    out.problem = problem;
    return out;
  }
  std::vector<size_t> reducible;
  for (uint32_t i = 0; i < problem.variant->param_count; ++i)
    if (problem.variant->params[i].flags & AB_PARAM_FLAG_REDUCIBLE) reducible.push_back(i);
  std::ostringstream need;
  need << problem.canonical() << " needs " << std::round(full.tensor_bytes / 1e6) << " MB of tensors, over the "
       << std::round(budget_bytes / 1e6) << " MB a part may use here";
  if (reducible.empty()) {
    out.why = need.str() + ", and it has no REDUCIBLE parameter";
    return out;
  }
  double smallest = 1e300;
  for (size_t i : reducible) smallest = std::min(smallest, problem.values[i]);
  std::string last_refusal;
  for (int factor = 2; factor <= int(smallest); ++factor) {
    bool whole = true;
    for (size_t i : reducible) whole = whole && std::fmod(problem.values[i], factor) == 0;
    if (!whole) continue;  // the same ratios, in whole counts
    std::string why;
    const std::optional<Problem> fewer = reduce_by(problem, factor, why);
    if (!fewer) {
      last_refusal = why;
      continue;
    }
    const Problem& reduced = *fewer;
    const ParameterCount c = count_parameters(reduced);
    if (!c.failure.empty() || c.tensor_bytes > budget_bytes) continue;
    out.problem = reduced;
    out.factor = factor;
    return out;
  }
  out.why = need.str() + ", and no whole division of its REDUCIBLE parameters fits" +
            (last_refusal.empty() ? "" : " (last refusal: " + last_refusal + ")");
  return out;
}

}  // namespace archbench
