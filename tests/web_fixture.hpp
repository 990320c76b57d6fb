// A small results database for the web tests, written through the Store (no
// plugin runs): two runs of three problems, samples, and strings a page must
// escape (a host and a design with markup in them).
#pragma once

#include <string>

#include "results/store.hpp"

namespace web_fixture {

inline archbench::results::ResultRecord result(const std::string& variant, const std::string& shape,
                                                const std::string& backend, double median_s) {
  archbench::results::ResultRecord r;
  r.variant = variant;
  r.kind = variant.substr(0, variant.find('/'));
  r.shape = shape;
  r.canonical = variant + ":" + shape;
  r.dtype = "f32";
  r.params_json = "{}";
  r.backend = backend;
  r.suite = "web-test";
  r.outcome = "passed";
  r.median_s = median_s;
  r.tokens_per_s = 512 / median_s;
  r.gflops = 1e-6 / median_s;
  r.repetitions = 3;
  r.samples = {median_s, median_s * 1.1, median_s * 0.95};
  return r;
}

// Runs 1 and 2; problem ids 1..3; the third design carries markup.
inline void write(const std::string& path) {
  auto store = archbench::results::Store::open_readwrite(path);
  for (int run = 1; run <= 2; ++run) {
    archbench::results::RunInfo info;
    info.host = "host<b>\"quoted\"</b>";
    info.git_sha = "abc123";
    info.command_line = "archbench run --suite web";
    const int64_t id = store.begin_run(info);
    store.record(id, result("norm/rmsnorm", "t16.dm256.f32", "cpu", 0.001 * (3 - run)));  // twice as fast in run 2
    store.record(id, result("norm/layernorm", "t16.dm256.f32", "cpu", 0.002));
    store.record(id, result("norm/x<script>alert(1)</script>", "t16.dm256.f32", "vulkan", 0.003));
    store.finish_run(id, "completed");
  }
}

}  // namespace web_fixture
