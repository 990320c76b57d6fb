// The moe plugin on the CPU: every router, activation and option against the
// double reference, on both expert paths (packed prefill blocks, weights read
// in place for decode), timed with the alternating input sets (routing changes
// between them), and the figures it reports.
#include "harness/executor.hpp"
#include "harness/fidelity.hpp"
#include "harness/problem.hpp"
#include "problem_runs.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace archbench;

namespace {

std::map<std::string, double> figures_of(const results::ResultRecord& r) {
  return {r.figures.begin(), r.figures.end()};
}

}  // namespace

TEST_CASE("moe: every router, activation and option matches the reference, prefill and decode", "[moe]") {
  const char* options[] = {
      "moe/softmax-topk:t37.dm64.e16.k4.eff24",
      "moe/softmax-topk:t37.dm64.e16.k4.eff24.rn0.act-geglu",
      "moe/softmax-topk:t37.dm64.e16.k4.eff24.act-swiglu-clamp.sh1.sff40",
      "moe/softmax-topk:t37.dm64.e16.k4.eff24.cf0p5.sk4",
      "moe/sigmoid-topk:t37.dm64.e16.k4.eff24.g4.tg2.rs2p5.sh1",
      "moe/sigmoid-topk:t37.dm64.e16.k4.eff24.rn0.sh2.sff16",
      "moe/sigmoid-topk:t40.dm66.e32.k8.eff18.g8.tg4.cf1",
      "moe/sigmoid-top1:t37.dm64.e16.eff24.sh1",
      "moe/sigmoid-top1:t37.dm64.e16.k2.eff24.act-geglu",
      // decode: few rows per expert, weights read in place
      "moe/softmax-topk:t1.dm64.e16.k4.eff24",
      "moe/sigmoid-topk:t3.dm64.e16.k4.eff24.g4.tg2.sh1",
      "moe/sigmoid-top1:t2.dm64.e16.eff24.act-swiglu-clamp",
  };
  for (const char* base : options)
    for (const char* dtype : {".f32", ".bf16"}) {
      const std::string text = std::string(base) + dtype;
      const auto r = test_support::run_cpu(text);
      INFO(text << " -> " << r.outcome << ": " << r.reason);
      CHECK(r.outcome == "passed");
      REQUIRE(r.nmse.has_value());
      CHECK(*r.nmse <= nmse_tolerance(r.dtype == "bf16" ? AB_DTYPE_BF16 : AB_DTYPE_F32, AB_BACKEND_CPU));
    }
}

TEST_CASE("moe: timing alternates input sets whose routings differ, and still passes", "[moe]") {
  for (const char* text : {"moe/softmax-topk:t64.dm64.e16.k4.eff32", "moe/sigmoid-top1:t2.dm64.e16.eff32"}) {
    const auto r = test_support::run_cpu(text, true);
    INFO(text << " -> " << r.outcome << ": " << r.reason);
    CHECK(r.outcome == "passed");
    CHECK(r.samples.size() == 2);
  }
}

TEST_CASE("moe: figures count parameters exactly and follow the router's inputs", "[moe]") {
  const auto plain = figures_of(test_support::run_cpu("moe/softmax-topk:t64.dm64.e16.k4.eff24.sh1.sff40"));
  const double router = 16 * 64, expert = 3 * 64 * 24, shared = 3 * 64 * 40;
  CHECK(plain.at("active_params") == router + 4 * expert + shared);
  CHECK(plain.at("total_params") == router + 16 * expert + shared);
  CHECK(plain.at("weight_bytes") == 4 * plain.at("total_params"));
  CHECK(plain.at("dropped_fraction") == 0);  // dropless
  CHECK(plain.at("load_imbalance") >= 1.0);
  CHECK(figures_of(test_support::run_cpu("moe/softmax-topk:t64.dm64.e16.k4.eff24.bf16")).at("weight_bytes") ==
        2 * (router + 16 * expert));

  // A skewed router concentrates tokens: more imbalance; a tight capacity drops some.
  const auto skewed = figures_of(test_support::run_cpu("moe/softmax-topk:t64.dm64.e16.k4.eff24.sk8"));
  CHECK(skewed.at("load_imbalance") > plain.at("load_imbalance"));
  const auto tight = figures_of(test_support::run_cpu("moe/softmax-topk:t64.dm64.e16.k4.eff24.sk8.cf1"));
  CHECK(tight.at("dropped_fraction") > 0.1);
  // No expert keeps more than its capacity (16 = 64 x 4 / 16): max / mean <= 1 / (1 - dropped).
  CHECK(tight.at("load_imbalance") <= 1.0 / (1.0 - tight.at("dropped_fraction")) + 1e-9);
}

TEST_CASE("moe: impossible routing settings are refused with the reason", "[moe]") {
  const std::pair<const char*, const char*> cases[] = {
      {"moe/softmax-topk:t8.dm64.e4.k8.eff24", "top_k must not exceed experts"},
      {"moe/sigmoid-topk:t8.dm64.e16.k4.eff24.g3", "multiple of groups"},
      {"moe/sigmoid-topk:t8.dm64.e16.k4.eff24.g4.tg8", "top_groups must not exceed groups"},
      {"moe/sigmoid-topk:t8.dm64.e16.k8.eff24.g4.tg1", "experts in top_groups groups"},
  };
  for (const auto& [text, why] : cases) {
    INFO(text);
    CHECK_THROWS_WITH(parse_problem(text, test_support::in_tree()), Catch::Contains(why));
  }
}
