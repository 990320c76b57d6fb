// A run's stable unique id (schema v8): what `archbench merge` matches runs by,
// so merging the same database twice adds nothing, whatever ids the runs got.
#pragma once

#include <string>

namespace archbench::results {

// A fresh random UUID (version 4), given to a run when it begins.
std::string new_run_uid();

// The id of a run recorded before schema v8, derived from what identifies it
// (a UUID version 5 of its start time, hosts, process, command line and id), so
// every copy of an old database that is migrated gives that run the same id.
std::string legacy_run_uid(const std::string& identity);

}  // namespace archbench::results
