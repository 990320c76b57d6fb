// Structure for rows written before schema v5, supplied by the harness.
//
// v5 stores what readers need as columns (a problem's parameters, shape and
// tokens; a task row's kind, label, headline rank and group key), because
// results/ reads no canonical or task string. Rows from older databases lack
// those facts and only the harness can derive them (it owns the problem parser,
// the plugins' schemas and the task registry). So the harness passes a
// Describer when it opens a store for writing, and the store fills every row
// still missing them. Rows it cannot describe (a variant no longer loaded, a
// string that no longer parses) keep their v4 columns and are tried again on the
// next open; readers fall back to those columns for them.
#pragma once

#include <optional>
#include <string>

#include "results/store.hpp"

struct sqlite3;

namespace archbench::results {

class Describer {
 public:
  virtual ~Describer() = default;
  // The record the harness would write today for `canonical` (and, when `task`
  // is not empty, for that task row): the fields describe_record and the task
  // executor fill (shape, workload, design, params; task_kind, task_axis,
  // task_label, task_headline, task_workload). nullopt when it cannot say.
  virtual std::optional<ResultRecord> describe(const std::string& canonical, const std::string& task) const = 0;
};

// Fills what is missing, in one transaction; writes nothing when nothing is
// missing (so reopening an up-to-date database leaves it untouched). Returns
// how many problems and task rows it filled.
int backfill(sqlite3* db, const Describer& describer);

}  // namespace archbench::results
