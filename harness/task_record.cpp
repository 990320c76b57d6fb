// A task row's record fields (see task_record.hpp).
#include "harness/task_record.hpp"

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
  for (uint32_t i = 0; i < problem.variant->param_count; ++i)
    if (std::strcmp(problem.variant->params[i].name, "seq") == 0) return i;
  return std::nullopt;
}

}  // namespace archbench
