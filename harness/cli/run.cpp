// `archbench run`: plan, measure, store, then print this run's leaderboard
// (or, with --dry-run, print the plan and its estimate and stop).
#include "backends/cpu/cpu_backend.hpp"
#include "harness/cli/common.hpp"
#include "harness/cli/vulkan_devices.hpp"
#include "harness/errors.hpp"
#include "harness/estimate.hpp"
#include "harness/plugin_calls.hpp"
#include "harness/provenance.hpp"
#include "harness/resume.hpp"
#include "harness/runner.hpp"
#include "harness/shard.hpp"
#include "harness/store_describer.hpp"
#include "harness/task_executor.hpp"
#include "results/format.hpp"
#include "results/leaderboard.hpp"
#include "results/table_view.hpp"
#include "harness/machine_calibration.hpp"
#include "harness/machine_load.hpp"
#include "harness/sweep.hpp"
#include "harness/workload.hpp"
#include "tasks/task.hpp"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <filesystem>
#include <iostream>

namespace archbench::cli {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// --dry-run: one line per planned row (canonical string, with @task for an
// accuracy row; backend; suite), the suite parameters left out, then the count
// and the estimate. Nothing runs and the database is never opened.
void print_plan(const std::vector<PlannedProblem>& plan, const std::vector<SkippedParam>& skipped,
                const Shard& shard, size_t whole_plan) {
  double seconds = 0;
  size_t task_rows = 0;
  for (const PlannedProblem& planned : plan) {
    const std::string text =
        planned.task ? task_row_string(planned.problem, *planned.task) : planned.problem.canonical();
    std::printf("%s  %s  %s%s\n", text.c_str(), backend_name(planned.backend), planned.suite.c_str(),
                planned.crashed.empty() ? "" : ("  (will be recorded as crashed: " + planned.crashed + ")").c_str());
    seconds += estimated_seconds(planned);
    task_rows += planned.task != nullptr;
  }
  for (const SkippedParam& s : skipped)
    std::printf("skipped: %s has no parameter '%s' (%s); planned without it\n", s.variant.c_str(),
                s.parameter.c_str(), s.where.c_str());
  const std::string part = shard.whole() ? "" : " in shard " + shard.label() + " (of " + std::to_string(whole_plan) + ")";
  std::printf("dry run: %zu planned%s (%zu problems, %zu task rows), estimated %s; nothing was run\n", plan.size(),
              part.c_str(), plan.size() - task_rows, task_rows, format_duration(seconds).c_str());
}

// `--threads 1,2`: the whole run once per count, each its own run (exit: the worst).
std::optional<std::vector<int>> thread_sweep(const Context& context, size_t& at, bool& joined_form) {
  for (size_t i = 0; i < context.args.size(); ++i) {
    const std::string& arg = context.args[i];
    if (arg == "--threads" && i + 1 < context.args.size() && context.args[i + 1].find(',') != std::string::npos) {
      at = i + 1;
      joined_form = false;
      return parse_count_list(context.args[i + 1], "--threads");
    }
    if (arg.rfind("--threads=", 0) == 0 && arg.find(',') != std::string::npos) {
      at = i;
      joined_form = true;
      return parse_count_list(arg.substr(10), "--threads");
    }
  }
  return std::nullopt;
}

}  // namespace

// "all" is every backend this machine can run; naming an unavailable one is an input error.
Backends resolve_backends(const std::string& name, std::optional<int> device) {
  if (name != "cpu" && name != "vulkan" && name != "all")
    throw InputError("--backend: '" + name + "' is not one of cpu, vulkan, all");
  Backends backends;
  if (name != "vulkan") backends.list.push_back(AB_BACKEND_CPU);
  if (name == "cpu") {
    if (device) throw InputError("--device applies to the vulkan backend; add --backend vulkan or all");
    return backends;
  }
  const VulkanProbe vulkan = probe_vulkan();
  if (!vulkan.available) {
    if (name == "vulkan") throw InputError("--backend vulkan: the Vulkan backend is unavailable: " + vulkan.reason);
    backends.note = "note: vulkan skipped: " + vulkan.reason;
    return backends;
  }
  if (device) {
    if (*device < 0 || size_t(*device) >= vulkan.devices.size())
      throw InputError("--device " + std::to_string(*device) + ": expected 0.." +
                       std::to_string(vulkan.devices.size() - 1) + " (see `archbench devices`)");
    // Read by every measurement child (vulkan::Options::from_environment).
    setenv("ARCHBENCH_VULKAN_DEVICE", std::to_string(*device).c_str(), 1);
  }
  const int used = device ? *device : vulkan.chosen;
  backends.vulkan_device = "vulkan device " + std::to_string(used) + ": " + vulkan.names[size_t(used)];
  backends.list.push_back(AB_BACKEND_VULKAN);
  return backends;
}

int run_command(const Context& context) {
  size_t at = 0;
  bool joined_form = false;
  if (const auto counts = thread_sweep(context, at, joined_form)) {
    int worst = 0;
    for (const int count : *counts) {
      Context one = context;
      one.args[at] = (joined_form ? "--threads=" : "") + std::to_string(count);
      std::printf("== --threads %d ==\n", count);
      std::fflush(stdout);
      worst = std::max(worst, run_command(one));
    }
    return worst;
  }
  Globals globals;
  RunRequest request;
  std::string backend = "all";
  int device = -1;
  bool fidelity_only = false;
  bool dry_run = false;
  std::string shard_text;
  std::string resume;
  po::options_description options("archbench run");
  options.add_options()
      ("suite", po::value(&request.suites)->composing(), "suite name (suites/<name>.toml) or file; repeatable (default: quick)")
      ("problem", po::value(&request.problems)->composing(), "a canonical problem string to (re)run; repeatable")
      ("variant", po::value(&request.variant_glob), "only variants matching this glob, e.g. 'ffn/*'")
      ("backend", po::value(&backend), "cpu | vulkan | all (default: all available)")
      ("device", po::value(&device), "Vulkan device index (see `archbench devices`; default: best score)")
      ("quick", po::bool_switch(&request.quick), "fewer and shorter repetitions, and only the entries (and accuracy grids) a suite marks quick (smoke runs, CI)")
      ("repetitions", po::value(&request.repetitions), "timed repetitions of every problem, overriding the suites' (and --quick's) count; compare needs 9 or more per side for its test to mean something")
      ("rounds", po::value(&request.rounds), "separate processes each timed problem's repetitions are split among, interleaved across the plan (default 3; 1 under --quick), overriding the suites'")
      ("fidelity-only", po::bool_switch(&fidelity_only), "check every problem against its reference, do not time")
      ("dry-run", po::bool_switch(&dry_run), "print the planned problems, the suite parameters left out and an estimated duration; run nothing, leave the database alone")
      ("shard", po::value(&shard_text), "run one part of the plan: I/N (0 <= I < N), slurm (a job array's task) or k8s (an Indexed Job's JOB_COMPLETION_INDEX, with ARCHBENCH_SHARD_COUNT); parts are balanced by estimated time")
      ("resume", po::value(&resume), "RUN_ID: continue that run of this database, running only what it has not recorded (give the options it was started with); auto: the newest interrupted or abandoned run with this plan, or a new run if there is none (for jobs that may be requeued)");
  add_globals(options, globals, true);
  po::variables_map values;
  if (!parse("run", "archbench run [--suite S]... [--problem STR]... [--variant GLOB] [--backend B] [--device N] [--quick] [--repetitions N] [--rounds N] [--fidelity-only] [--dry-run] [--shard I/N|slurm|k8s] [--resume RUN_ID|auto] [--threads N[,N...]] [--plugin-dir DIR]... [--db PATH]",
             context, options, values))
    return 0;
  request.perf = !fidelity_only;
  request.problems = expand_problem_sweeps(request.problems);  // 't128,256' is two problems
  const Backends backends =
      resolve_backends(backend, values.count("device") ? std::optional<int>(device) : std::nullopt);
  request.backends = backends.list;
  if (globals.threads < 0) throw InputError("--threads: expected a positive count, got " + std::to_string(globals.threads));
  const Shard shard = values.count("shard") ? parse_shard(shard_text, [](const char* name) { return std::getenv(name); })
                                            : Shard{};
  if (values.count("repetitions") && (request.repetitions < 1 || request.repetitions > 1000))
    throw InputError("--repetitions: expected a count in [1, 1000], got " + std::to_string(request.repetitions));
  if (values.count("rounds") && (request.rounds < 1 || request.rounds > 100))
    throw InputError("--rounds: expected a count in [1, 100], got " + std::to_string(request.rounds));
  const std::optional<int64_t> resume_id = values.count("resume") ? std::optional<int64_t>(parse_resume(resume)) : std::nullopt;
  if (values.count("resume") && dry_run) throw InputError("archbench run: --resume and --dry-run do not go together");

  cpu::CpuBackend cpu_backend(globals.threads);
  Registry registry;
  load_plugins(registry, globals, cpu_backend.host(), !dry_run);  // a dry run records nothing
  // Planning runs plugin code (validate, adapters; describe for the estimate).
  // One child runs it all first and hands back every answer, so the parent
  // plans below without running plugin code at one fork per call (plugin_calls.hpp).
  prefetch_plugin_calls([&] {
    for (const PlannedProblem& planned : plan_run(request, registry)) {
      if (dry_run || !shard.whole()) estimated_seconds(planned);  // a shard is balanced by the estimate
      if (!dry_run) sequence_bytes(planned.problem);  // recorded with each result
    }
  });
  // Everything that can be wrong with the input is found here, before the DB is touched.
  std::vector<SkippedParam> skipped;
  const std::vector<PlannedProblem> whole_plan = plan_run(request, registry, &skipped);
  if (whole_plan.empty()) throw InputError("archbench run: nothing to run (no problem matches the given suites/variants)");
  // Every shard computes the same split of the same plan and keeps its part.
  const std::vector<PlannedProblem> shard_plan = shard_of(whole_plan, shard, estimated_seconds);
  if (dry_run) {
    if (!backends.vulkan_device.empty()) std::printf("%s\n", backends.vulkan_device.c_str());
    if (!backends.note.empty()) std::printf("%s\n", backends.note.c_str());
    print_plan(shard_plan, skipped, shard, whole_plan.size());
    return 0;
  }

  const std::string db_path = database_path(globals);
  std::error_code missing;
  if (resume_id && *resume_id != kResumeAuto && !std::filesystem::exists(db_path, missing))
    throw InputError("--resume " + resume + ": " + db_path + " does not exist (give the --db the run was recorded in)");
  // The describer gives rows from before schema v5 the structure they lack.
  const StoreDescriber describer(registry);
  results::Store store = results::Store::open_readwrite(db_path, &describer);
  for (const tasks::TaskEntry* task : tasks::task_entries()) store.declare_task(task->name, task->axis);
  // Runs whose archbench died without finishing (kill -9, power loss) are
  // marked now, so they do not look as if they were still running.
  if (const std::vector<int64_t> gone = store.abandoned_runs(); !gone.empty()) {
    store.mark_abandoned(gone);
    std::printf("note: %s\n", abandoned_note(gone).c_str());
  }
  std::vector<std::string> suites = request.suites;
  if (suites.empty() && request.problems.empty()) suites.push_back("quick");
  results::RunInfo provenance =
      collect_provenance(registry, cpu_backend.threads(), context.command_line, joined(suites));
  provenance.vulkan_device = backends.vulkan_device;
  provenance.shard = shard.label();
  provenance.plan_hash = plan_digest(shard_plan, shard);
  provenance.quick = request.quick;
  const MachineLoad load = machine_load();
  provenance.load_average = load.load_average;
  provenance.busy_processes = load.busy_processes;
  provenance.calibration_json = calibrations_json(calibration_for_run(store));
  // With --resume, what the run already recorded is left out (resume.hpp).
  std::optional<int64_t> resumed = resume_id;
  if (resume_id == kResumeAuto) {
    resumed = resumable_run(store, provenance);
    if (!resumed)
      std::printf("note: --resume auto: no interrupted or abandoned run of this plan on this machine; starting a new run\n");
  }
  std::vector<PlannedProblem> plan = shard_plan;
  if (resumed) plan = remaining_rows(store, *resumed, shard_plan, provenance);
  // From here to finish_run, SIGINT, SIGTERM and SIGHUP mark the run
  // 'interrupted' (after killing the child in flight) instead of ending us.
  const InterruptScope interrupts;
  int64_t run_id = 0;
  if (resumed) store.resume_run(run_id = *resumed);
  else run_id = store.begin_run(provenance);
  std::printf("run %lld%s: %zu problems%s, %d threads, database %s\n", (long long)run_id,
              resumed ? " (resumed)" : "", plan.size(),
              shard.whole() ? "" : (" (shard " + shard.label() + " of a plan of " + std::to_string(whole_plan.size()) + ")").c_str(),
              cpu_backend.threads(), db_path.c_str());
  if (!backends.vulkan_device.empty()) std::printf("%s\n", backends.vulkan_device.c_str());
  if (!backends.note.empty()) std::printf("%s\n", backends.note.c_str());
  if (const std::string warning = load_warning(load, cpu_backend.threads()); !warning.empty())
    std::printf("%s\n", warning.c_str());
  std::fflush(stdout);

  const RunSummary summary = execute_plan(plan, store, run_id, cpu_backend.host());
  store.finish_run(run_id, summary.interrupted ? "interrupted" : "completed");

  results::LeaderboardOptions board;
  board.run_id = run_id;
  board.headline_task = tasks::headline_kind();
  const results::QueryResult ranking = results::leaderboard(store, board);
  if (!ranking.rows.empty()) {
    std::printf("\nleaderboard (run %lld, ranked by tokens/s per kind, backend and shape):\n", (long long)run_id);
    const results::TableView view = results::fit_leaderboard(ranking);
    std::cout << results::format(view.table, results::Format::table);
    if (!view.note().empty()) std::printf("%s\n", view.note().c_str());
    for (const std::string& line : results::board_warnings(ranking)) std::printf("%s\n", line.c_str());
  }
  if (!parse_calibrations(provenance.calibration_json).count("cpu/matmul_f32_gflops"))
    std::printf("\n(run `archbench calibrate` once on this machine to see results as fractions of its peak)\n");
  std::printf("\n%s\n", summary.line().c_str());
  return summary.exit_code();
}

}  // namespace archbench::cli
