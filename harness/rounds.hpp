// Rounds: a timed problem is measured in several separate child processes (asv's
// "processes"), its repetitions split among them, and the samples pooled into one
// result. Within one process the samples share that process's luck (where its
// buffers landed, which cores its threads got, the machine's state for those
// seconds), so their spread understates how much a rerun moves; on the dev VM a
// median moved 10-40% between processes whose own cv stayed under 5%. Pooled
// rounds put that between-process spread into the samples that compare's test
// and intervals read. The runner interleaves rounds across the plan (round 1 of
// every problem, then round 2, ...), so a run's rounds also span its duration.
#pragma once

#include "harness/executor.hpp"
#include "results/store.hpp"

#include <vector>

namespace archbench {

// The measurement one round runs: its share of the repetitions (at least one).
Measurement round_measurement(const Measurement& whole);

// Rounds a planned measurement takes: 1 when it is not timed.
int rounds_of(const Measurement& measurement);

// One result from the records of a problem's rounds, in round order, all of the
// same problem and backend. When every round passed: the first round's record
// with the samples of all rounds (each tagged with its round), the timing figures
// recomputed from them, the worst fidelity figures and the largest peak memory.
// Otherwise the first round that did not pass, its reason naming the round.
results::ResultRecord pool_rounds(const std::vector<results::ResultRecord>& rounds, const Peaks& peaks);

}  // namespace archbench
