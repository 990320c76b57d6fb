// Machine load at the start of a run (see machine_load.hpp).
#include "harness/machine_load.hpp"

#include <cstdio>

namespace archbench {

MachineLoad machine_load() {
  MachineLoad load;
  if (FILE* file = std::fopen("/proc/loadavg", "r")) {
    double one = 0, five = 0, fifteen = 0;
    long running = 0, total = 0;
    // "0.52 0.61 0.70 3/412 12345": loads, then runnable/total scheduling entities.
    if (std::fscanf(file, "%lf %lf %lf %ld/%ld", &one, &five, &fifteen, &running, &total) == 5) {
      load.load_average = one;
      load.busy_processes = running > 0 ? running - 1 : 0;  // this process is running as it reads
    }
    std::fclose(file);
  }
  return load;
}

std::string load_warning(const MachineLoad& load, int cores) {
  const bool loaded = load.load_average && cores > 0 && *load.load_average > 0.5 * cores;
  const bool busy = load.busy_processes && *load.busy_processes > 0;
  if (!loaded && !busy) return "";
  char text[256];
  std::snprintf(text, sizeof text,
                "warning: the machine was busy when the run started (load average %.2f on %d cores, %lld other "
                "runnable process%s): timings may be noisy; compare runs made on a quiet machine",
                load.load_average.value_or(0), cores, (long long)load.busy_processes.value_or(0),
                load.busy_processes.value_or(0) == 1 ? "" : "es");
  return text;
}

}  // namespace archbench
