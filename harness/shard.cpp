// Shard parsing and the deterministic, cost-balanced split (see shard.hpp).
#include "harness/shard.hpp"

#include "harness/errors.hpp"
#include "harness/file_hash.hpp"
#include "harness/task_executor.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <numeric>

namespace archbench {
namespace {

constexpr const char* kExpected = "expected I/N with 0 <= I < N (e.g. 0/4), slurm or k8s";

// A whole number in digits, 0 to 1e6 (no plan is split further than it has rows).
std::optional<long> whole_number(std::string_view text) {
  long value = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 0 || value > 1000000)
    return std::nullopt;
  return value;
}

Shard checked(const std::string& what, std::optional<long> index, std::optional<long> count) {
  if (!index || !count || *count < 1 || *index >= *count)
    throw InputError("--shard " + what + ": " + kExpected);
  return Shard{int(*index), int(*count)};
}

std::string variable(const std::function<const char*(const char*)>& environment, const char* name,
                     const std::string& shard, const std::string& hint) {
  const char* value = environment(name);
  if (!value || !*value) throw InputError("--shard " + shard + ": " + name + " is not set (" + hint + ")");
  return value;
}

long number_in(const std::string& shard, const char* name, const std::string& value) {
  const std::optional<long> number = whole_number(value);
  if (!number) throw InputError("--shard " + shard + ": " + name + "='" + printable(value) + "' is not a whole number");
  return *number;
}

}  // namespace

std::string Shard::label() const {
  return whole() ? "" : std::to_string(index) + "/" + std::to_string(count);
}

Shard parse_shard(const std::string& text, const std::function<const char*(const char*)>& environment) {
  if (text == "slurm") {
    const std::string hint = "run it from a job array: sbatch --array=0-3 ...";
    const long id = number_in(text, "SLURM_ARRAY_TASK_ID", variable(environment, "SLURM_ARRAY_TASK_ID", text, hint));
    const long count =
        number_in(text, "SLURM_ARRAY_TASK_COUNT", variable(environment, "SLURM_ARRAY_TASK_COUNT", text, hint));
    // --array=1-4 or 0-6:2 number tasks from MIN in steps of STEP.
    const char* min_text = environment("SLURM_ARRAY_TASK_MIN");
    const char* step_text = environment("SLURM_ARRAY_TASK_STEP");
    const long min = min_text && *min_text ? number_in(text, "SLURM_ARRAY_TASK_MIN", min_text) : 0;
    const long step = step_text && *step_text ? number_in(text, "SLURM_ARRAY_TASK_STEP", step_text) : 1;
    if (step < 1 || id < min || (id - min) % step != 0)
      throw InputError("--shard slurm: task " + std::to_string(id) + " is not in a job array range (MIN " +
                       std::to_string(min) + ", STEP " + std::to_string(step) + "); use --array=A-B[:S]");
    return checked("slurm (task " + std::to_string(id) + " of " + std::to_string(count) + ")",
                   (id - min) / step, count);
  }
  if (text == "k8s") {
    const long index = number_in(text, "JOB_COMPLETION_INDEX",
                                 variable(environment, "JOB_COMPLETION_INDEX", text,
                                          "run it as a Kubernetes Job with completionMode: Indexed"));
    const long count = number_in(text, kShardCountVariable,
                                 variable(environment, kShardCountVariable, text,
                                          "set it to the Job's completions, see examples/kubernetes/"));
    return checked("k8s (index " + std::to_string(index) + " of " + std::to_string(count) + ")", index, count);
  }
  const size_t slash = text.find('/');
  if (slash == std::string::npos) throw InputError("--shard '" + printable(text) + "': " + kExpected);
  const std::string_view whole(text);
  return checked("'" + printable(text) + "'", whole_number(whole.substr(0, slash)), whole_number(whole.substr(slash + 1)));
}

std::string row_key(const PlannedProblem& planned) {
  return planned.problem.canonical() + "|" + backend_name(planned.backend) + "|" +
         (planned.task ? planned.task->canonical() : "");
}

std::vector<int> assign_shards(const std::vector<std::string>& keys, const std::vector<double>& costs, int count) {
  std::vector<size_t> order(keys.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return costs[a] != costs[b] ? costs[a] > costs[b] : keys[a] < keys[b];
  });
  std::vector<double> load(size_t(std::max(count, 1)), 0.0);
  std::vector<int> shard(keys.size(), 0);
  for (const size_t row : order) {
    const size_t lightest = size_t(std::min_element(load.begin(), load.end()) - load.begin());  // first of equals
    shard[row] = int(lightest);
    load[lightest] += costs[row];
  }
  return shard;
}

std::vector<PlannedProblem> shard_of(const std::vector<PlannedProblem>& plan, const Shard& shard,
                                     const std::function<double(const PlannedProblem&)>& cost) {
  if (shard.whole()) return plan;
  std::vector<std::string> keys;
  std::vector<double> costs;
  for (const PlannedProblem& planned : plan) {
    keys.push_back(row_key(planned));
    costs.push_back(cost(planned));
  }
  const std::vector<int> assigned = assign_shards(keys, costs, shard.count);
  std::vector<PlannedProblem> part;
  for (size_t i = 0; i < plan.size(); ++i)
    if (assigned[i] == shard.index) part.push_back(plan[i]);
  return part;
}

std::string plan_digest(const std::vector<PlannedProblem>& rows, const Shard& shard) {
  // Each row with how it is measured: a resume with other settings (--quick,
  // --fidelity-only) would mix two kinds of numbers in one run.
  std::vector<std::string> keys;
  for (const PlannedProblem& planned : rows) {
    const Measurement& m = planned.measurement;
    char settings[160];
    std::snprintf(settings, sizeof settings, " perf%d r%d p%d t%.17g w%.17g limit%.17g", int(m.perf), m.repetitions,
                  m.rounds, m.min_time_s, m.warmup_s, planned.timeout_s);
    keys.push_back(row_key(planned) + settings);
  }
  std::sort(keys.begin(), keys.end());
  std::string text = "shard " + shard.label() + "\n";
  for (const std::string& key : keys) text += key + "\n";
  return sha1_of(text);
}

}  // namespace archbench
