// A task row's record fields (see task_record.hpp).
#include "harness/task_record.hpp"

#include "harness/qkv_contract.hpp"

#include <cstring>

namespace archbench {

void describe_task_row(results::ResultRecord& record, const Problem& problem, const tasks::Task& task,
                       std::optional<uint32_t> context_param) {
  record.task = task.canonical();
  record.task_kind = task.entry().name;
  record.task_axis = task.entry().axis;
  record.task_label = task.label();
  record.task_headline = task.headline();
  record.task_workload = context_param ? problem.workload_with_wildcard(*context_param) : problem.workload();
}

std::optional<uint32_t> task_context_param(const Problem& problem) {
  try {
    if (const ContextProblem at = problem_at_context(problem, 0, "task row"); at.problem) return at.context_param;
  } catch (const std::exception&) {  // a stored string that no longer validates: no group key
  }
  return std::nullopt;
}

}  // namespace archbench
