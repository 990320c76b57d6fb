// Mock: one variant per way a plugin can go wrong, so tests can prove the
// harness catches each one (and that a correct one passes).
#include "mock_variant.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <csignal>
#include <thread>
#include <vector>

using mock::CopyVariant;

struct Correct : CopyVariant {
  Correct() : CopyVariant("mock/copy") {}
};
struct Wrong : CopyVariant {  // off by 1% everywhere
  Wrong() : CopyVariant("mock/wrong") {}
  void run(Copy& c) const override {
    for (int64_t i = 0; i < c.n; ++i) c.y[i] = c.x[i] * 1.01f;
  }
};
struct Lazy : CopyVariant {  // never writes its output
  Lazy() : CopyVariant("mock/lazy") {}
  void run(Copy&) const override {}
};
struct Overrun : CopyVariant {  // correct output, plus one element past the end
  Overrun() : CopyVariant("mock/overrun") {}
  void run(Copy& c) const override {
    std::memcpy(c.y, c.x, size_t(c.n) * 4);
    c.y[c.n] = 7.0f;
  }
};
struct Once : CopyVariant {  // computes on the first call only, then skips the work
  Once() : CopyVariant("mock/once") {}
  void run(Copy& c) const override {
    if (c.calls++ == 0) std::memcpy(c.y, c.x, size_t(c.n) * 4);
  }
};
struct Crash : CopyVariant {
  Crash() : CopyVariant("mock/crash") {}
  void run(Copy&) const override { std::raise(SIGSEGV); }
};
struct Hang : CopyVariant {
  Hang() : CopyVariant("mock/hang") {}
  void run(Copy&) const override {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
};
struct Patcher : CopyVariant {  // computes once, then only rewrites what it finds poisoned
  Patcher() : CopyVariant("mock/patcher") {}
  void run(Copy& c) const override {
    if (c.calls++ == 0) {
      std::memcpy(c.y, c.x, size_t(c.n) * 4);
      cache_.assign(c.y, c.y + c.n);
      return;
    }
    for (int64_t i = 0; i < c.n; ++i)
      if (std::isnan(c.y[i])) c.y[i] = cache_[size_t(i)];
  }
  mutable std::vector<float> cache_;
};
struct LateOverrun : CopyVariant {  // correct, but writes past the end from its third call on
  LateOverrun() : CopyVariant("mock/late-overrun") {}
  void run(Copy& c) const override {
    std::memcpy(c.y, c.x, size_t(c.n) * 4);
    if (c.calls++ >= 2) c.y[c.n + 1] = 7.0f;
  }
};
struct ExitZero : CopyVariant {  // ends the measuring process as if all went well
  ExitZero() : CopyVariant("mock/exit0") {}
  void run(Copy&) const override { std::exit(0); }
};
struct CloseAndHang : CopyVariant {  // closes every descriptor (the result pipe too), then hangs
  CloseAndHang() : CopyVariant("mock/close-hang") {}
  void run(Copy&) const override {
    for (int fd = 3; fd < 1024; ++fd) close(fd);
    for (;;) pause();
  }
};
struct NotHere : CopyVariant {  // valid problem, no implementation on this backend
  NotHere() : CopyVariant("mock/unimplemented") {}
  void prepare(const archbench::sdk::Problem&) const override {
    throw archbench::sdk::Unimplemented("mock has no implementation here");
  }
};

ARCHBENCH_PLUGIN("misbehaving", "0.0.1", Correct, Wrong, Lazy, Overrun, Once, Crash, Hang, NotHere, Patcher,
                 LateOverrun, ExitZero, CloseAndHang)
