// Runs ONE accuracy-task row (a registered task at one context length)
// through a variant's real implementation on one backend, inside the measuring
// child like execute_problem: the task (tasks/, found through its registry) builds the
// haystack, this file lends it the variant (tensors, instance, backend runner)
// and turns what the task measured into a record with its cells.
#pragma once

#include "harness/problem.hpp"
#include "results/store.hpp"
#include "tasks/task.hpp"

#include <archbench/plugin_abi.h>

#include <string>

namespace archbench {

// The row's string: the problem's canonical string, '@', the task's.
std::string task_row_string(const Problem& problem, const tasks::Task& task);

results::ResultRecord execute_task(const Problem& problem, const tasks::Task& task,
                                   ab_backend backend, const ab_host& host);

}  // namespace archbench
