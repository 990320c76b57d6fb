// Process identity from /proc (see run_liveness.hpp).
#include "results/run_liveness.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace archbench::results {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string link_target(const std::string& path) {
  char buffer[256];
  const ssize_t n = readlink(path.c_str(), buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, size_t(n)) : "";
}

// State (field 3) and start time (field 22) of /proc/<pid>/stat. The command
// name (field 2) may hold spaces and parentheses, so fields count from its last ')'.
struct Stat {
  bool exists = false;
  char state = '?';
  std::string start_ticks;
};

Stat stat_of(const std::string& pid) {
  Stat stat;
  const std::string line = first_line("/proc/" + pid + "/stat");
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return stat;
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(field);
  if (fields.size() < 20) return stat;
  stat.exists = true;
  stat.state = fields[0].empty() ? '?' : fields[0][0];  // field 3
  stat.start_ticks = fields[19];                         // field 22
  return stat;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

}  // namespace

ProcessIdentity this_process() {
  ProcessIdentity me;
  me.pid = getpid();
  me.host = host_name();
  const std::string boot = first_line("/proc/sys/kernel/random/boot_id");
  const std::string pid_namespace = link_target("/proc/self/ns/pid");
  const Stat stat = stat_of("self");
  if (!boot.empty() && !pid_namespace.empty() && stat.exists)
    me.start = boot + " " + pid_namespace + " " + stat.start_ticks;
  return me;
}

Liveness liveness(const ProcessIdentity& recorded) {
  if (recorded.pid <= 0 || recorded.start.empty()) return Liveness::unknown;
  const ProcessIdentity me = this_process();
  if (me.start.empty() || recorded.host != me.host) return Liveness::unknown;
  std::istringstream theirs(recorded.start), mine(me.start);
  std::string boot, pid_namespace, ticks, my_boot, my_namespace;
  theirs >> boot >> pid_namespace >> ticks;
  mine >> my_boot >> my_namespace;
  if (boot != my_boot) return Liveness::gone;  // the machine rebooted since
  if (pid_namespace != my_namespace) return Liveness::unknown;
  const Stat stat = stat_of(std::to_string(recorded.pid));
  if (!stat.exists || stat.state == 'Z' || stat.state == 'X') return Liveness::gone;
  return stat.start_ticks == ticks ? Liveness::alive : Liveness::gone;  // else: the pid was reused
}

}  // namespace archbench::results
