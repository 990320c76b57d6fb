// `archbench merge OUT.db IN.db...`: what many machines measured (the shards of
// a Slurm job array, a fleet's runs) folded into one database, so one
// leaderboard ranks them side by side with each result's machine on record.
//
// - Runs are matched by their uid (schema v8), never by id: merging an input
//   twice adds nothing, and a run merged while it was still going gets the rest
//   of its results (and its final status) when merged again ("updated").
// - Inputs are never written: each is read (read-only, or immutable where it
//   has no -wal) into a private temporary copy, and an older schema is migrated
//   there. An input with a newer schema, or that is not an intact archbench
//   database, is refused with one line before OUT is opened.
// - New runs are added in the order of their start time (then uid) over all
//   inputs, so merging the same inputs into a new file in any order gives the
//   same ids, and so the same leaderboards, byte for byte.
// - Everything is copied in one transaction: a failure leaves OUT as it was.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "results/store.hpp"

namespace archbench::results {

// A private, migrated copy of one input database, removed when destroyed.
class MergeInput {
 public:
  // Checks and copies `path` (InputError naming it when it is not usable).
  static MergeInput open(const std::string& path);
  MergeInput(MergeInput&&) noexcept;
  MergeInput& operator=(MergeInput&&) noexcept;
  ~MergeInput();
  const std::string& path() const { return path_; }
  sqlite3* db() const { return db_; }

 private:
  MergeInput() = default;
  std::string path_, copy_dir_;
  sqlite3* db_ = nullptr;
};

struct MergeReport {
  // runs_extended: runs OUT had that gained results or ended since (status updated).
  size_t runs_added = 0, runs_extended = 0, runs_present = 0;
  size_t results_added = 0, calibrations_added = 0;
  std::string line() const;  // "2 runs added, 0 updated, 1 already present; 40 results, 0 calibrations copied"
};

// Copies every input's runs (provenance), problems, results, samples, task
// cells and calibrations into `out`, in one transaction.
MergeReport merge_into(Store& out, const std::vector<MergeInput>& inputs);

}  // namespace archbench::results
