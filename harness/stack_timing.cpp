// Timing a whole model's decode step layer by layer (see stack_timing.hpp).
#include "harness/stack_timing.hpp"

#include "harness/instance_runner.hpp"
#include "harness/isolation.hpp"
#include "harness/tensors.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <memory>

namespace archbench {
namespace {

// The layer type that covers layer `index`.
const PresetLayer* type_of(const Preset& preset, int index) {
  for (const PresetLayer& t : preset.layer_types)
    if (std::binary_search(t.layers.begin(), t.layers.end(), index)) return &t;
  return nullptr;
}

std::string stack_work(const ModelPlan& plan, ab_backend backend, const ab_host& host, int repetitions,
                       bool blocks) {
  std::deque<Problem> problems;  // a deque: raw() points into each problem's values, which must not move
  std::vector<std::unique_ptr<TensorSet>> tensors;
  std::vector<std::unique_ptr<InstanceRunner>> runners;
  for (int layer = 0; layer < plan.preset.layers; ++layer) {
    const PresetLayer* type = type_of(plan.preset, layer);
    if (!type) return "! layer " + std::to_string(layer) + " has no layer type";
    int position = 0;
    for (const PlannedPart& part : plan.parts) {
      if (part.mode != Workload::Mode::decode || part.layer_type != type->name || part.block != blocks) continue;
      problems.push_back(*part.problem);
      Problem& problem = problems.back();
      problem.seed = 1 + uint64_t(layer) * 64 + uint64_t(position++);  // every layer its own weights and cache
      ab_problem_info info;
      if (!describe_problem(problem, info)) return "! describe() failed for " + problem.canonical();
      tensors.push_back(std::make_unique<TensorSet>(info));
      tensors.back()->fill(problem.seed);
      const ab_problem raw = problem.raw();
      CreatedRunner created = create_runner(backend, *problem.variant, raw, host, *tensors.back());
      if (!created.runner) return "! " + problem.canonical() + ": " + created.outcome + ": " + created.reason;
      if (const std::string failed = created.runner->run_checked(); !failed.empty())
        return "! " + problem.canonical() + ": " + failed;
      runners.push_back(std::move(created.runner));
    }
  }
  // One untimed step first: the first pass over every layer's memory pays for
  // page-table and cache misses a serving model paid long ago.
  for (auto& runner : runners) runner->timed_iteration();
  std::vector<double> steps;
  for (int r = 0; r < repetitions; ++r) {
    double step = 0;
    for (auto& runner : runners) step += runner->timed_iteration();
    steps.push_back(step);
  }
  std::sort(steps.begin(), steps.end());
  char text[64];
  std::snprintf(text, sizeof text, "%a %zu", steps[steps.size() / 2], runners.size());
  return text;
}

}  // namespace

StackTiming time_decode_stack(const ModelPlan& plan, ab_backend backend, const ab_host& host, int repetitions,
                              double timeout_s) {
  StackTiming out;
  out.blocks = true;  // every layer as its type's block where each is planned at full width
  for (const PlannedPart& p : plan.parts) {
    if (p.mode != Workload::Mode::decode) continue;
    if (p.block) {
      out.blocks = out.blocks && p.problem && p.reduction == 1;
      continue;
    }
    if (!p.problem) out.failure = p.part + " is left out of the estimate (" + p.why + ")";
    else if (p.reduction > 1) out.failure = p.part + " does not fit this machine at full width";
    if (!out.failure.empty()) return out;
  }
  const ChildOutcome child = run_isolated(
      [&] { return stack_work(plan, backend, host, std::max(1, repetitions), out.blocks); }, timeout_s);
  if (child.kind != ChildOutcome::Kind::finished) {
    out.failure = (child.kind == ChildOutcome::Kind::crashed ? "crashed: " : "timed out: ") + child.reason;
    return out;
  }
  if (child.output.rfind("! ", 0) == 0) {
    out.failure = child.output.substr(2);
    return out;
  }
  double seconds = 0;
  if (std::sscanf(child.output.c_str(), "%la %zu", &seconds, &out.instances) != 2) {
    out.failure = "unreadable answer: " + child.output;
    return out;
  }
  out.decode_s = seconds;
  return out;
}

double estimated_layer_decode_s(const results::ModelEstimateRecord& estimate) {
  double seconds = 0;
  for (const results::ModelEstimatePart& p : estimate.parts)
    if (p.mode == "decode" && p.seconds && !is_block_entry(p)) seconds += double(p.layers) * *p.seconds;
  return seconds;
}

}  // namespace archbench
