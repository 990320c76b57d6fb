// The task fields of a result record, from the task registry: what the store
// needs to route, label and group a task row without knowing any task. Shared
// by the task executor, the runner (rows whose child crashed or timed out) and
// the describer that fills rows from older databases (store_describer.hpp).
#pragma once

#include "harness/problem.hpp"
#include "results/store.hpp"
#include "tasks/task.hpp"

#include <cstdint>
#include <optional>

namespace archbench {

// Sets task, task_kind, task_axis, task_label, task_headline and task_workload
// (the workload with parameter `context_param` printed '*'; the whole workload
// when there is none).
void describe_task_row(results::ResultRecord& record, const Problem& problem, const tasks::Task& task,
                       std::optional<uint32_t> context_param);

// The parameter that carries a task row's context length, as the variant's
// mixer.qkv/1 adapter names it; none without the contract.
std::optional<uint32_t> task_context_param(const Problem& problem);

}  // namespace archbench
