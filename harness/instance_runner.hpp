// How a backend runs a plugin's instance, as the executor sees it: create it
// on the host's tensors, run it once with every output poisoned beforehand
// (leaving the outputs readable in the host TensorSet), and run one timed
// iteration. The CPU runner calls execute() and times it with the host clock;
// the Vulkan runner mirrors the tensors in device memory, has the instance
// record once, and times each replay with GPU timestamp queries.
#pragma once

#include "harness/tensors.hpp"

#include <archbench/plugin_abi.h>

#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace archbench {

class InstanceRunner {
 public:
  virtual ~InstanceRunner() = default;
  // Poisons the outputs, runs once; "" on success, else why it failed.
  virtual std::string run_checked() = 0;
  // One measured run in seconds; throws when it fails or leaves an output unwritten.
  virtual double timed_iteration() = 0;
  // The host rewrote the INPUT tensors in its TensorSet (an accuracy task's next
  // prefill): make the instance read the new contents. The CPU instance reads
  // host memory directly; the Vulkan runner uploads them again. WEIGHT and
  // STATE stay as created (instances may pre-pack weights from them).
  virtual void reload_inputs() {}
  // Timing alternates between two seeded input sets whose answers differ (see
  // the executor), so an answer computed once cannot pass for the work. The
  // runner keeps both sets where its instance reads inputs from (host memory,
  // device buffers) and switches between them untimed.
  virtual void stage_input_sets(TensorSet::InputSnapshot first, TensorSet::InputSnapshot second) = 0;
  virtual void use_input_set(int which) = 0;
  // Elements `at` of tensor `tensor` as the last run left them, as doubles, into
  // `values` (the executor samples a few per timed iteration against the
  // reference; the caller's buffers are reused, so nothing is allocated per iteration).
  virtual void output_elements(uint32_t tensor, const std::vector<int64_t>& at, std::vector<double>& values) = 0;
  // Anything the backend itself reported (validation errors), "" when clean.
  virtual std::string backend_problems() const { return {}; }
  // Tensors written outside their bounds (guard regions changed).
  // (Not const: on Vulkan the guards are downloaded from the device to be read.)
  virtual std::vector<std::string> damaged_guards() = 0;
};

// The outcome of creating an instance: a runner, or an outcome and its reason
// ("unimplemented" / "failed").
struct CreatedRunner {
  std::unique_ptr<InstanceRunner> runner;
  std::string outcome, reason;
};

CreatedRunner create_cpu_runner(const ab_variant& variant, const ab_problem& problem,
                                const ab_host& host, TensorSet& tensors);
// Opens this process's Vulkan device (see backends/vulkan) on first use.
CreatedRunner create_vulkan_runner(const ab_variant& variant, const ab_problem& problem,
                                   const ab_host& host, TensorSet& tensors);

std::string status_reason(ab_status status, const char* detail);

// One entry per backend, indexed by ab_backend: timed problems and accuracy-task
// rows create their runners through it, so a new backend adds a row, not a branch.
using RunnerFactory = CreatedRunner (*)(const ab_variant&, const ab_problem&, const ab_host&, TensorSet&);
inline constexpr RunnerFactory kRunnerFactories[] = {
    /* AB_BACKEND_CPU    = */ &create_cpu_runner,
    /* AB_BACKEND_VULKAN = */ &create_vulkan_runner,
};

inline CreatedRunner create_runner(ab_backend backend, const ab_variant& variant, const ab_problem& problem,
                                   const ab_host& host, TensorSet& tensors) {
  if (size_t(backend) >= std::size(kRunnerFactories)) return {nullptr, "unimplemented", "no runner for this backend"};
  return kRunnerFactories[backend](variant, problem, host, tensors);
}

// Why the last run is refused for writing outside a tensor, "" when every guard is intact.
inline std::string guard_damage(InstanceRunner& runner) {
  const std::vector<std::string> damaged = runner.damaged_guards();
  return damaged.empty() ? "" : "wrote outside tensor '" + damaged.front() + "' (guard bytes changed)";
}

}  // namespace archbench
