// An accuracy-task row on one backend (see task_executor.hpp).
#include "harness/task_executor.hpp"

#include "harness/executor.hpp"
#include "harness/instance_runner.hpp"
#include "harness/qkv_contract.hpp"
#include "harness/task_record.hpp"
#include "harness/tensors.hpp"
#include "harness/variant_abi.hpp"

#include <archbench/sdk.hpp>

#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace archbench {
namespace {

// A reason to stop the row with this outcome.
struct RowStop {
  std::string outcome, reason;
};

tasks::QkvLayout layout_from(const ab_qkv_layout& l) {
  tasks::QkvLayout layout;
  layout.batch = l.batch;
  layout.tokens = l.tokens;
  layout.heads = l.heads;
  layout.kv_heads = l.kv_heads;
  layout.dk = l.dk;
  layout.dv = l.dv;
  layout.rotary_dims = l.rotary_dims;
  return layout;
}

// What the task may assume of the contract's shapes.
std::string check_layout(const ab_qkv_layout& l) {
  if (l.batch < 1 || l.tokens < 1 || l.heads < 1 || l.kv_heads < 1 || l.dk < 1 || l.dv < 1 ||
      l.heads % l.kv_heads != 0 || l.rotary_dims < 0 || l.rotary_dims > l.dk || l.rotary_dims % 2 != 0)
    return "the mixer.qkv/1 adapter gave an inconsistent layout";
  return {};
}

}  // namespace

std::string task_row_string(const Problem& problem, const tasks::Task& task) {
  return problem.canonical() + "@" + task.canonical();
}

results::ResultRecord execute_task(const Problem& problem, const tasks::Task& task,
                                   ab_backend backend, const ab_host& host) {
  const ab_variant& variant = *problem.variant;
  results::ResultRecord record = describe_record(problem, backend);
  // The variant is reached only through its mixer.qkv/1 adapter; the row runs
  // the problem as planned (the adapter made it), which a replay must match.
  // Asked once: the answer also names the context parameter the record groups by.
  ContextProblem prepared;
  std::string adapter_error;
  try {
    prepared = problem_at_context(problem, 0, "task row");
  } catch (const std::exception& e) {
    adapter_error = e.what();
  }
  describe_task_row(record, problem, task,
                    prepared.problem ? std::optional<uint32_t>(prepared.context_param) : std::nullopt);
  auto finish = [&](const std::string& outcome, std::string reason) {
    record.outcome = outcome;
    record.reason = std::move(reason);
    return record;
  };
  if (std::string why = undeclared(problem, backend); !why.empty()) return finish("unimplemented", why);
  const std::string kind = task.entry().name;
  if (!adapter_error.empty()) return finish("unimplemented", kind + ": " + adapter_error);
  if (prepared.crashed) return finish("crashed", prepared.why);
  if (!prepared.problem) return finish("unimplemented", kind + " " + prepared.why);
  if (prepared.problem->values != problem.values)
    return finish("unimplemented", kind + " runs prefills: replay the row's prefill problem " +
                                       prepared.problem->canonical());
  const ab_mixer_qkv& adapter = *qkv_adapter(variant);
  const ab_problem raw = problem.raw();
  ab_qkv_layout contract{};
  contract.struct_size = sizeof contract;
  if (adapter.layout(adapter.context, &raw, &contract) != AB_OK)
    return finish("unimplemented", kind + ": the mixer.qkv/1 adapter has no layout for this problem");
  if (std::string why = check_layout(contract); !why.empty()) return finish("failed", why);
  const tasks::QkvLayout layout = layout_from(contract);

  ab_problem_info info;
  if (!describe_problem(problem, info)) return finish("failed", "describe() failed");
  if (std::string why = check_declared_tensors(info); !why.empty()) return finish("failed", why);
  TensorSet tensors(info);
  tensors.fill(problem.seed);  // everything the task does not set (sink logits, norms' gains, ...)
  double variant_seconds = 0;
  // One instance for the whole row, as a model would keep it: the adapter
  // writes INPUT tensors, which instances read afresh on every run (only
  // weights may be pre-packed in create), so each prefill only rewrites and
  // reloads them. On Vulkan that also keeps one device and pipeline set for the row.
  std::unique_ptr<InstanceRunner> runner;
  const size_t out_elements = size_t(layout.batch * layout.tokens * layout.heads * layout.dv);
  const tasks::RunVariant run = [&](const tasks::QkvInputs& inputs) {
    if (adapter.write_inputs(adapter.context, &raw, tensors.bound(), tensors.count(), inputs.q.data(),
                             inputs.k.data(), inputs.v.data()) != AB_OK)
      throw RowStop{"failed", "the mixer.qkv/1 adapter could not write the task's inputs"};
    if (runner) {
      runner->reload_inputs();
    } else {
      CreatedRunner created = create_runner(backend, variant, raw, host, tensors);
      if (!created.runner) throw RowStop{created.outcome, created.reason};
      runner = std::move(created.runner);
    }
    const auto start = std::chrono::steady_clock::now();
    if (std::string why = runner->run_checked(); !why.empty()) throw RowStop{"failed", why};
    variant_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (std::string why = guard_damage(*runner); !why.empty()) throw RowStop{"failed", why};
    if (std::string why = runner->backend_problems(); !why.empty()) throw RowStop{"failed", why};
    std::vector<float> out(out_elements);
    if (adapter.read_output(adapter.context, &raw, tensors.bound(), tensors.count(), out.data()) != AB_OK)
      throw RowStop{"failed", "the mixer.qkv/1 adapter could not read the output"};
    return out;
  };

  tasks::TaskOutcome measured;
  try {
    measured = task.run(layout, problem.seed, run);
  } catch (const RowStop& stop) {
    return finish(stop.outcome, stop.reason);
  } catch (const std::invalid_argument& e) {
    return finish("unimplemented", e.what());
  }
  const std::string row = task_row_string(problem, task);
  for (const tasks::Cell& c : measured.cells) {
    results::TaskCell cell;
    cell.context = layout.tokens;
    cell.coordinate = c.coordinate;
    cell.trials = c.trials;
    cell.successes = c.successes;
    cell.chance = c.chance;
    cell.canonical = row + task.cell_token(c.coordinate);
    record.cells.push_back(std::move(cell));
  }
  // The time the variant's runs took (total, over `prefills` runs), so a row's
  // cost is on record; accuracy rows are not timed like perf results.
  record.mean_s = measured.prefills ? variant_seconds / double(measured.prefills) : 0.0;
  record.repetitions = measured.prefills;
  return finish("passed", "");
}

}  // namespace archbench
