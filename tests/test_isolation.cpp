// The measuring child: whatever it does (exit(0) mid-problem, close its pipe
// and hang, leave a forked grandchild behind), the parent gets an outcome
// within the deadline and nothing outlives the problem.
#include "harness/isolation.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

using archbench::ChildOutcome;
using archbench::run_isolated;

namespace {

// Gone, or a zombie waiting for init to reap it (it runs no more code).
bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, name, state;
  if (!(stat >> pid_field >> name >> state)) return true;
  return state == "Z" || state == "X";
}

double seconds_of(const std::function<void()>& body) {
  const auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("a child that answers is finished, and its answer arrives unchanged", "[isolation]") {
  const ChildOutcome o = run_isolated([] { return std::string("{\"a\": 1}\nwith\x04 bytes"); }, 30);
  CHECK(o.kind == ChildOutcome::Kind::finished);
  CHECK(o.output == "{\"a\": 1}\nwith\x04 bytes");
}

TEST_CASE("exit(0) inside the work is a crash with a reason, not an empty answer", "[isolation]") {
  const ChildOutcome o = run_isolated([]() -> std::string { std::exit(0); }, 30);
  CHECK(o.kind == ChildOutcome::Kind::crashed);
  CHECK_THAT(o.reason, Catch::Contains("before reporting a result"));
  CHECK(o.output.empty());
}

TEST_CASE("a child that closes its pipe and hangs times out at the deadline", "[isolation]") {
  ChildOutcome o;
  const double took = seconds_of([&] {
    o = run_isolated([]() -> std::string {
      for (int fd = 3; fd < 1024; ++fd) close(fd);
      for (;;) pause();
    }, 1.0);
  });
  CHECK(o.kind == ChildOutcome::Kind::timed_out);
  CHECK(took < 20);  // bounded by the deadline, not by the child
}

TEST_CASE("a grandchild the work forked does not outlive the problem", "[isolation]") {
  char path[] = "/tmp/archbench_grandchild_XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  const ChildOutcome o = run_isolated([&] {
    if (const pid_t grandchild = fork(); grandchild == 0) {
      for (;;) pause();
    } else {
      std::ofstream(path) << grandchild;
    }
    return std::string("done");
  }, 30);
  CHECK(o.kind == ChildOutcome::Kind::finished);
  pid_t grandchild = 0;
  std::ifstream(path) >> grandchild;
  std::remove(path);
  REQUIRE(grandchild > 0);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {  // killed at once; give the kernel a moment to reap it
    gone = process_gone(grandchild);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(gone);
}
