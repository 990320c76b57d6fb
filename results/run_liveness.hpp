// Whether the process that recorded a run still lives. A run is 'running'
// from begin_run until finish_run; a parent killed with -9 (or a machine that
// lost power) never gets to finish_run, so a later `archbench run` or
// `archbench runs` on the same host asks this and marks such runs 'abandoned'
// (Store::abandoned_runs, mark_abandoned). Linux: /proc; elsewhere the answer
// is "unknown" and nothing is marked.
#pragma once

#include <cstdint>
#include <string>

namespace archbench::results {

// Stored with each run (schema v6: runs.pid, pid_host, pid_start).
struct ProcessIdentity {
  int64_t pid = 0;
  std::string host;   // gethostname()
  // "<boot id> <pid namespace> <start time in clock ticks>": a pid the kernel
  // has since given to another process, a reboot, or a pid of another
  // container's namespace are told apart from the process that ran.
  std::string start;
};

ProcessIdentity this_process();

enum class Liveness { alive, gone, unknown };

// `unknown` for a run recorded before v6 (pid 0), on another host or in
// another pid namespace: nothing here can see that process.
Liveness liveness(const ProcessIdentity& recorded);

}  // namespace archbench::results
