// `archbench model PRESET...`: whole-model estimates from measured layers
// (harness/model_estimate.hpp). Every distinct part of the presets is measured
// once per backend at the requested workload, as results of one ordinary run,
// then each preset's estimate is composed, stored and ranked beside the others.
#include "backends/cpu/cpu_backend.hpp"
#include "harness/cli/common.hpp"
#include "harness/errors.hpp"
#include "harness/estimate.hpp"
#include "harness/machine_calibration.hpp"
#include "harness/machine_load.hpp"
#include "harness/model_estimate.hpp"
#include "harness/plugin_calls.hpp"
#include "harness/provenance.hpp"
#include "harness/runner.hpp"
#include "harness/stack_timing.hpp"
#include "harness/workload.hpp"
#include "harness/store_describer.hpp"
#include "results/format.hpp"
#include "results/model_estimates.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>

namespace archbench::cli {
namespace {

// A whole count in [low, high] for `flag`, else one line naming it.
void require_range(int64_t value, int64_t low, int64_t high, const char* flag) {
  if (value < low || value > high)
    throw InputError(std::string(flag) + ": expected a count in [" + std::to_string(low) + ", " +
                     std::to_string(high) + "], got " + std::to_string(value));
}

// --dry-run: what each preset's estimate would measure, and what it leaves out,
// with its memory (which describe() gives without measuring anything).
void print_model_plan(const std::vector<ModelPlan>& plans, const std::vector<PlannedProblem>& planned) {
  for (const ModelPlan& plan : plans) {
    const results::ModelEstimateRecord memory = compose_estimate(plan, AB_BACKEND_CPU, {}, Peaks{});
    std::printf("%s (%s): weights %.4g GB in %s, KV cache %.4g KiB per token, %.4g GB held at context %lld "
                "(batch %lld)\n",
                plan.preset.name.c_str(), plan.preset.title.c_str(), memory.weight_bytes / 1e9, memory.dtype.c_str(),
                memory.kv_bytes_per_token / 1024, memory.cache_bytes / 1e9, (long long)plan.workload.context,
                (long long)plan.workload.batch);
    for (const PlannedPart& p : plan.parts) {
      std::string what = p.problem ? p.problem->canonical() : "left out: " + p.why;
      if (p.reduction > 1) what += "  (reducible counts / " + std::to_string(p.reduction) + " to fit memory)";
      std::printf("  %-8s x%-3lld %-7s %s\n", p.layer_type.c_str(), (long long)p.layers, mode_name(p.mode),
                  what.c_str());
    }
  }
  double seconds = 0;
  for (const PlannedProblem& p : planned) seconds += estimated_seconds(p);
  std::printf("dry run: %zu distinct problems to measure, estimated %s; nothing was run\n", planned.size(),
              format_duration(seconds).c_str());
}

}  // namespace

int model_command(const Context& context) {
  Globals globals;
  std::vector<std::string> names;
  ModelWorkload workload;
  std::string backend = "cpu", dtype = "f32";
  double part_memory_gb = 0;
  bool quick = false, dry_run = false, show_parts = false, check_stack = false, all = false;
  int rounds = 0, repetitions = 0;
  po::options_description options("archbench model");
  options.add_options()
      ("preset", po::value(&names)->composing(), "a preset name (`archbench list presets`) or file; repeatable, also positional")
      ("all", po::bool_switch(&all), "every preset on the preset path, side by side (the models suite)")
      ("prefill", po::value(&workload.prefill), "prompt tokens per sequence of the prefill estimate (default 512; 128 with --quick); 0: decode only")
      ("context", po::value(&workload.context), "tokens already held when the decode step runs (default 4096)")
      ("batch", po::value(&workload.batch), "sequences processed together (default 1)")
      ("dtype", po::value(&dtype), "f32 | bf16 (default f32)")
      ("backend", po::value(&backend), "cpu | vulkan | all (default cpu)")
      ("quick", po::bool_switch(&quick), "one round of fewer, shorter repetitions per part, and a 128-token prefill unless --prefill is given")
      ("rounds", po::value(&rounds), "separate processes each part's repetitions are split among (default 3; 1 with --quick)")
      ("repetitions", po::value(&repetitions), "timed repetitions of every part")
      ("part-memory", po::value(&part_memory_gb), "GB of tensors one measured part may allocate; a bigger part is measured with its reducible counts divided (default: a sixth of this machine's memory, at most 4)")
      ("parts", po::bool_switch(&show_parts), "also print each estimate's parts: the problem measured, its scale and its time per layer")
      ("check-stack", po::bool_switch(&check_stack), "also time the decode step of the whole model end to end (every layer in sequence as its block, its own weights and cache) and compare the estimate with it; the whole model must fit in memory")
      ("dry-run", po::bool_switch(&dry_run), "print what each preset's estimate would measure and leave out; run nothing");
  add_globals(options, globals, true);
  po::positional_options_description positional;
  positional.add("preset", -1);
  po::variables_map values;
  if (!parse("model",
             "archbench model PRESET...|--all [--prefill N] [--context C] [--batch B] [--dtype f32|bf16] [--backend B] [--quick] [--rounds N] [--repetitions N] [--part-memory GB] [--parts] [--check-stack] [--dry-run] [--db PATH]",
             context, options, values, &positional))
    return 0;
  if (all && !names.empty()) throw InputError("archbench model: --all takes no preset names");
  if (all) names = preset_names();
  if (names.empty()) throw InputError("archbench model: name at least one preset, or --all (see `archbench list presets`)");
  if (quick && !values.count("prefill")) workload.prefill = 128;
  require_range(workload.prefill, 0, 1 << 20, "--prefill");
  require_range(workload.context, 1, 1 << 21, "--context");
  require_range(workload.batch, 1, 4096, "--batch");
  workload.dtype = parse_dtype(dtype, "--dtype");
  if (workload.dtype != AB_DTYPE_F32 && workload.dtype != AB_DTYPE_BF16)
    throw InputError("--dtype: expected f32 or bf16, got '" + dtype + "'");
  if (values.count("rounds")) require_range(rounds, 1, 100, "--rounds");
  if (values.count("repetitions")) require_range(repetitions, 1, 1000, "--repetitions");
  if (values.count("part-memory") && !(part_memory_gb > 0 && part_memory_gb <= 1024))
    throw InputError("--part-memory: expected GB in (0, 1024], got " + std::to_string(part_memory_gb));
  const double budget = values.count("part-memory") ? part_memory_gb * 1e9 : default_part_budget_bytes();
  const Backends backends = resolve_backends(backend, std::nullopt);

  cpu::CpuBackend cpu_backend(globals.threads);
  Registry registry;
  load_plugins(registry, globals, cpu_backend.host(), !dry_run);
  std::vector<Preset> presets;
  for (const std::string& name : names) presets.push_back(load_preset(name));

  // Planning runs plugin code (validate, describe); one child answers it all first.
  RunRequest request;
  request.backends = backends.list;
  request.quick = quick;
  request.rounds = rounds;
  request.repetitions = repetitions;
  std::vector<ModelPlan> plans;
  std::vector<PlannedProblem> plan;
  auto plan_everything = [&] {
    plans.clear();
    request.problems.clear();
    std::set<std::string> seen;
    for (const Preset& preset : presets) {
      plans.push_back(plan_model(preset, workload, registry, budget));
      for (const PlannedPart& part : plans.back().parts)
        if (part.problem && seen.insert(part.problem->canonical()).second)
          request.problems.push_back(part.problem->canonical());
    }
    plan.clear();
    if (!request.problems.empty()) plan = plan_run(request, registry);
    for (PlannedProblem& p : plan) {
      p.suite = "model";
      if (dry_run) estimated_seconds(p);
      else sequence_bytes(p.problem);  // recorded with each result
    }
  };
  prefetch_plugin_calls(plan_everything);
  plan_everything();
  if (dry_run) {
    print_model_plan(plans, plan);
    return 0;
  }
  if (plan.empty()) {
    std::string why;
    for (const PlannedPart& p : plans.front().parts) why = p.why;
    throw InputError("archbench model: no part of the presets can be measured here (" + why + ")");
  }

  const std::string db_path = database_path(globals);
  const StoreDescriber describer(registry);
  results::Store store = results::Store::open_readwrite(db_path, &describer);
  if (const std::vector<int64_t> gone = store.abandoned_runs(); !gone.empty()) {
    store.mark_abandoned(gone);
    std::printf("note: %s\n", abandoned_note(gone).c_str());
  }
  std::string label = "model:";
  for (size_t i = 0; i < presets.size(); ++i) label += (i ? "," : "") + presets[i].name;
  results::RunInfo provenance = collect_provenance(registry, cpu_backend.threads(), context.command_line, label);
  provenance.vulkan_device = backends.vulkan_device;
  provenance.quick = quick;
  const MachineLoad load = machine_load();
  provenance.load_average = load.load_average;
  provenance.busy_processes = load.busy_processes;
  const Calibrations calibration = calibration_for_run(store);
  provenance.calibration_json = calibrations_json(calibration);
  const InterruptScope interrupts;
  const int64_t run_id = store.begin_run(provenance);
  std::printf("run %lld: %zu parts of %zu preset(s) to measure, %d threads, database %s\n", (long long)run_id,
              plan.size(), presets.size(), cpu_backend.threads(), db_path.c_str());
  if (!backends.vulkan_device.empty()) std::printf("%s\n", backends.vulkan_device.c_str());
  if (const std::string warning = load_warning(load, cpu_backend.threads()); !warning.empty())
    std::printf("%s\n", warning.c_str());
  std::fflush(stdout);
  const RunSummary summary = execute_plan(plan, store, run_id, cpu_backend.host());
  store.finish_run(run_id, summary.interrupted ? "interrupted" : "completed");
  if (summary.interrupted) {
    std::printf("\n%s\n", summary.line().c_str());
    return summary.exit_code();
  }

  // This run's results, by backend and canonical string.
  std::map<std::string, std::map<std::string, MeasuredPart>> measured;
  const results::QueryResult rows = store.query(
      "SELECT r.backend, p.canonical, r.outcome, r.median_s, r.reason FROM results r"
      " JOIN problems p ON p.id = r.problem_id WHERE r.run_id = ?1",
      {results::Cell{run_id}});
  for (const auto& row : rows.rows) {
    MeasuredPart m;
    m.outcome = std::get<std::string>(row[2]);
    if (const double* median = std::get_if<double>(&row[3])) m.median_s = *median;
    m.reason = std::get<std::string>(row[4]);
    measured[std::get<std::string>(row[0])][std::get<std::string>(row[1])] = m;
  }
  std::vector<std::pair<std::string, int64_t>> estimates;
  for (const ab_backend b : backends.list)
    for (const ModelPlan& p : plans) {
      results::ModelEstimateRecord e =
          compose_estimate(p, b, measured[backend_name(b)], calibrated_peaks(calibration, b, workload.dtype));
      std::string said = e.preset + " on " + e.backend + ": " + e.notes;
      if (check_stack) {
        std::printf("timing %s's decode step end to end on %s ...\n", e.preset.c_str(), e.backend.c_str());
        std::fflush(stdout);
        const StackTiming stack = time_decode_stack(p, b, cpu_backend.host(), quick ? 3 : 7, kAdhocTimeoutSeconds);
        if (stack.decode_s) {
          const double layers = estimated_layer_decode_s(e);
          e.stack_decode_s = stack.decode_s;
          e.stack_ratio = layers / *stack.decode_s;
          char text[256];
          std::snprintf(text, sizeof text,
                        "\n  stack check: the %zu %s of all %d layers in sequence take %.2f ms per decode step; the "
                        "estimate's layers %.2f ms (x%.3f)",
                        stack.instances, stack.blocks ? "blocks" : "parts", p.preset.layers, *stack.decode_s * 1e3,
                        layers * 1e3, *e.stack_ratio);
          said += text;
        } else {
          said += "\n  stack check not done: " + stack.failure;
        }
      }
      estimates.emplace_back(said, store.record_model_estimate(run_id, e));
    }

  results::ModelBoardOptions board;
  board.run_id = run_id;
  std::printf("\nwhole-model estimates (run %lld; prefill %lld tokens, decode at context %lld, batch %lld, %s; ranked by decode tokens/s):\n",
              (long long)run_id, (long long)workload.prefill, (long long)workload.context, (long long)workload.batch,
              dtype_name(workload.dtype));
  results::QueryResult ranked = results::model_board(store, board);
  // The notes follow the table, one line per estimate, rather than widen it.
  const size_t notes = size_t(std::find(ranked.columns.begin(), ranked.columns.end(), "notes") - ranked.columns.begin());
  if (notes < ranked.columns.size()) {
    ranked.columns.erase(ranked.columns.begin() + long(notes));
    for (auto& row : ranked.rows) row.erase(row.begin() + long(notes));
  }
  std::cout << results::format(ranked, results::Format::table);
  for (const auto& [note, id] : estimates) {
    std::printf("%s\n", note.c_str());
    if (show_parts) std::cout << results::format(results::model_estimate_parts(store, id), results::Format::table);
  }
  std::printf("\n%s\n", summary.line().c_str());
  return summary.exit_code();
}

}  // namespace archbench::cli
