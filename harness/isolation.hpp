// Runs a piece of work in a forked child so that a plugin that crashes or hangs
// costs one problem, not the run: the parent records "crashed" or "timed-out"
// and goes on. The child sends its answer back through a pipe as text.
//
// The parent must not have started OpenMP/oneDNN threads before forking (a
// thread pool does not survive fork); all compute happens in children.
#pragma once

#include <functional>
#include <string>

namespace archbench {

struct ChildOutcome {
  enum class Kind { finished, crashed, timed_out } kind = Kind::finished;
  std::string output;  // what the child returned (finished only)
  std::string reason;  // signal or exit status (crashed), limit (timed_out)
};

ChildOutcome run_isolated(const std::function<std::string()>& work, double timeout_s);

// Kills the child in flight (if any): used by the SIGINT handler.
void kill_running_child();

}  // namespace archbench
