// Describing stored rows for the backfill (see store_describer.hpp).
#include "harness/store_describer.hpp"

#include "harness/errors.hpp"
#include "harness/task_record.hpp"

#include <stdexcept>

namespace archbench {

std::optional<results::ResultRecord> StoreDescriber::describe(const std::string& canonical,
                                                              const std::string& task) const {
  try {
    const Problem problem = parse_problem(canonical, registry_);
    if (problem.canonical() != canonical) return std::nullopt;
    results::ResultRecord record;
    record.canonical = canonical;
    record.workload = problem.workload();
    record.design = problem.design();
    record.design_short = problem.design_compact();
    record.shape = problem.shape();
    record.params = problem.structured_params();
    if (!task.empty()) {
      const tasks::TaskPtr parsed = tasks::parse_task(task);
      if (parsed->canonical() != task) return std::nullopt;
      describe_task_row(record, problem, *parsed, task_context_param(problem));
    }
    return record;
  } catch (const InputError&) {
    return std::nullopt;
  } catch (const PluginCrash&) {  // its validate() crashed (in a child): no structure for it
    return std::nullopt;
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

}  // namespace archbench
