// The --dry-run estimate (see estimate.hpp for the model).
#include "harness/estimate.hpp"

#include "harness/executor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace archbench {

double estimated_seconds(const PlannedProblem& planned) {
  // describe() only declares tensors and the cost model: cheap, and run in this process.
  const double flops = describe_record(planned.problem, planned.backend).flops;
  double seconds = kCheckSeconds + flops / kCheckFlopsPerSecond;
  if (planned.task) {
    seconds = kTaskRowSeconds + flops / kTaskFlopsPerSecond;
  } else if (planned.measurement.perf) {
    // Each round is a process of its own with its own check; they share the repetitions.
    const Measurement& m = planned.measurement;
    seconds = double(std::max(1, m.rounds)) * seconds + double(m.repetitions) * (m.min_time_s + m.warmup_s);
  }
  return std::min(seconds, planned.timeout_s);
}

std::string format_duration(double seconds) {
  const long whole = std::lround(std::ceil(seconds));
  char text[48];
  if (whole < 60) std::snprintf(text, sizeof text, "%ld s", whole);
  else if (whole < 3600) std::snprintf(text, sizeof text, "%ld min %02ld s", whole / 60, whole % 60);
  else std::snprintf(text, sizeof text, "%ld h %02ld min", whole / 3600, (whole % 3600) / 60);
  return text;
}

}  // namespace archbench
