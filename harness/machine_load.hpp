// How busy the machine is when a run starts (Linux /proc/loadavg): recorded in
// the run (runs.load_average, runs.busy_processes) and warned about, since
// timings taken beside other work are noisy and can mislead a comparison.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace archbench {

struct MachineLoad {
  std::optional<double> load_average;     // 1-minute
  std::optional<int64_t> busy_processes;  // runnable now, besides this process
};

MachineLoad machine_load();  // unset fields where /proc/loadavg is unreadable

// "warning: ..." when the load average exceeds half the cores or another process
// is runnable; "" otherwise.
std::string load_warning(const MachineLoad& load, int cores);

}  // namespace archbench
