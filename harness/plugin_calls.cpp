// Plugin calls answered away from the parent process (see plugin_calls.hpp).
#include "harness/plugin_calls.hpp"

#include "harness/isolation.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace archbench {
namespace {

// The gate of this process; copied into every child by fork, where it only
// tells the child that it is one (its pid is not the owner's).
PluginCallGate* active_gate = nullptr;

// A prefetch child that dies this many times on different calls is given up:
// the parent then asks the calls it still needs one child at a time.
constexpr int kPrefetchAttempts = 16;
// The whole prefetch (a plan of up to kMaxPlannedRows rows takes seconds).
constexpr double kPrefetchSeconds = 300;

void write_line(int fd, const std::string& line) {
  const std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += size_t(n);
  }
}

std::string read_all(int fd) {
  std::string out;
  if (lseek(fd, 0, SEEK_SET) < 0) return out;
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, size_t(n));
  }
  return out;
}

// Seconds since the file was last written: how long its pending call has run.
double seconds_since_write(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return 0;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return double(now.tv_sec - st.st_mtim.tv_sec) + 1e-9 * double(now.tv_nsec - st.st_mtim.tv_nsec);
}

CallAnswer from_child(const ChildOutcome& child) {
  CallAnswer answer;
  if (child.kind == ChildOutcome::Kind::finished) answer.text = child.output;
  else answer.crashed = child.reason;
  answer.hung = child.kind == ChildOutcome::Kind::timed_out;
  return answer;
}

}  // namespace

std::string call_key(const char* call, const ab_variant& variant, const ab_problem& problem,
                     const std::string& extra) {
  std::string key = call;
  char text[40];
  std::snprintf(text, sizeof text, "|%p|%d|%llx|", static_cast<const void*>(&variant), int(problem.dtype),
                static_cast<unsigned long long>(problem.seed));
  key += text;
  for (uint32_t i = 0; i < problem.value_count; ++i) {
    uint64_t bits = 0;
    std::memcpy(&bits, &problem.values[i], sizeof bits);
    std::snprintf(text, sizeof text, "%llx,", static_cast<unsigned long long>(bits));
    key += text;
  }
  return key + "|" + extra;
}

std::string CallAnswer::failure(const std::string& call) const {
  return call + (hung ? " hung (" : " crashed (") + crashed + ")";
}

PluginCallGate::PluginCallGate() : owner_(getpid()) {
  if (active_gate) throw std::logic_error("a plugin call gate is already installed");
  active_gate = this;
}

PluginCallGate::~PluginCallGate() { active_gate = nullptr; }

CallAnswer plugin_call(const std::string& key, const std::function<std::string()>& compute) {
  PluginCallGate* gate = active_gate;
  if (!gate) return {compute(), "", false};
  if (auto known = gate->answers_.find(key); known != gate->answers_.end()) return known->second;
  if (getpid() == gate->owner_) {  // the parent: never here, always in a child
    ++gate->children_;
    const CallAnswer answer = from_child(run_isolated(compute, kPluginCallSeconds));
    gate->answers_[key] = answer;
    return answer;
  }
  if (gate->record_fd_ < 0) return {compute(), "", false};  // a measuring child: plugin code belongs here
  // A prefetching child: say which call runs before running it, so that if it
  // crashes the parent knows which one did; a call that hangs is ended by the alarm.
  write_line(gate->record_fd_, "?" + key);
  alarm(unsigned(kPluginCallSeconds));
  const std::string text = compute();
  alarm(0);
  write_line(gate->record_fd_, "=" + key + "\t" + text);
  gate->answers_[key] = {text, "", false};
  return {text, "", false};
}

void prefetch_plugin_calls(const std::function<void()>& work) {
  if (active_gate && getpid() == active_gate->owner_) active_gate->prefetch(work);
}

void PluginCallGate::prefetch(const std::function<void()>& work) {
  for (int attempt = 0; attempt < kPrefetchAttempts; ++attempt) {
    FILE* file = std::tmpfile();  // already unlinked: nothing is left behind
    if (!file) return;
    record_fd_ = fileno(file);
    ++children_;
    const ChildOutcome child = run_isolated(
        [&] {
          // The parent prints the notes and errors when it plans for real.
          const int null = open("/dev/null", O_WRONLY);
          if (null >= 0) {
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
          }
          try {
            work();
          } catch (const std::exception&) {  // bad input: the parent finds it again and says so
          }
          return std::string();
        },
        kPrefetchSeconds);
    record_fd_ = -1;
    const double idle = seconds_since_write(fileno(file));
    const std::string lines = read_all(fileno(file));
    std::fclose(file);
    std::string pending;
    for (size_t start = 0; start < lines.size();) {
      size_t end = lines.find('\n', start);
      if (end == std::string::npos) break;  // a line cut short by the crash
      const std::string line = lines.substr(start, end - start);
      start = end + 1;
      if (line.empty()) continue;
      if (line[0] == '?') {
        pending = line.substr(1);
      } else if (const size_t tab = line.find('\t'); line[0] == '=' && tab != std::string::npos) {
        const std::string key = line.substr(1, tab - 1);
        answers_[key] = {line.substr(tab + 1), "", false};
        if (key == pending) pending.clear();
      }
    }
    if (child.kind == ChildOutcome::Kind::finished || pending.empty()) return;
    CallAnswer blamed;
    if (child.kind == ChildOutcome::Kind::crashed && child.reason.find("signal 14 ") != std::string::npos) {
      blamed.hung = true;  // the alarm above: the call ran past its limit
      blamed.crashed = "no answer within " + std::to_string(int(kPluginCallSeconds)) + " s";
    } else if (child.kind == ChildOutcome::Kind::crashed) {
      blamed.crashed = child.reason;
    } else if (idle >= kPluginCallSeconds) {  // the whole prefetch ran out inside one call
      blamed.hung = true;
      blamed.crashed = "no answer within " + std::to_string(int(kPluginCallSeconds)) + " s";
    } else {
      return;  // out of time between calls: the parent asks what is left one call at a time
    }
    answers_[pending] = blamed;
  }
}

}  // namespace archbench
