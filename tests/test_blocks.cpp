// Blocks (harness/block_variant.hpp): a preset layer measured as one problem on
// both backends against the composed double reference, the placements'
// grouping, the composition checked by hand against the parts' own
// references, every seed preset's layers forming blocks, and bad input.
#include "harness/block_layout.hpp"
#include "harness/errors.hpp"
#include "harness/preset.hpp"
#include "harness/problem.hpp"
#include "harness/tensors.hpp"
#include "harness/variant_abi.hpp"
#include "harness/workload.hpp"
#include "problem_runs.hpp"

#include <catch2/catch.hpp>

#include <archbench/sdk.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

using namespace archbench;
using namespace test_support;

namespace {

// The test presets (tests/data/block_presets) on the preset path while in scope.
struct TestPresets {
  TestPresets() { setenv("ARCHBENCH_PRESET_PATH", ARCHBENCH_TEST_DATA "/block_presets", 1); }
  ~TestPresets() { unsetenv("ARCHBENCH_PRESET_PATH"); }
};

const char* kBlocks[] = {"block/tiny-pre.dense",         "block/tiny-pre.moe",           "block/tiny-post.dense",
                         "block/tiny-sandwich.parallel", "block/tiny-recurrent.mamba",   "block/tiny-recurrent.deltanet",
                         "block/tiny-recurrent.bare"};

std::vector<std::string> block_grid() {
  std::vector<std::string> grid;
  for (const char* block : kBlocks)
    for (const char* shape : {"prefill.b2.s13", "decode.b2.s21"})
      for (const char* dtype : {"f32", "bf16"}) grid.push_back(std::string(block) + ":" + shape + "." + dtype);
  // Mixture of depths: a quarter of each sequence's tokens (4 of 13, 1 of 3), and all of them.
  for (const char* shape : {"prefill.b2.s13", "prefill.b3.s3", "prefill.b1.s40.cap0p5", "prefill.b2.s9.cap1"})
    for (const char* dtype : {"f32", "bf16"}) grid.push_back(std::string("block/tiny-depth.routed:") + shape + "." + dtype);
  return grid;
}

// A block problem's tensors filled from its seed, and its reference's outputs by name.
struct ReferenceRun {
  ab_problem_info info{};
  std::unique_ptr<TensorSet> tensors;
  std::map<std::string, std::vector<double>> outputs;
  sdk::Tensors named() const { return sdk::Tensors(tensors->bound(), tensors->count()); }
};
ReferenceRun reference_run(const std::string& text) {
  ReferenceRun run;
  const Problem block = parse_problem(text, in_tree());
  REQUIRE(describe_variant(*block.variant, block.raw(), run.info) == AB_OK);
  run.tensors = std::make_unique<TensorSet>(run.info);
  run.tensors->fill(block.seed);
  std::vector<std::vector<double>> outs;
  REQUIRE(reference_outputs(*block.variant, block.raw(), run.tensors->bound(), run.tensors->count(), outs) == AB_OK);
  size_t k = 0;
  for (uint32_t j = 0; j < run.info.tensor_count; ++j)
    if (run.info.tensors[j].role == AB_TENSOR_OUTPUT) run.outputs[run.info.tensors[j].name] = std::move(outs[k++]);
  return run;
}

}  // namespace

TEST_CASE("blocks: placements group parts into sublayers, and a broken pattern names the part", "[blocks]") {
  const std::vector<std::string> sandwich = {"norm", "attention", "norm", "norm", "moe", "ffn", "norm"};
  const auto s = group_sublayers("sandwich", sandwich);
  REQUIRE(s.size() == 2);
  CHECK(s[0].pre == 0);
  CHECK(s[0].bodies == std::vector<int>{1});
  CHECK(s[0].post == 2);
  CHECK(s[1].pre == 3);
  CHECK(s[1].bodies == std::vector<int>{4, 5});
  CHECK(s[1].post == 6);
  const auto post = group_sublayers("post", {"attention", "norm", "ffn", "norm"});
  REQUIRE(post.size() == 2);
  CHECK(post[1].pre == -1);
  CHECK(post[1].post == 3);
  CHECK(group_sublayers("none", {"ssm", "ffn"}).size() == 2);
  CHECK_THROWS_WITH(group_sublayers("pre", {"norm", "attention", "ffn", "norm"}),
                    Catch::Contains("part 4") && Catch::Contains("body is missing"));
  CHECK_THROWS_WITH(group_sublayers("pre", {"attention", "norm", "ffn"}), Catch::Contains("part 1"));
  CHECK_THROWS_WITH(group_sublayers("post", {"attention", "norm", "ffn"}), Catch::Contains("closing norm"));
  CHECK_THROWS_WITH(group_sublayers("none", {"norm", "ffn"}), Catch::Contains("part 1"));
}

TEST_CASE("blocks: every placement passes against the composed reference on the CPU", "[blocks]") {
  TestPresets presets;
  for (const std::string& text : block_grid()) require_passes(text);
  require_passes("block/tiny-pre.dense:prefill.b1.s40.f32", true);  // timed, re-checked on alternating inputs
}

#ifdef ARCHBENCH_HAVE_VULKAN
TEST_CASE("blocks: every placement passes against the composed reference on Vulkan", "[blocks][vulkan]") {
  TestPresets presets;
  for (const std::string& text : block_grid()) require_close_on_vulkan(text, false, kLayerBf16Bound);
  require_close_on_vulkan("block/tiny-sandwich.parallel:decode.b1.s30.f32", true);
}
#endif

// The sandwich block's reference recomputed here step by step from the parts'
// own references, written out for this one layout (not through the block's
// schedule): pre norm, attention, post norm, residual x 0.5; pre norm, the
// mixture and the dense FFN side by side, each x 1/sqrt(2), post norm,
// residual x 0.5. A wrong order, scale or binding in the block shows here.
TEST_CASE("blocks: the composed reference is the parts' references in the placement's order", "[blocks]") {
  TestPresets presets;
  const ReferenceRun run = reference_run("block/tiny-sandwich.parallel:prefill.b1.s9.f32");
  const sdk::Tensors named = run.named();

  // Runs one part's reference on `x` (its other tensors: the block's "<n>.<name>").
  auto part = [&](int n, const char* text, const std::vector<double>& x) {
    std::string why;
    const std::optional<Problem> placed =
        at_workload(parse_problem(text, in_tree()), Workload{Workload::Mode::prefill, 1, 9}, why);
    INFO(why);
    REQUIRE(placed);
    const Problem& p = *placed;
    ab_problem_info pi{};
    REQUIRE(describe_variant(*p.variant, p.raw(), pi) == AB_OK);
    std::vector<ab_tensor> bound(pi.tensor_count);
    std::vector<float> xf(x.begin(), x.end());
    int y_output = -1, outputs = 0;
    for (uint32_t j = 0; j < pi.tensor_count; ++j) {
      const ab_tensor_desc& d = pi.tensors[j];
      if (std::strcmp(d.name, "x") == 0) {
        bound[j] = {sizeof(ab_tensor), &d, xf.data(), xf.size() * 4};
      } else {
        const ab_tensor& t = named[(std::to_string(n) + "." + d.name).c_str()];
        bound[j] = {sizeof(ab_tensor), &d, t.data, t.bytes};
      }
      if (d.role == AB_TENSOR_OUTPUT && std::strcmp(d.name, "y") == 0) y_output = outputs;
      outputs += d.role == AB_TENSOR_OUTPUT;
    }
    std::vector<std::vector<double>> outs;
    REQUIRE(reference_outputs(*p.variant, p.raw(), bound.data(), uint32_t(bound.size()), outs) == AB_OK);
    REQUIRE(y_output >= 0);
    return outs[size_t(y_output)];
  };
  const std::vector<double> x = named.as_doubles("x");
  const double half = 0.5, branch = 0.7071067811865476;
  const auto round_f32 = [](std::vector<double> v) {
    for (double& e : v) e = double(float(e));
    return v;
  };
  std::vector<double> attn = part(3, "norm/rmsnorm:dm32", part(2, "attention/gqa:h4.kvh1.hd8.dm32.window.w16.cap30",
                                                             part(1, "norm/rmsnorm:dm32", x)));
  std::vector<double> h(x.size());
  for (size_t i = 0; i < x.size(); ++i) h[i] = x[i] + half * attn[i];
  const std::vector<double> n = part(4, "norm/rmsnorm:dm32", round_f32(h));
  const std::vector<double> moe = part(5, "moe/softmax-topk:dm32.e4.k2.eff16.act-geglu", n);
  const std::vector<double> ffn = part(6, "ffn/geglu:dm32.dff64", n);
  std::vector<double> sum(x.size());
  for (size_t i = 0; i < x.size(); ++i) sum[i] = branch * moe[i] + branch * ffn[i];
  const std::vector<double> post = part(7, "norm/rmsnorm:dm32", sum);
  std::vector<double> expected(x.size());
  for (size_t i = 0; i < x.size(); ++i) expected[i] = h[i] + half * post[i];

  const std::vector<double>& y = run.outputs.at("y");
  double worst = 0;
  for (size_t i = 0; i < expected.size(); ++i) worst = std::max(worst, std::abs(y[i] - expected[i]));
  CHECK(worst < 1e-12);  // the same parts on the same rounded inputs: equal but for the order of a few sums
}

TEST_CASE("blocks: every seed preset's layer types form blocks that describe", "[blocks][presets]") {
  for (const std::string& name : preset_names()) {
    const Preset preset = load_preset(name);
    for (const PresetLayer& layer : preset.layer_types) {
      const std::string text = block_variant_name(preset, layer) + ":decode.b1.s64.f32";
      INFO(text);
      Problem problem = parse_problem(text, in_tree());
      ab_problem_info info{};
      CHECK(describe_variant(*problem.variant, problem.raw(), info) == AB_OK);
      CHECK(info.tensor_count > 2);
      CHECK(info.flops > 0);
    }
  }
}

TEST_CASE("blocks: bad block names and presets are one line naming what was expected, exit 2", "[blocks][cli]") {
  TestPresets presets;
  auto r = run_cli("run --dry-run --problem 'block/no-such-preset.dense:decode.b1.s8'");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("no-such-preset"));
  r = run_cli("run --dry-run --problem 'block/tiny-pre.nothing:decode.b1.s8'");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("no layer 'nothing'") && Catch::Contains("dense, moe"));
  r = run_cli("run --dry-run --problem 'block/tiny-pre.moe:decode.b1.s8.div3'");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("not a multiple of 3"));
}

// Mixture of depths: the reference keeps exactly each sequence's top tokens by
// x . router (recomputed here), and a token it does not keep leaves the block
// as it came; a decode step is refused with the reason.
TEST_CASE("blocks: a mixture of depths processes only each sequence's top tokens by the router", "[blocks]") {
  TestPresets presets;
  const ReferenceRun run = reference_run("block/tiny-depth.routed:prefill.b2.s10.f32");
  const std::vector<double> x = run.named().as_doubles("x"), router = run.named().as_doubles("mod.router");
  const std::vector<double>& chosen = run.outputs.at("mod.chosen");
  const std::vector<double>& y = run.outputs.at("y");
  REQUIRE(chosen.size() == 2 * 3);  // ceil(0.25 x 10) per sequence
  for (int b = 0; b < 2; ++b) {
    std::vector<std::pair<double, int>> scored;
    for (int t = 0; t < 10; ++t) {
      double s = 0;
      for (int c = 0; c < 32; ++c) s += x[size_t((b * 10 + t) * 32 + c)] * router[size_t(c)];
      scored.push_back({-s, t});
    }
    std::sort(scored.begin(), scored.end());
    std::vector<double> top = {double(scored[0].second), double(scored[1].second), double(scored[2].second)};
    std::sort(top.begin(), top.end());
    CHECK(std::vector<double>(chosen.begin() + b * 3, chosen.begin() + b * 3 + 3) == top);
    for (int t = 0; t < 10; ++t) {
      const bool kept = std::find(top.begin(), top.end(), double(t)) != top.end();
      double moved = 0;
      for (int c = 0; c < 32; ++c) moved += std::abs(y[size_t((b * 10 + t) * 32 + c)] - x[size_t((b * 10 + t) * 32 + c)]);
      CHECK((moved > 1e-3) == kept);
    }
  }
  const auto decode = run_cpu("block/tiny-depth.routed:decode.b2.s9.f32");
  CHECK(decode.outcome == "unimplemented");
  CHECK_THAT(decode.reason, Catch::Contains("mixture of depths"));
}
