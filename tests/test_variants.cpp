// Every in-tree variant, on every backend it declares, in f32 and bf16, passes
// its reference check — and gets timed through Google Benchmark.
#include "harness/executor.hpp"
#include "harness/fidelity.hpp"
#include "harness/problem.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace archbench;

namespace {

// Small but not trivial: odd sizes catch tail-handling bugs in vectorized code.
const char* small_shape(const std::string& kind, const std::string& name) {
  if (name == "attention/mla") return "s33.h4.nope16.rope8.vhd16.kvr32";  // every option: test_mla.cpp
  if (name == "attention/dsa") return "s33.h4.nope16.rope8.vhd16.kvr32.ih4.id16.ir8.k16";
  if (kind == "ffn") return "t17.dm96.dff200";
  if (name == "ssm/mamba") return "s33.di40.n5";  // every option: test_ssm.cpp
  if (name == "ssm/mamba2") return "s133.h3.hd12.n20";
  if (kind == "attention") return "s33.h8.hd16";  // every option: test_attention.cpp
  if (kind == "moe") return "t17.dm96.e8.k2.eff40";  // every option: test_moe.cpp
  return "t33.dm200";
}

}  // namespace

TEST_CASE("every variant matches its double-precision reference on the CPU backend", "[variants]") {
  Measurement check_only;
  check_only.perf = false;
  for (const ab_variant* variant : test_support::in_tree().variants()) {
    for (const char* dtype : {"f32", "bf16"}) {
      for (const char* extra : {"", ".res1"}) {
        if (*extra && std::string(variant->kind) != "norm") continue;
        const std::string text = std::string(variant->name) + ":" + small_shape(variant->kind, variant->name) + extra + "." + dtype;
        INFO(text);
        const Problem problem = parse_problem(text, test_support::in_tree());
        const auto record = execute_problem(problem, AB_BACKEND_CPU, test_support::cpu().host(), check_only, {});
        CHECK(record.outcome == "passed");
        CHECK(record.reason == "");
        REQUIRE(record.nmse.has_value());
        CHECK(*record.nmse <= nmse_tolerance(problem.dtype, AB_BACKEND_CPU));
        CHECK(*record.nmse > 0);  // bit-exact agreement with a double reference would be suspicious
      }
    }
  }
}

TEST_CASE("a passing problem is timed with repetitions and derived metrics", "[variants]") {
  Measurement timed;
  timed.repetitions = 3;
  timed.min_time_s = 0.01;
  timed.warmup_s = 0;
  const Problem problem = parse_problem("ffn/swiglu:t32.dm128.dff256.f32", test_support::in_tree());
  Peaks peaks;
  peaks.compute_gflops = 100.0;
  const auto r = execute_problem(problem, AB_BACKEND_CPU, test_support::cpu().host(), timed, peaks);
  REQUIRE(r.outcome == "passed");
  CHECK(r.samples.size() == 3);
  CHECK(r.repetitions == 3);
  CHECK(r.iterations >= 1);
  REQUIRE(r.median_s.has_value());
  CHECK(*r.median_s > 0);
  CHECK(*r.min_s <= *r.median_s);
  CHECK(r.flops == Approx(2.0 * 32 * 128 * 256 * 3));
  CHECK(*r.gflops == Approx(r.flops / *r.median_s / 1e9));
  CHECK(*r.tokens_per_s == Approx(32 / *r.median_s));
  CHECK(*r.frac_peak_compute == Approx(*r.gflops / 100.0));
}

TEST_CASE("a dtype or backend the variant does not declare is recorded as unimplemented", "[variants]") {
  Measurement check_only;
  check_only.perf = false;
  const Problem problem = parse_problem("norm/rmsnorm:t4.dm8.f16", test_support::in_tree());
  auto r = execute_problem(problem, AB_BACKEND_CPU, test_support::cpu().host(), check_only, {});
  CHECK(r.outcome == "unimplemented");
  CHECK_THAT(r.reason, Catch::Contains("no f16 support"));
  // The mock plugins declare the CPU backend only.
  static const Registry mocks = test_support::load_from({std::string(ARCHBENCH_MOCK_DIR) + "/misbehaving"});
  const Problem copy = parse_problem("mock/copy:n8", mocks);
  r = execute_problem(copy, AB_BACKEND_VULKAN, test_support::cpu().host(), check_only, {});
  CHECK(r.outcome == "unimplemented");
  CHECK_THAT(r.reason, Catch::Contains("declares no vulkan implementation"));
}
