// Planning (suite expansion, globbing, de-duplication) and execution of a run.
#include "harness/runner.hpp"

#include "harness/block_variant.hpp"
#include "harness/preset.hpp"
#include "harness/machine_calibration.hpp"

#include "harness/errors.hpp"
#include "harness/executor.hpp"
#include "harness/isolation.hpp"
#include "harness/progress.hpp"
#include "harness/qkv_contract.hpp"
#include "harness/record_json.hpp"
#include "harness/registry.hpp"
#include "harness/rounds.hpp"
#include "harness/suite.hpp"
#include "harness/task_executor.hpp"
#include "harness/task_record.hpp"
#include "harness/workload.hpp"

#include <fnmatch.h>
#include <signal.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <set>

namespace archbench {
namespace {

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

std::atomic<int> interrupt_requested{0};  // the signal, or 0
int interrupt_scopes = 0;                  // InterruptScope nesting (one thread: the run's)
struct sigaction previous_actions[std::size(kStopSignals)];

void on_interrupt(int signal) {  // async-signal-safe: an atomic store and kill()
  interrupt_requested = signal;
  kill_running_child();
}

bool matches(const std::string& glob, const char* name) { return fnmatch(glob.c_str(), name, 0) == 0; }

// The loaded variants a suite entry's pattern matches, and for "block/..."
// patterns the blocks of every preset's layer types it matches (made on demand;
// a block whose parts are not all loaded is skipped, as an unmatched pattern is).
std::vector<const ab_variant*> matching_variants(const Registry& registry, const std::string& glob,
                                                 const std::string& where) {
  std::vector<const ab_variant*> variants;
  for (const ab_variant* v : registry.variants())
    if (matches(glob, v->name)) variants.push_back(v);
  if (glob.rfind("block/", 0) == 0)
    for (const std::string& name : preset_names()) {
      const Preset preset = load_preset(name);
      for (const PresetLayer& layer : preset.layer_types) {
        const std::string block = block_variant_name(preset, layer);
        if (!matches(glob, block.c_str())) continue;
        std::string missing;
        for (const std::string& part : layer.parts)
          if (missing.empty() && !registry.find(part.substr(0, part.find(':')))) missing = part.substr(0, part.find(':'));
        if (missing.empty()) {
          variants.push_back(registry.block(preset, layer));
        } else {
          std::fprintf(stderr, "note: %s: %s skipped: its part %s is not loaded\n", where.c_str(), block.c_str(),
                       missing.c_str());
        }
      }
    }
  return variants;
}

std::optional<ab_backend> parse_backend(const std::string& name) {
  if (name == "cpu") return AB_BACKEND_CPU;
  if (name == "vulkan") return AB_BACKEND_VULKAN;
  return std::nullopt;
}

Measurement quickened(Measurement m) {
  m.repetitions = std::min(m.repetitions, 3);
  m.rounds = 1;  // a smoke run: one process
  m.min_time_s = std::min(m.min_time_s, 0.02);
  m.warmup_s = std::min(m.warmup_s, 0.01);
  return m;
}

std::string format_seconds(double s) {
  char text[32];
  if (s < 1e-6) std::snprintf(text, sizeof text, "%.0f ns", s * 1e9);
  else if (s < 1e-3) std::snprintf(text, sizeof text, "%.1f us", s * 1e6);
  else if (s < 1) std::snprintf(text, sizeof text, "%.2f ms", s * 1e3);
  else std::snprintf(text, sizeof text, "%.2f s", s);
  return text;
}

std::string result_line(const results::ResultRecord& r) {
  std::string line = r.canonical + (r.task.empty() ? "" : "@" + r.task) + " [" + r.backend + "] " + r.outcome;
  char text[160];
  if (!r.cells.empty()) {  // an accuracy row: its cells' accuracy in grid order
    line += "  accuracy";
    for (const auto& c : r.cells) {
      std::snprintf(text, sizeof text, " %.0f%%", 100.0 * double(c.successes) / double(std::max<int64_t>(1, c.trials)));
      line += text;
    }
  }
  if (r.median_s) {
    std::snprintf(text, sizeof text, "  %s  %.1f GFLOP/s  %.1f GB/s", format_seconds(*r.median_s).c_str(),
                  r.gflops.value_or(0), r.gbps.value_or(0));
    line += text;
    // Both roofline fractions: matmul-heavy work is judged by the first,
    // streaming work (norms, decode) by the second.
    if (r.frac_peak_compute || r.frac_peak_bandwidth) {
      std::snprintf(text, sizeof text, "  (%.0f%% of compute peak, %.0f%% of bandwidth)",
                    r.frac_peak_compute.value_or(0) * 100, r.frac_peak_bandwidth.value_or(0) * 100);
      line += text;
    }
  }
  if (r.nmse) {
    std::snprintf(text, sizeof text, "  nmse %.2g", *r.nmse);
    line += text;
  }
  if (!r.reason.empty()) line += "  (" + r.reason + ")";
  return line;
}

// The peaks of the run's own calibration (copied into its runs row when it began,
// machine_calibration.hpp), so a resumed run keeps the peaks it started with.
Peaks peaks_for(const Calibrations& calibration, const PlannedProblem& planned) {
  return calibrated_peaks(calibration, planned.backend, planned.problem.dtype);
}

Calibrations run_calibration(const results::Store& store, int64_t run_id) {
  const auto stored = store.query("SELECT calibration_json FROM runs WHERE id = ?1", {results::Cell{run_id}});
  if (stored.rows.empty()) return {};
  const auto* json = std::get_if<std::string>(&stored.rows[0][0]);
  return json ? parse_calibrations(*json) : Calibrations{};
}

}  // namespace

Peaks calibrated_peaks(const Calibrations& calibration, ab_backend backend_id, ab_dtype dtype) {
  const std::string backend = backend_name(backend_id);
  auto find = [&](const std::string& metric) -> std::optional<double> {
    auto it = calibration.find(backend + "/" + metric);
    return it == calibration.end() ? std::nullopt : std::optional<double>(it->second);
  };
  Peaks peaks;
  peaks.compute_gflops = find(std::string("matmul_") + dtype_name(dtype) + "_gflops");
  if (!peaks.compute_gflops)  // no native low-precision peak: the work runs at f32 rates
    peaks.compute_gflops = find("matmul_f32_gflops");
  if (!peaks.compute_gflops)  // Vulkan: the device's FMA peak (no library matmul to measure)
    peaks.compute_gflops = find("compute_f32_gflops");
  peaks.bandwidth_gbps = find("memory_bandwidth_gbps");
  return peaks;
}

InterruptScope::InterruptScope() {
  if (interrupt_scopes++ > 0) return;
  interrupt_requested = 0;
  struct sigaction action {};
  action.sa_handler = &on_interrupt;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < std::size(kStopSignals); ++i) sigaction(kStopSignals[i], &action, &previous_actions[i]);
}

InterruptScope::~InterruptScope() {
  if (--interrupt_scopes > 0) return;
  for (size_t i = 0; i < std::size(kStopSignals); ++i) sigaction(kStopSignals[i], &previous_actions[i], nullptr);
}

int InterruptScope::requested() { return interrupt_requested; }

std::string RunSummary::line() const {
  const char* by = signal == SIGTERM ? " by SIGTERM" : signal == SIGHUP ? " by SIGHUP" : "";
  char text[256];
  std::snprintf(text, sizeof text,
                "%zu passed, %zu failed, %zu unimplemented, %zu skipped, %zu crashed, %zu timed-out%s%s%s",
                passed, failed, unimplemented, skipped, crashed, timed_out,
                interrupted ? " (interrupted" : "", interrupted ? by : "", interrupted ? ")" : "");
  return text;
}

std::vector<PlannedProblem> plan_run(const RunRequest& request, const Registry& registry,
                                     std::vector<SkippedParam>* skipped) {
  std::vector<PlannedProblem> plan;
  std::set<std::string> seen, seen_skips;
  size_t budget = kMaxPlannedRows;  // rows the suites' grids may still add
  auto add = [&](Problem problem, ab_backend backend, const std::string& suite,
                 const Measurement& measurement, double timeout_s,
                 tasks::TaskPtr task = nullptr, std::string crashed = {}) {
    if (!matches(request.variant_glob, problem.variant->name)) return;
    const std::string key = (task ? task_row_string(problem, *task) : problem.canonical()) + "|" + backend_name(backend);
    if (!seen.insert(key).second) return;
    Measurement m = request.quick ? quickened(measurement) : measurement;
    if (request.repetitions > 0) m.repetitions = request.repetitions;
    if (request.rounds > 0) m.rounds = request.rounds;
    m.perf = m.perf && request.perf;
    const LoadedPlugin* plugin = registry.plugin_of(problem.variant);
    plan.push_back({std::move(problem), backend, suite, m, timeout_s, std::move(task), std::move(crashed),
                    plugin ? plugin->path : "", plugin ? plugin->hash : ""});
  };
  // A problem whose validate() crashed (in its child) is planned as a crashed
  // row: recorded, never measured, and the plan goes on.
  auto validated = [](auto&& make, std::string& crashed) -> Problem {
    try {
      return make();
    } catch (const PluginCrash& crash) {
      crashed = crash.what();
      return crash.problem;
    }
  };

  for (const std::string& text : request.problems) {
    // "problem@task" (a task row or one of its cells) replays the whole row.
    const size_t at = text.find('@');
    tasks::TaskPtr task;
    if (at != std::string::npos) {
      try {
        task = tasks::parse_task(text.substr(at + 1));
      } catch (const std::invalid_argument& e) {
        throw InputError("--problem '" + printable(text) + "': " + e.what());
      }
    }
    std::string crashed;
    Problem problem = validated([&] { return parse_problem(text.substr(0, at), registry); }, crashed);
    if (task && crashed.empty()) {  // a row runs the prefill its variant's adapter makes of the string
      const Problem base = problem;
      problem = validated([&] {
        const ContextProblem prepared = problem_at_context(base, 0, "--problem '" + printable(text) + "'");
        if (prepared.crashed) crashed = prepared.why;  // the adapter's crash is the row's
        return prepared.problem ? *prepared.problem : base;
      }, crashed);
    }
    for (ab_backend backend : request.backends)
      add(problem, backend, "adhoc", Measurement{}, kAdhocTimeoutSeconds, task, crashed);
  }

  std::vector<std::string> suites = request.suites;
  if (suites.empty() && request.problems.empty()) suites.push_back("quick");
  for (const std::string& name : suites) {
    Suite suite = load_suite(name);
    if (suite.name == "quick")  // a plugin's own quick entries, so a new variant needs no suites/ edit
      for (const std::string& fragment : registry.suite_fragments()) append_fragment(suite, fragment);
    for (const SuiteEntry& entry : suite.entries) {
      if (request.quick && !entry.in_quick) continue;
      std::vector<const ab_variant*> variants = matching_variants(registry, entry.variant_glob, entry.where);
      if (variants.empty()) {
        std::fprintf(stderr, "note: %s: variant pattern '%s' matches no loaded variant; skipped\n",
                     entry.where.c_str(), entry.variant_glob.c_str());
        continue;
      }
      // Each variant takes the parameters its schema has (see points_for).
      std::map<const ab_variant*, std::vector<ParamPoint>> points_of;
      std::map<std::string, size_t> lacking;  // parameter -> matched variants without it
      // Rows of this entry per grid point of a variant; counted against the
      // cap variant by variant, so a plan past it is refused before it is built.
      double rows_per_point = double(entry.dtypes.size()) * double(request.backends.size());
      if (!entry.tasks.empty())
        rows_per_point *= double(entry.tasks.size()) * double((request.quick ? entry.quick_contexts : entry.contexts).size());
      for (const ab_variant* variant : variants) {
        std::vector<SkippedParam> left_out;
        points_of[variant] = points_for(entry, *variant, left_out);
        const double rows = matches(request.variant_glob, variant->name)
                                ? double(points_of[variant].size()) * rows_per_point : 0.0;
        if (rows > double(budget))
          throw InputError(entry.where + ": the plan would have more than " + std::to_string(kMaxPlannedRows) +
                           " rows, the most one run plans; narrow this entry's grid, or select with --variant or --backend");
        budget -= size_t(rows);
        for (const SkippedParam& s : left_out) {
          ++lacking[s.parameter];
          if (skipped && matches(request.variant_glob, variant->name) &&
              seen_skips.insert(s.where + "|" + s.variant + "|" + s.parameter).second)
            skipped->push_back(s);
        }
      }
      for (const auto& [parameter, count] : lacking)  // most likely a misspelt name
        if (count == variants.size())
          std::fprintf(stderr, "note: %s: no variant matching '%s' has parameter '%s'; it is ignored\n",
                       entry.where.c_str(), printable(entry.variant_glob).c_str(), printable(parameter).c_str());
      for (ab_backend backend : request.backends) {
        if (!entry.backends.empty()) {
          bool listed = false;
          for (const std::string& b : entry.backends) listed = listed || parse_backend(b) == backend;
          if (!listed) continue;
        }
        for (const ab_variant* variant : variants)
          for (const auto& point : points_of.at(variant))
            for (ab_dtype dtype : entry.dtypes) {
              std::string crashed;
              const Problem base =
                  validated([&] { return make_problem(*variant, point, dtype, entry.seed, entry.where); }, crashed);
              if (entry.tasks.empty()) {
                add(base, backend, suite.name, entry.measurement, entry.timeout_s, nullptr, crashed);
                continue;
              }
              // Accuracy rows: the task owns the context; the variant's contract
              // adapter makes the prefill problem. Without one the row is planned
              // as is and records why it cannot run.
              for (int64_t context : request.quick ? entry.quick_contexts : entry.contexts) {
                std::string row_crashed = crashed;
                const Problem row = !crashed.empty() ? base : validated([&] {
                  const ContextProblem at = problem_at_context(base, context, entry.where);
                  if (at.crashed) row_crashed = at.why;  // the adapter's crash is the row's
                  return at.problem ? *at.problem : base;
                }, row_crashed);
                for (const tasks::TaskPtr& task : entry.tasks)
                  add(row, backend, suite.name, entry.measurement, entry.timeout_s, task, row_crashed);
              }
            }
      }
    }
  }
  return plan;
}

RunSummary execute_plan(const std::vector<PlannedProblem>& plan, results::Store& store,
                        int64_t run_id, const ab_host& host) {
  RunSummary summary;
  const InterruptScope interrupts;  // a signal before this (in the caller's scope) still counts

  // Rounds interleave: round 1 of every row, then round 2 of the rows that take
  // more, ... A row is recorded after its last round (or the first that did not
  // pass), so an interrupted run keeps only whole results.
  int most_rounds = 1;
  size_t steps = 0;
  for (const PlannedProblem& planned : plan) {
    const int rounds = planned.task ? 1 : rounds_of(planned.measurement);
    most_rounds = std::max(most_rounds, rounds);
    steps += size_t(rounds);
  }
  std::vector<std::vector<results::ResultRecord>> round_records(plan.size());
  std::vector<bool> recorded(plan.size(), false);
  Progress progress(steps);
  size_t step = 0;
  Calibrations calibration = run_calibration(store, run_id);
  if (calibration.empty()) calibration = calibration_for_run(store);  // a run begun before schema v10
  for (int round = 0; round < most_rounds && !interrupt_requested; ++round)
  for (size_t i = 0; i < plan.size() && !interrupt_requested; ++i) {
    const PlannedProblem& planned = plan[i];
    const int rounds = planned.task ? 1 : rounds_of(planned.measurement);
    if (recorded[i] || round >= rounds) continue;
    const std::string label = planned.task ? task_row_string(planned.problem, *planned.task) : planned.problem.canonical();
    const std::string round_tag = rounds > 1 ? " (round " + std::to_string(round + 1) + "/" + std::to_string(rounds) + ")" : "";
    progress.starting(step++, label + round_tag);
    const Peaks peaks = peaks_for(calibration, planned);
    // The child measures; the parent only records (it never starts compute threads).
    // A row whose plugin code crashed while planning is recorded, not run.
    const ChildOutcome child = !planned.crashed.empty()
        ? ChildOutcome{ChildOutcome::Kind::crashed, "", "while planning: " + planned.crashed}
        : run_isolated(
        [&] {
          return record_to_json(planned.task ? execute_task(planned.problem, *planned.task, planned.backend, host)
                                             : execute_problem(planned.problem, planned.backend, host,
                                                               round_measurement(planned.measurement), peaks));
        },
        planned.timeout_s);
    if (interrupt_requested) break;  // the killed child's problem is simply not recorded
    results::ResultRecord record;
    if (child.kind == ChildOutcome::Kind::finished) {
      record = record_from_json(child.output);
    } else {
      record = describe_record(planned.problem, planned.backend);
      if (planned.task) describe_task_row(record, planned.problem, *planned.task, task_context_param(planned.problem));
      record.outcome = child.kind == ChildOutcome::Kind::crashed ? "crashed" : "timed-out";
      record.reason = child.reason;
    }
    round_records[i].push_back(std::move(record));
    if (round_records[i].back().outcome == "passed" && round + 1 < rounds) {
      progress.finished(result_line(round_records[i].back()) + round_tag);
      continue;  // more rounds to come
    }
    record = pool_rounds(round_records[i], peaks);
    round_records[i].clear();
    recorded[i] = true;
    record.suite = planned.suite;
    // Which code produced it, from the parent's registry (never from the child).
    record.plugin_path = planned.plugin_path;
    record.plugin_hash = planned.plugin_hash;
    record.sequence_bytes = sequence_bytes(planned.problem);
    store.record(run_id, record);
    // The last round's line shows the pooled result.
    progress.finished(result_line(record) + (round_tag.empty() ? "" : round_tag + ", all rounds pooled"));
    const std::string& o = record.outcome;
    if (o == "passed") ++summary.passed;
    else if (o == "failed") ++summary.failed;
    else if (o == "unimplemented") ++summary.unimplemented;
    else if (o == "skipped") ++summary.skipped;
    else if (o == "crashed") ++summary.crashed;
    else ++summary.timed_out;
  }
  progress.done();
  summary.signal = interrupt_requested;
  summary.interrupted = summary.signal != 0;
  return summary;
}

}  // namespace archbench
