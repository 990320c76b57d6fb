// Mock: a copy that takes a steady time per execute (a sleep of `us` microseconds),
// plus ARCHBENCH_MOCK_SLOWDOWN_US more when that variable is set at create time:
// the same problem made deliberately slower, for the tests of compare and
// regressions (a slowdown they must call significant).
#include "mock_variant.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>

struct Paced : mock::CopyVariant {
  Paced() : CopyVariant("mock/paced") { schema().add_int("us", "us", 300, 1, 1000000, "sleep per execute, microseconds"); }
  void prepare(const archbench::sdk::Problem& problem) const override {
    const char* extra = std::getenv("ARCHBENCH_MOCK_SLOWDOWN_US");
    pause_us_ = problem.integer("us") + (extra ? std::atoll(extra) : 0);
  }
  void run(Copy& c) const override {
    CopyVariant::run(c);
    std::this_thread::sleep_for(std::chrono::microseconds(pause_us_));
  }
  mutable long long pause_us_ = 0;  // one instance per measuring process
};

ARCHBENCH_PLUGIN("paced", "0.0.1", Paced)
