// An accuracy-task row on one backend (see task_executor.hpp).
#include "harness/task_executor.hpp"

#include "harness/executor.hpp"
#include "harness/instance_runner.hpp"
#include "harness/task_record.hpp"
#include "harness/tensors.hpp"

#include <archbench/sdk.hpp>

#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace archbench {
namespace {

struct QkvTensors {
  uint32_t q = 0, k = 0, v = 0, out = 0;
};

// A reason to stop the row with this outcome.
struct RowStop {
  std::string outcome, reason;
};

int find_tensor(const ab_problem_info& info, const char* name, ab_tensor_role role) {
  for (uint32_t i = 0; i < info.tensor_count; ++i)
    if (std::strcmp(info.tensors[i].name, name) == 0 && info.tensors[i].role == role &&
        info.tensors[i].rank == 4)
      return int(i);
  return -1;
}

std::string find_qkv(const ab_problem_info& info, QkvTensors& at) {
  const int q = find_tensor(info, "q", AB_TENSOR_INPUT), k = find_tensor(info, "k", AB_TENSOR_INPUT),
            v = find_tensor(info, "v", AB_TENSOR_INPUT), out = find_tensor(info, "out", AB_TENSOR_OUTPUT);
  if (q < 0 || k < 0 || v < 0 || out < 0)
    return "needs the query/key/value form: rank-4 inputs q, k, v and output out "
           "(attention at core level, d_model = 0)";
  at = {uint32_t(q), uint32_t(k), uint32_t(v), uint32_t(out)};
  return {};
}

// The value of a named parameter, if the variant has it.
const ab_param_spec* param(const Problem& problem, const char* name, double& value) {
  for (uint32_t i = 0; i < problem.variant->param_count; ++i)
    if (std::strcmp(problem.variant->params[i].name, name) == 0) {
      value = problem.values[i];
      return &problem.variant->params[i];
    }
  return nullptr;
}

void write_tensor(TensorSet& tensors, uint32_t index, const std::vector<float>& values) {
  const ab_tensor& t = tensors.bound()[index];
  if (t.desc->dtype == AB_DTYPE_F32) {
    std::memcpy(t.data, values.data(), values.size() * sizeof(float));
  } else {  // bf16: the same rounding every host-side conversion uses
    auto* dst = static_cast<uint16_t*>(t.data);
    for (size_t i = 0; i < values.size(); ++i) dst[i] = sdk::f32_to_bf16(values[i]);
  }
}

// The layout and where its tensors are, or why the problem has no q/k/v form.
std::string read_qkv_form(const Problem& problem, const ab_problem_info& info, tasks::QkvLayout& layout,
                          QkvTensors& at) {
  if (std::string why = find_qkv(info, at); !why.empty()) return why;
  const ab_tensor_desc &q = info.tensors[at.q], &k = info.tensors[at.k], &v = info.tensors[at.v],
                       &out = info.tensors[at.out];
  layout.batch = q.dims[0];
  layout.tokens = q.dims[1];
  layout.heads = q.dims[2];
  layout.dk = q.dims[3];
  layout.kv_heads = k.dims[2];
  layout.dv = v.dims[3];
  const bool consistent = k.dims[0] == layout.batch && k.dims[1] == layout.tokens && k.dims[3] == layout.dk &&
                          v.dims[0] == layout.batch && v.dims[1] == layout.tokens && v.dims[2] == layout.kv_heads &&
                          out.dims[0] == layout.batch && out.dims[1] == layout.tokens &&
                          out.dims[2] == layout.heads && out.dims[3] == layout.dv &&
                          layout.heads % layout.kv_heads == 0;
  if (!consistent) return "q, k, v and out do not have the [batch, tokens, heads, dim] shapes of the query/key/value form";
  // RoPE, if the variant names it: `position` = rope, `rope_fraction` of dk rotated
  // (the SDK's half-split convention; see tasks/haystack.hpp).
  double position = 0, fraction = 1;
  const ab_param_spec* scheme = param(problem, "position", position);
  if (scheme && enum_choices(*scheme).at(size_t(position)) == "rope") {
    param(problem, "rope_fraction", fraction);
    layout.rotary_dims = 2 * int64_t(std::llround(fraction * double(layout.dk) / 2.0));
  }
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
  describe_task_row(record, problem, task, task_context_param(problem));
  auto finish = [&](const std::string& outcome, std::string reason) {
    record.outcome = outcome;
    record.reason = std::move(reason);
    return record;
  };
  if (std::string why = undeclared(problem, backend); !why.empty()) return finish("unimplemented", why);
  ab_problem_info info;
  if (!describe_problem(problem, info)) return finish("failed", "describe() failed");
  tasks::QkvLayout layout;
  QkvTensors at;
  if (std::string why = read_qkv_form(problem, info, layout, at); !why.empty())
    return finish("unimplemented", task.entry().name + " " + why);

  const ab_problem raw = problem.raw();
  TensorSet tensors(info);
  tensors.fill(problem.seed);  // everything the task does not set (sink logits, norms' gains, ...)
  double variant_seconds = 0;
  // One instance for the whole row, as a model would keep it: q/k/v are INPUT
  // tensors, which instances read afresh on every run (only weights may be
  // pre-packed in create), so each prefill only rewrites and reloads them.
  // On Vulkan that also keeps one device and pipeline set for the row.
  std::unique_ptr<InstanceRunner> runner;
  const tasks::RunVariant run = [&](const tasks::QkvInputs& inputs) {
    write_tensor(tensors, at.q, inputs.q);
    write_tensor(tensors, at.k, inputs.k);
    write_tensor(tensors, at.v, inputs.v);
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
    const std::vector<double> out = tensors.output_as_doubles(at.out);
    return std::vector<float>(out.begin(), out.end());
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
