// The harness's side of the store's backfill (results/backfill.hpp): it reads a
// stored canonical string and task string back with the loaded plugins and the
// task registry, and says what describe_record and the task executor would
// write for them today. Passed to Store::open_readwrite by the commands that
// write (`run`), so a database from before schema v5 gains its structure on
// the first run that opens it.
#pragma once

#include "harness/registry.hpp"
#include "results/backfill.hpp"

namespace archbench {

class StoreDescriber : public results::Describer {
 public:
  explicit StoreDescriber(const Registry& registry) : registry_(registry) {}
  // nullopt when the variant is not loaded, the string no longer parses, or it
  // parses to a problem with another canonical string (a changed schema).
  std::optional<results::ResultRecord> describe(const std::string& canonical, const std::string& task) const override;

 private:
  const Registry& registry_;
};

}  // namespace archbench
