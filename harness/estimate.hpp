// How long a planned run should take, for `archbench run --dry-run`. The model
// uses the harness's own settings (repetitions, min time, warm-up, timeouts) and
// each problem's FLOPs from its describe(); the rates are fitted to the shipped
// suites on the 2-core dev VM's CPU (quick 45 s, fidelity 12 min, attention 40
// min, needle + multihop 11 min), so a faster machine finishes sooner and
// lavapipe's task rows take several times longer.
#pragma once

#include "harness/runner.hpp"

#include <string>

namespace archbench {

// Seconds for one planned row, never more than its timeout:
//   timed:   repetitions x (min_time + warmup) + rounds x check
//   checked: check (--fidelity-only, or a suite with timing = false)
//   task:    kTaskRowSeconds + flops / kTaskFlopsPerSecond
// where check = kCheckSeconds + flops / kCheckFlopsPerSecond: the double
// reference and the checked run grow with the problem's work.
inline constexpr double kCheckSeconds = 0.25;  // child start, seeded inputs, comparison
inline constexpr double kCheckFlopsPerSecond = 15e9;
inline constexpr double kTaskRowSeconds = 0.5;  // haystack set-up and decoding
inline constexpr double kTaskFlopsPerSecond = 125e9;  // per FLOP of one prefill at the row's context
double estimated_seconds(const PlannedProblem& planned);

// "45 s", "3 min 20 s", "1 h 05 min".
std::string format_duration(double seconds);

}  // namespace archbench
