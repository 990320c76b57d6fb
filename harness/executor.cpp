// One problem's life: describe, allocate, create, verify, time, verify again.
#include "harness/executor.hpp"

#include "harness/compare_outputs.hpp"
#include "harness/gbench_timer.hpp"
#include "harness/instance_runner.hpp"
#include "harness/onednn_impl.hpp"
#include "harness/plugin_calls.hpp"
#include "harness/result_figures.hpp"
#include "harness/tensors.hpp"
#include "harness/variant_abi.hpp"

#include <archbench/sdk.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <sstream>
#include <unistd.h>

namespace archbench {
namespace {

uint64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return UINT64_MAX;
}

uint64_t resident_bytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  in >> pages_total >> pages_resident;
  return pages_resident * uint64_t(sysconf(_SC_PAGESIZE));
}

// Memory a problem needs: every tensor and one packed copy a plugin may make
// of it; three more copies of the inputs (the two input sets timing alternates
// between, and the runner's own); the reference's doubles: each input and state
// once, each output once per input set, and of the weights the largest one (the
// in-tree references widen one weight, or one expert's slice, at a time; a
// 2.4 G-element MoE layer would otherwise look four times its size).
uint64_t estimated_bytes(const ab_problem_info& info) {
  uint64_t total = 0, largest_weight = 0;
  for (uint32_t i = 0; i < info.tensor_count; ++i) {
    const ab_tensor_desc& d = info.tensors[i];
    const uint64_t elements = uint64_t(sdk::element_count(d)), bytes = tensor_bytes(d);
    total += 2 * bytes;
    if (d.role == AB_TENSOR_INPUT) total += 3 * bytes + 8 * elements;
    if (d.role == AB_TENSOR_OUTPUT) total += 2 * 8 * elements;
    if (d.role == AB_TENSOR_STATE) total += 8 * elements;  // a KV cache is read whole
    if (d.role == AB_TENSOR_WEIGHT) largest_weight = std::max(largest_weight, elements);
  }
  return total + 8 * largest_weight;
}

using ReferenceOutputs = std::vector<std::vector<double>>;

// The reference, in double, on exactly the inputs the tensors hold now.
bool compute_reference(const ab_variant& variant, const ab_problem& raw, const TensorSet& tensors,
                       ReferenceOutputs& out) {
  return reference_outputs(variant, raw, tensors.bound(), tensors.count(), out) == AB_OK;
}

// The second input set's seed: another stream of the same problem.
uint64_t second_input_seed(uint64_t seed) { return seed * 0x2545F4914F6CDD1Dull + 0x9E3779B97F4A7C15ull; }

// After each timed iteration: a few positions of each numeric output, drawn
// afresh every time, must match the reference of the inputs that iteration ran
// on. An answer computed once and replayed (or patched where the harness
// poisoned it, or recomputed only when the inputs stop changing) matches the
// other input set's instead.
struct Sampling {
  uint64_t state;                // the position generator
  std::vector<int64_t> at;       // reused: nothing allocated per iteration
  std::vector<double> values;
  // A selection ranked by scores may take a tie stand-in on a few rows, whose
  // values then follow its choice (compare_outputs.hpp, at most 1 row in 8):
  // there, 2 of the 8 positions may be off. A replayed answer misses nearly all.
  bool stand_ins_possible = false;
};

bool stand_ins_possible(const ab_problem_info& info) {
  for (uint32_t i = 0; i < info.tensor_count; ++i)
    if (info.tensors[i].role == AB_TENSOR_OUTPUT && info.tensors[i].compare == AB_COMPARE_INDEX_SET &&
        info.tensors[i].scores[0])
      return true;
  return false;
}

std::string sampled_mismatch(const ab_problem_info& info, InstanceRunner& runner, const ReferenceOutputs& reference,
                             Sampling& sampling) {
  size_t output = 0;
  for (uint32_t i = 0; i < info.tensor_count; ++i) {
    const ab_tensor_desc& d = info.tensors[i];
    if (d.role != AB_TENSOR_OUTPUT) continue;
    const std::vector<double>& ref = reference[output++];
    // Index sets may legitimately pick another of tied scores: only values are sampled.
    if ((d.compare != AB_COMPARE_NUMERIC && d.compare != AB_COMPARE_EXACT) || ref.empty()) continue;
    sampling.at.resize(8);
    for (int64_t& position : sampling.at) {
      sampling.state = sampling.state * 6364136223846793005ull + 1442695040888963407ull;
      position = int64_t((sampling.state >> 17) % ref.size());
    }
    runner.output_elements(i, sampling.at, sampling.values);
    double error = 0, magnitude = 0;
    for (size_t k = 0; k < sampling.at.size(); ++k) {
      const double expected = ref[size_t(sampling.at[k])];
      magnitude += expected * expected;
    }
    int off = 0;
    for (size_t k = 0; k < sampling.at.size(); ++k) {
      const double expected = ref[size_t(sampling.at[k])], value = sampling.values[k];
      const double e2 = (value - expected) * (value - expected);
      const bool follows = e2 <= 1e-2 * magnitude / double(sampling.at.size()) + 1e-12;
      if (sampling.stand_ins_possible && !follows && ++off <= 2) continue;
      error += e2;
    }
    // Loose on purpose (a bf16 output is ~1e-5 off, a stale one ~1): it only has to
    // tell a computed answer from a replayed one.
    if (!(error <= 1e-2 * magnitude + 1e-12))
      return std::string("output '") + d.name + "' does not follow the inputs it was run on "
             "(an answer computed once and replayed?)";
  }
  return {};
}

}  // namespace

const char* backend_name(ab_backend backend) {
  return backend == AB_BACKEND_CPU ? "cpu" : "vulkan";
}

std::string undeclared(const Problem& problem, ab_backend backend) {
  const ab_variant& variant = *problem.variant;
  if (!(variant.backends & AB_BACKEND_BIT(backend)))
    return std::string(variant.name) + " declares no " + backend_name(backend) + " implementation";
  if (!(variant.dtypes & AB_DTYPE_BIT(problem.dtype)))
    return std::string(variant.name) + " declares no " + dtype_name(problem.dtype) + " support";
  return {};
}

results::ResultRecord describe_record(const Problem& problem, ab_backend backend) {
  results::ResultRecord record;
  record.canonical = problem.canonical();
  record.variant = problem.variant->name;
  record.kind = problem.variant->kind;
  record.params_json = problem.params_json();
  record.workload = problem.workload();
  record.design = problem.design();
  record.design_short = problem.design_compact();
  record.shape = problem.shape();
  record.params = problem.structured_params();
  record.dtype = dtype_name(problem.dtype);
  record.backend = backend_name(backend);
  // The cost model is plugin code, and the parent asks for it too (a crashed
  // row, the dry-run estimate): through plugin_call it runs in a child there.
  // A describe() that crashes or fails leaves the figures at 0.
  const ab_problem raw = problem.raw();
  const CallAnswer answer = plugin_call(call_key("describe", *problem.variant, raw), [&] {
    ab_problem_info info;
    if (!describe_problem(problem, info)) return std::string("-");
    char text[160];
    std::snprintf(text, sizeof text, "%a %a %a %a", info.flops, info.bytes, info.tokens,
                  info.kv_cache_bytes_per_token);  // hex floats: exact, and one line
    return std::string(text);
  });
  double figures[4] = {};
  if (answer.ok() && std::sscanf(answer.text.c_str(), "%la %la %la %la", &figures[0], &figures[1], &figures[2],
                                 &figures[3]) == 4) {
    record.flops = figures[0];
    record.bytes = figures[1];
    record.tokens = figures[2];
    record.kv_cache_bytes_per_token = figures[3];
  }
  return record;
}

bool describe_problem(const Problem& problem, ab_problem_info& info) {
  const ab_problem raw = problem.raw();
  return describe_variant(*problem.variant, raw, info) == AB_OK;
}

results::ResultRecord execute_problem(const Problem& problem, ab_backend backend,
                                      const ab_host& host, const Measurement& measurement,
                                      const Peaks& peaks) {
  const ab_variant& variant = *problem.variant;
  results::ResultRecord record = describe_record(problem, backend);
  auto finish = [&](const char* outcome, std::string reason) {
    record.outcome = outcome;
    record.reason = std::move(reason);
    return record;
  };
  if (std::string why = undeclared(problem, backend); !why.empty()) return finish("unimplemented", why);

  ab_problem_info info;
  if (!describe_problem(problem, info)) return finish("failed", "describe() failed");
  if (std::string why = check_declared_tensors(info); !why.empty()) return finish("failed", why);
  const uint64_t needed = estimated_bytes(info), available = available_memory_bytes();
  if (needed > available * 8 / 10) {
    std::ostringstream reason;
    reason << "does not fit in memory: needs ~" << (needed >> 20) << " MiB, "
           << (available >> 20) << " MiB available";
    return finish("skipped", reason.str());
  }

  TensorSet tensors(info);
  tensors.fill(problem.seed);
  const uint64_t resident_before = resident_bytes();
  const ab_problem raw = problem.raw();
  CreatedRunner created = create_runner(backend, variant, raw, host, tensors);
  if (!created.runner) return finish(created.outcome.c_str(), created.reason);
  InstanceRunner& runner = *created.runner;

  // The first checked run also tells which oneDNN implementations ran (provenance).
  std::string first_run;
  if (backend == AB_BACKEND_CPU) record.impl = onednn_implementations([&] { first_run = runner.run_checked(); });
  else first_run = runner.run_checked();
  if (!first_run.empty()) return finish("failed", first_run);
  const uint64_t resident_after = resident_bytes();
  record.peak_memory_bytes =
      int64_t(tensors.total_bytes() + resident_after - std::min(resident_after, resident_before));
  if (std::string why = guard_damage(runner); !why.empty()) return finish("failed", why);

  ReferenceOutputs reference;
  if (!compute_reference(variant, raw, tensors, reference)) return finish("failed", "reference() failed");

  const OutputCheck check = check_outputs(tensors, reference, problem.dtype, backend);
  record.nmse = check.numeric.nmse;
  record.max_abs = check.numeric.max_abs;
  record.max_rel = check.numeric.max_rel;
  if (!check.failure.empty()) return finish("failed", check.failure);
  if (std::string why = collect_figures(variant, raw, tensors, record.figures); !why.empty())
    return finish("failed", why);
  if (!measurement.perf) return finish("passed", "");

  // A second input set with its own reference: timing alternates between the
  // two (switched untimed, on the device where the instance reads from it),
  // each iteration's outputs are sampled against the matching reference, and
  // the final check runs on the second, so an answer computed once cannot pass
  // for the work.
  TensorSet::InputSnapshot first_inputs = tensors.snapshot_inputs();
  tensors.fill_inputs(second_input_seed(problem.seed));
  TensorSet::InputSnapshot second_inputs = tensors.snapshot_inputs();
  ReferenceOutputs second_reference;
  if (!compute_reference(variant, raw, tensors, second_reference)) return finish("failed", "reference() failed");
  tensors.restore_inputs(first_inputs);
  runner.stage_input_sets(std::move(first_inputs), second_inputs);

  uint64_t iteration = 0;
  Sampling sampling{problem.seed ^ uint64_t(resident_after), {}, {}, stand_ins_possible(info)};
  const TimingResult timing = time_with_gbench(record.canonical, measurement, [&] {
    const int set = int(iteration++ % 2);
    runner.use_input_set(set);  // untimed
    const double seconds = runner.timed_iteration();
    if (std::string why = sampled_mismatch(info, runner, set ? second_reference : reference, sampling); !why.empty())
      throw std::runtime_error(why);
    return seconds;
  });
  if (!timing.error.empty()) return finish("failed", "while timing: " + timing.error);
  if (std::string why = guard_damage(runner); !why.empty()) return finish("failed", "while timing: " + why);

  // Re-check after timing, on the second input set: the last run must still compute.
  tensors.restore_inputs(second_inputs);
  runner.reload_inputs();
  if (std::string why = runner.run_checked(); !why.empty()) return finish("failed", "after timing: " + why);
  if (std::string why = guard_damage(runner); !why.empty()) return finish("failed", "after timing: " + why);
  if (std::string why = check_outputs(tensors, second_reference, problem.dtype, backend).failure; !why.empty())
    return finish("failed", "after timing, on a second input set: " + why);

  record.median_s = timing.median_s;
  record.mean_s = timing.mean_s;
  record.stddev_s = timing.stddev_s;
  record.cv = timing.mean_s > 0 ? timing.stddev_s / timing.mean_s : 0;
  record.min_s = timing.min_s;
  record.iterations = timing.iterations;
  record.repetitions = int64_t(timing.samples.size());
  record.samples = timing.samples;
  if (timing.median_s > 0) {
    record.gflops = record.flops / timing.median_s / 1e9;
    record.gbps = record.bytes / timing.median_s / 1e9;
    record.tokens_per_s = record.tokens / timing.median_s;
    if (peaks.compute_gflops) record.frac_peak_compute = *record.gflops / *peaks.compute_gflops;
    if (peaks.bandwidth_gbps) record.frac_peak_bandwidth = *record.gbps / *peaks.bandwidth_gbps;
  }
  return finish("passed", "");
}

}  // namespace archbench
