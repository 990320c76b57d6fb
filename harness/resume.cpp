// What a resumed run still has to do (see resume.hpp).
#include "harness/resume.hpp"

#include "harness/errors.hpp"
#include "harness/shard.hpp"

#include <charconv>
#include <set>

namespace archbench {

int64_t parse_resume(const std::string& text) {
  if (text == "auto") return kResumeAuto;
  int64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || id < 1)
    throw InputError("--resume '" + printable(text) + "': expected a run id (see `archbench runs`) or auto");
  return id;
}

std::optional<int64_t> resumable_run(const results::Store& store, const results::RunInfo& now) {
  const results::QueryResult found = store.query(
      "SELECT id FROM runs WHERE plan_hash = ?1 AND status IN ('interrupted', 'abandoned') AND host = ?2"
      " AND cpu_model = ?3 AND vulkan_device = ?4 ORDER BY id DESC LIMIT 1",
      {results::Cell{now.plan_hash}, results::Cell{now.host}, results::Cell{now.cpu_model},
       results::Cell{now.vulkan_device}});
  if (found.rows.empty()) return std::nullopt;
  return std::get<int64_t>(found.rows[0][0]);
}

std::vector<PlannedProblem> remaining_rows(const results::Store& store, int64_t run_id,
                                           const std::vector<PlannedProblem>& plan, const results::RunInfo& now) {
  const std::string what = "--resume " + std::to_string(run_id);
  const std::optional<results::StoredRun> run = store.stored_run(run_id);
  if (!run) throw InputError(what + ": " + store.path() + " has no run " + std::to_string(run_id) + " (see `archbench runs`)");
  // Abandoned runs were marked when the store opened; one still 'running' has a
  // live process (or one on another host that cannot be judged from here).
  if (run->status == "running")
    throw InputError(what + ": the run is still running (its process lives, or it was recorded on another host)");
  if (run->plan_hash.empty())
    throw InputError(what + ": the run was recorded before schema v8 and has no plan digest to check; start a new run");
  if (run->plan_hash != now.plan_hash)
    throw InputError(what + ": these options plan other rows than the run did (it ran: " + run->command_line +
                     "); resume with the options it was started with");
  if (run->host != now.host || run->cpu_model != now.cpu_model || run->vulkan_device != now.vulkan_device)
    throw InputError(what + ": the run was recorded on another machine (" + run->host + ", " + run->cpu_model +
                     (run->vulkan_device.empty() ? "" : ", " + run->vulkan_device) +
                     "); a run's results come from one machine, so start a new run here (--resume auto does)");
  const std::set<std::string> finished(run->finished.begin(), run->finished.end());
  std::vector<PlannedProblem> rest;
  for (const PlannedProblem& planned : plan)
    if (!finished.count(row_key(planned))) rest.push_back(planned);
  return rest;
}

}  // namespace archbench
