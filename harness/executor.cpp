// One problem's life: describe, allocate, create, verify, time, verify again.
#include "harness/executor.hpp"

#include "harness/fidelity.hpp"
#include "harness/gbench_timer.hpp"
#include "harness/instance_runner.hpp"
#include "harness/tensors.hpp"

#include <archbench/sdk.hpp>

#include <fstream>
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

// Memory the check needs beyond the tensors: the reference reads every tensor
// as doubles and writes doubles, roughly 3x the element count in 8-byte values.
uint64_t estimated_bytes(const ab_problem_info& info) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < info.tensor_count; ++i) {
    const uint64_t elements = uint64_t(sdk::element_count(info.tensors[i]));
    total += tensor_bytes(info.tensors[i]) + 3 * 8 * elements;
  }
  return total;
}

// Compares every output against the reference arrays.
Fidelity compare(const TensorSet& tensors, const std::vector<std::vector<double>>& reference) {
  FidelityMeter meter;
  size_t output = 0;
  for (uint32_t i = 0; i < tensors.count(); ++i) {
    if (tensors.info().tensors[i].role != AB_TENSOR_OUTPUT) continue;
    meter.add(tensors.output_as_doubles(i), reference[output++].data());
  }
  return meter.result();
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
  record.shape = problem.shape();
  record.params = problem.structured_params();
  record.dtype = dtype_name(problem.dtype);
  record.backend = backend_name(backend);
  if (ab_problem_info info; describe_problem(problem, info)) {
    record.flops = info.flops;
    record.bytes = info.bytes;
    record.tokens = info.tokens;
    record.kv_cache_bytes_per_token = info.kv_cache_bytes_per_token;
  }
  return record;
}

bool describe_problem(const Problem& problem, ab_problem_info& info) {
  const ab_problem raw = problem.raw();
  info = ab_problem_info{};
  info.struct_size = sizeof info;
  return problem.variant->describe(problem.variant->context, &raw, &info) == AB_OK;
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

  if (std::string why = runner.run_checked(); !why.empty()) return finish("failed", why);
  const uint64_t resident_after = resident_bytes();
  record.peak_memory_bytes =
      int64_t(tensors.total_bytes() + resident_after - std::min(resident_after, resident_before));
  if (std::string why = guard_damage(runner); !why.empty()) return finish("failed", why);

  // The reference, in double, on exactly the inputs the backend saw.
  std::vector<std::vector<double>> reference;
  std::vector<double*> reference_arrays;
  for (uint32_t i = 0; i < info.tensor_count; ++i)
    if (info.tensors[i].role == AB_TENSOR_OUTPUT)
      reference.emplace_back(size_t(sdk::element_count(info.tensors[i])), 0.0);
  for (auto& r : reference) reference_arrays.push_back(r.data());
  if (variant.reference(variant.context, &raw, tensors.bound(), tensors.count(), reference_arrays.data()) != AB_OK)
    return finish("failed", "reference() failed");

  Fidelity fidelity = compare(tensors, reference);
  record.nmse = fidelity.nmse;
  record.max_abs = fidelity.max_abs;
  record.max_rel = fidelity.max_rel;
  if (std::string why = judge(fidelity, problem.dtype, backend); !why.empty())
    return finish("failed", why);
  if (!measurement.perf) return finish("passed", "");

  const TimingResult timing =
      time_with_gbench(record.canonical, measurement, [&] { return runner.timed_iteration(); });
  if (!timing.error.empty()) return finish("failed", "while timing: " + timing.error);

  // Re-check after timing: the last run must still produce the right answer.
  if (std::string why = runner.run_checked(); !why.empty()) return finish("failed", "after timing: " + why);
  fidelity = compare(tensors, reference);
  if (std::string why = judge(fidelity, problem.dtype, backend); !why.empty())
    return finish("failed", "after timing: " + why);

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
