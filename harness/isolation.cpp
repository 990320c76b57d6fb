// fork + pipe + poll with a deadline.
#include "harness/isolation.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <stdexcept>

namespace archbench {
namespace {

std::atomic<pid_t> running_child{0};

// Ends every answer, so a child that exits (even with status 0) before
// reporting is told apart from one that reported: plugins may call exit().
constexpr char kEndOfAnswer[] = "\n\x04archbench-end\n";

bool ends_with_answer(const std::string& output) {
  const size_t marker = sizeof kEndOfAnswer - 1;
  return output.size() >= marker && output.compare(output.size() - marker, marker, kEndOfAnswer) == 0;
}

// The child and anything it forked are one process group: killing the group
// leaves no grandchild behind.
void kill_group(pid_t pid) {
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
}

// waitpid until `deadline`; false when the child is still alive then.
template <class TimePoint>
bool reap_until(pid_t pid, int& status, TimePoint deadline) {
  // A child that has answered exits within microseconds: look again soon, then
  // back off to 2 ms (short children, such as plugin probes and planning calls,
  // would otherwise spend most of their time waiting to be reaped).
  useconds_t pause = 50;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR) return true;  // nothing left to wait for
    if (std::chrono::steady_clock::now() >= deadline) return false;
    usleep(pause);
    pause = std::min<useconds_t>(pause * 2, 2000);
  }
}

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += size_t(n);
  }
}

}  // namespace

void kill_running_child() {
  if (pid_t pid = running_child.load(); pid > 0) kill_group(pid);
}

ChildOutcome run_isolated(const std::function<std::string()>& work, double timeout_s) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a parent killed with -9 takes its measuring child along
    if (getppid() == 1) _exit(1);       // ... even if it died before prctl took effect
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    // A crash in the child is the child's: a handler the parent installed (a test
    // framework's, a sanitizer's) must not report it as the parent's, or turn
    // the signal into an exit status.
    for (int fatal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) signal(fatal, SIG_DFL);
    int status = 0;
    try {
      write_all(fds[1], work() + kEndOfAnswer);
    } catch (const std::exception& e) {
      write_all(fds[1], std::string("\x01") + e.what() + kEndOfAnswer);  // \x01 marks a thrown error
      status = 3;
    }
    close(fds[1]);
    _exit(status);  // skip atexit/static destructors of the parent's state
  }
  setpgid(pid, pid);  // both sides set it, so neither races the other
  running_child = pid;
  close(fds[1]);
  ChildOutcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  char buffer[65536];
  bool timed_out = false;
  for (;;) {
    const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, int(std::min(left, 1.0) * 1000) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child closed its end
    outcome.output.append(buffer, size_t(n));
    // A complete answer ends the wait: a grandchild the plugin forked may hold
    // the pipe open long after the child has answered.
    if (ends_with_answer(outcome.output)) break;
  }
  close(fds[0]);
  // A child may close its pipe and go on (or hang): the deadline holds after EOF too.
  int status = 0;
  if (!timed_out && !reap_until(pid, status, deadline)) timed_out = true;
  if (timed_out) {
    kill_group(pid);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  kill(-pid, SIGKILL);  // whatever the child forked and left behind
  running_child = 0;
  const bool answered = ends_with_answer(outcome.output);
  if (answered) outcome.output.resize(outcome.output.size() - (sizeof kEndOfAnswer - 1));
  if (timed_out) {
    outcome.kind = ChildOutcome::Kind::timed_out;
    outcome.reason = "exceeded the time limit of " + std::to_string(int(timeout_s)) + " s";
  } else if (WIFSIGNALED(status)) {
    outcome.kind = ChildOutcome::Kind::crashed;
    outcome.reason = std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
                     strsignal(WTERMSIG(status)) + ")";
  } else if (!outcome.output.empty() && outcome.output[0] == '\x01') {
    outcome.kind = ChildOutcome::Kind::crashed;
    outcome.reason = "uncaught error: " + outcome.output.substr(1);
  } else if (WEXITSTATUS(status) != 0) {
    outcome.kind = ChildOutcome::Kind::crashed;
    outcome.reason = "exited with status " + std::to_string(WEXITSTATUS(status));
  } else if (!answered) {
    outcome.kind = ChildOutcome::Kind::crashed;
    outcome.reason = "exited with status 0 before reporting a result (exit() called inside the plugin?)";
  }
  return outcome;
}

}  // namespace archbench
