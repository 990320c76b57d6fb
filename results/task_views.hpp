// The per-kind views over task_cells. A task's cells live in the one generic
// task_cells table; each kind gets a view named after it, with its axis as a
// named column, so `archbench query "SELECT * FROM <kind> WHERE <axis> >= 80"`
// reads like a table of that task. The store creates a kind's view when its
// first row is recorded; the v5 migration recreates the views of v4's kinds.
// results/ learns kinds and axes only from the records (and, in the migration,
// from the tables it finds), never from a list of tasks.
#pragma once

#include <sqlite3.h>

#include <string>

namespace archbench::results {

// True for a name usable as a kind or an axis: [a-z][a-z0-9_]* (at most 64).
bool task_identifier(const std::string& name);

// Makes sure `kind` has its view with `axis` as its coordinate column and is
// listed in task_kinds. Throws std::invalid_argument when the names are not
// identifiers, the axis clashes with the view's other columns, the kind is
// stored with another axis, or the name is taken by another table or view.
void ensure_task_view(sqlite3* db, const std::string& kind, const std::string& axis);

}  // namespace archbench::results
