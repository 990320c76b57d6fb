// Whole-model estimates (harness/workload.hpp, harness/model_estimate.hpp,
// `archbench model`, `leaderboard --models`): parts are placed at a workload by
// their parameters' roles, too-big parts are reduced and scaled, the estimate
// adds up what was measured and names what it left out, and the command stores
// and ranks the estimates.
#include "harness/errors.hpp"
#include "harness/model_estimate.hpp"
#include "harness/preset.hpp"
#include "harness/stack_timing.hpp"
#include "harness/workload.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace archbench;
using test_support::run_cli;

namespace {

Problem parsed(const std::string& text) { return parse_problem(text, test_support::in_tree()); }

// A small two-layer-type model: every part measured in seconds here.
const char* kTinyPreset = R"(title = "Tiny"
source = "tests"
[model]
layers = 4
d_model = 256
vocab = 1000
[[layer]]
name = "dense"
at = "0-2"
placement = "pre"
parts = ["norm/rmsnorm:dm256", "attention/gqa:h4.kvh2.hd64.dm256", "norm/rmsnorm:dm256", "ffn/swiglu:dm256.dff512"]
[[layer]]
name = "moe"
at = "rest"
placement = "pre"
parts = ["norm/rmsnorm:dm256", "attention/gqa:h4.kvh2.hd64.dm256.mask-window.w64", "norm/rmsnorm:dm256", "moe/softmax-topk:dm256.e8.k2.eff128"]
)";

std::string write(const test_support::TempDir& dir, const std::string& name, const std::string& body) {
  std::ofstream(dir.file(name)) << body;
  return dir.file(name);
}

}  // namespace

TEST_CASE("parts are placed at a workload through their parameters' roles", "[model]") {
  std::string why;
  const Workload prefill{Workload::Mode::prefill, 2, 300}, decode{Workload::Mode::decode, 2, 5000};
  const auto attention = at_workload(parsed("attention/gqa:h4.kvh2.hd64"), prefill, why);
  REQUIRE(attention);
  CHECK(attention->workload().find("prefill.b2.s300.") == 0);
  const auto step = at_workload(parsed("attention/gqa:h4.kvh2.hd64"), decode, why);
  REQUIRE(step);
  CHECK(step->workload().find("decode.b2.s5000.") == 0);
  // Position-free kinds take the call's token rows: the prompt, or one per sequence.
  const auto ffn_prefill = at_workload(parsed("ffn/swiglu:dm256.dff512"), prefill, why);
  const auto ffn_decode = at_workload(parsed("ffn/swiglu:dm256.dff512"), decode, why);
  REQUIRE(ffn_prefill);
  REQUIRE(ffn_decode);
  CHECK(ffn_prefill->canonical().find(":t600.") != std::string::npos);
  CHECK(ffn_decode->canonical().find(":t2.") != std::string::npos);
  // A workload outside the schema is refused with the reason, not clamped.
  CHECK_FALSE(at_workload(parsed("attention/gqa:h4.kvh2.hd64"), Workload{Workload::Mode::decode, 1, int64_t(1) << 22}, why));
  CHECK(why.find("seq") != std::string::npos);
}

TEST_CASE("what one sequence holds at a problem's context: a KV cache or a fixed state", "[model]") {
  // GQA at 1024 tokens: the cache of those and the new token, K and V of 2 heads x 64, f32.
  CHECK(sequence_bytes(parsed("attention/gqa:prefill.b4.s1024.h4.kvh2.hd64")) == Approx(1025.0 * 2 * 2 * 64 * 4));
  // A sliding window holds its window, whatever the context.
  CHECK(*sequence_bytes(parsed("attention/gqa:decode.b1.s8192.h4.kvh2.hd64.mask-window.w256")) <
        *sequence_bytes(parsed("attention/gqa:decode.b1.s1024.h4.kvh2.hd64")));
  // GLA's state is heads x dk x dv f32 at any context.
  CHECK(sequence_bytes(parsed("mixer/gla:prefill.b2.s1024.h4.hd64")) == Approx(4.0 * 64 * 64 * 4));
  CHECK(sequence_bytes(parsed("mixer/gla:decode.b1.s131072.h4.hd64")) == Approx(4.0 * 64 * 64 * 4));
  // Position-free kinds hold nothing between tokens: no figure rather than 0.
  CHECK_FALSE(sequence_bytes(parsed("ffn/swiglu:dm256.dff512")));
}

TEST_CASE("a part too big for memory is measured with its reducible counts divided", "[model]") {
  const Problem moe = parsed("moe/softmax-topk:t4.dm512.e64.k2.eff256");
  const ParameterCount full = count_parameters(moe);
  REQUIRE(full.failure.empty());
  const Reduced fits = reduce_to_fit(moe, full.tensor_bytes * 2);
  REQUIRE(fits.problem);
  CHECK(fits.factor == 1);
  const Reduced reduced = reduce_to_fit(moe, full.tensor_bytes / 5);
  REQUIRE(reduced.problem);
  CHECK(reduced.factor == 8);  // 64 experts / 8 = 8: the first whole division under a fifth
  CHECK(reduced.problem->canonical().find(".e8.") != std::string::npos);
  CHECK(count_parameters(*reduced.problem).tensor_bytes <= full.tensor_bytes / 5);
  // Attention has no reducible count: it says so rather than measuring something else.
  const Reduced refused = reduce_to_fit(parsed("attention/gqa:h4.kvh2.hd64"), 1000);
  CHECK_FALSE(refused.problem);
  CHECK(refused.why.find("no REDUCIBLE parameter") != std::string::npos);
}

TEST_CASE("an estimate adds up its measured parts and names what it leaves out", "[model]") {
  test_support::TempDir dir;
  const Preset preset = load_preset(write(dir, "tiny.toml", kTinyPreset));
  ModelWorkload workload;
  workload.batch = 2;
  workload.prefill = 64;
  workload.context = 1024;
  const ModelPlan plan = plan_model(preset, workload, test_support::in_tree(), 4e9);
  REQUIRE(plan.parts.size() == 20);  // 2 layer types x (4 parts + the whole block) x (prefill, decode)
  std::map<std::string, MeasuredPart> measured;
  // Each part 1 ms; each block, its 4 parts and residual additions as one problem, 5 ms.
  for (const PlannedPart& p : plan.parts) {
    REQUIRE(p.problem);
    CHECK(p.block == (p.part.rfind("block/tiny.", 0) == 0));
    measured[p.problem->canonical()] = MeasuredPart{"passed", p.block ? 5e-3 : 1e-3, ""};
  }
  Peaks peaks;
  peaks.compute_gflops = 100;
  peaks.bandwidth_gbps = 10;
  const results::ModelEstimateRecord e = compose_estimate(plan, AB_BACKEND_CPU, measured, peaks);
  CHECK(e.complete);
  // 4 layers x 4 parts x 1 ms, plus the modelled embedding and LM head.
  const double d = 256, vocab = 1000, element = 4;
  const double head = std::max(2 * 2 * d * vocab / 100e9, (d * vocab * element + 2 * vocab * 4) / 10e9);
  REQUIRE(e.prefill_s);
  REQUIRE(e.decode_s);
  CHECK(*e.prefill_s == Approx(16e-3 + 2 * 2 * 64 * d * element / 10e9 + head));
  CHECK(*e.decode_s == Approx(16e-3 + 2 * 2 * d * element / 10e9 + head));
  CHECK(*e.decode_tokens_per_s == Approx(2 / *e.decode_s));
  CHECK(*e.prefill_tokens_per_s == Approx(2 * 64 / *e.prefill_s));
  // The decode step holds each attention layer's cache: 3 causal layers of 1024
  // positions and the new token's, 1 windowed of 64, 2 sequences, K and V of 2
  // heads x 64, f32.
  CHECK(e.cache_bytes == Approx(2.0 * 2 * 2 * 64 * 4 * (3 * 1025 + 64)));
  CHECK(e.weight_bytes == Approx(e.total_params * 4));
  // The blocks are noted beside the parts' sum, never added to it: 4 layers x 5 ms.
  CHECK(e.notes.find("layers as whole blocks, prefill: 20 ms, x1.25 the sum of their parts") != std::string::npos);
  CHECK(e.notes.find("layers as whole blocks, decode: 20 ms, x1.25 the sum of their parts") != std::string::npos);

  // A failed part is left out, named, and the estimate marked incomplete.
  const std::string ffn_decode = plan.parts[13].problem->canonical();
  REQUIRE(ffn_decode.rfind("ffn/swiglu", 0) == 0);
  measured[ffn_decode] = MeasuredPart{"failed", std::nullopt, "NMSE too high"};
  const results::ModelEstimateRecord partial = compose_estimate(plan, AB_BACKEND_CPU, measured, peaks);
  CHECK_FALSE(partial.complete);
  CHECK(partial.notes.find("left out: ffn/swiglu:dm256.dff512 decode (failed: NMSE too high)") != std::string::npos);
  CHECK(partial.notes.find("layers as whole blocks, decode") == std::string::npos);  // no sum to set it beside
  // A block that is not measured leaves a note; the estimate is complete without it.
  std::map<std::string, MeasuredPart> no_block = measured;
  no_block[ffn_decode] = MeasuredPart{"passed", 1e-3, ""};
  no_block[plan.parts[14].problem->canonical()] = MeasuredPart{"unimplemented", std::nullopt, "too big"};
  const results::ModelEstimateRecord without_block = compose_estimate(plan, AB_BACKEND_CPU, no_block, peaks);
  CHECK(without_block.complete);
  CHECK(*without_block.decode_s == Approx(*e.decode_s));
  CHECK(without_block.notes.find("block not measured: block/tiny.dense decode (unimplemented: too big)") != std::string::npos);
  CHECK(*partial.decode_s == Approx(*e.decode_s - 3e-3));
  // Without a calibration nothing is modelled, and the estimate says so.
  const results::ModelEstimateRecord uncalibrated = compose_estimate(plan, AB_BACKEND_CPU, measured, Peaks{});
  CHECK_FALSE(uncalibrated.complete);
  CHECK(uncalibrated.notes.find("no calibration") != std::string::npos);
  // --prefill 0: a decode-only estimate plans and reports no prefill.
  workload.prefill = 0;
  const ModelPlan decode_only = plan_model(preset, workload, test_support::in_tree(), 4e9);
  CHECK(decode_only.parts.size() == 10);
  const results::ModelEstimateRecord d_only = compose_estimate(decode_only, AB_BACKEND_CPU, measured, peaks);
  CHECK_FALSE(d_only.prefill_s);
  CHECK_FALSE(d_only.prefill_tokens_per_s);
  REQUIRE(d_only.decode_s);
  CHECK(*d_only.decode_s == Approx(*partial.decode_s));
}

TEST_CASE("a reduced part's time is scaled by the roofline cost of the full part", "[model]") {
  test_support::TempDir dir;
  const Preset preset = load_preset(write(dir, "moe.toml", std::string(kTinyPreset)));
  ModelWorkload workload;
  workload.prefill = 64;
  const ParameterCount full = count_parameters(parsed("moe/softmax-topk:t64.dm256.e8.k2.eff128"));
  const ModelPlan plan = plan_model(preset, workload, test_support::in_tree(), full.tensor_bytes / 3);
  const PlannedPart* moe = nullptr;
  for (const PlannedPart& p : plan.parts)
    if (p.part.rfind("moe/", 0) == 0 && p.mode == Workload::Mode::prefill) moe = &p;
  REQUIRE(moe);
  REQUIRE(moe->problem);
  CHECK(moe->reduction == 4);
  std::map<std::string, MeasuredPart> measured{{moe->problem->canonical(), MeasuredPart{"passed", 2e-3, ""}}};
  Peaks peaks;
  peaks.compute_gflops = 100;
  peaks.bandwidth_gbps = 10;
  const results::ModelEstimateRecord e = compose_estimate(plan, AB_BACKEND_CPU, measured, peaks);
  const results::ModelEstimatePart* part = nullptr;
  for (const auto& p : e.parts)
    if (p.measured == moe->problem->canonical()) part = &p;
  REQUIRE(part);
  const auto cost = [&](const ParameterCount& c) { return std::max(c.flops / 100e9, c.bytes / 10e9); };
  CHECK(part->scale == Approx(cost(moe->full) / cost(moe->measured)));
  CHECK(part->scale > 1);
  CHECK(*part->seconds == Approx(2e-3 * part->scale));
  CHECK(part->note.find("/ 4") != std::string::npos);
}

TEST_CASE("the end-to-end check needs the whole model at full width", "[model]") {
  test_support::TempDir dir;
  const Preset preset = load_preset(write(dir, "moe.toml", R"(title = "M"
source = "tests"
[model]
layers = 2
d_model = 256
vocab = 100
[[layer]]
name = "moe"
at = "all"
placement = "pre"
parts = ["norm/rmsnorm:dm256", "moe/softmax-topk:dm256.e8.k2.eff128"]
)"));
  const ParameterCount step = count_parameters(parsed("moe/softmax-topk:t1.dm256.e8.k2.eff128"));
  const ModelPlan plan = plan_model(preset, ModelWorkload{}, test_support::in_tree(), step.tensor_bytes / 3);
  const StackTiming stack = time_decode_stack(plan, AB_BACKEND_CPU, test_support::cpu().host(), 1, 60);
  CHECK_FALSE(stack.decode_s);
  CHECK(stack.failure == "moe/softmax-topk:dm256.e8.k2.eff128 does not fit this machine at full width");
}

TEST_CASE("archbench model measures, stores and ranks whole-model estimates", "[model][cli]") {
  test_support::TempDir dir;
  const std::string tiny = write(dir, "tiny.toml", kTinyPreset);
  // The same with a 4x wider FFN: more weights, so it ranks second by memory.
  std::string wider = kTinyPreset;
  for (size_t at = wider.find("dff512"); at != std::string::npos; at = wider.find("dff512", at)) wider.replace(at, 6, "dff2048");
  const std::string tiny2 = write(dir, "tiny2.toml", wider);
  const std::string db = dir.file("m.db");
  const auto r = run_cli("model " + tiny + " " + tiny2 + " --quick --prefill 32 --context 256 --rounds 1 --repetitions 2 --parts --check-stack --db " + db);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("whole-model estimates") != std::string::npos);
  CHECK(r.output.find("tiny") != std::string::npos);
  // The end-to-end check ran every layer as its type's block: 4 layers, 4 blocks.
  CHECK(r.output.find("stack check: the 4 blocks of all 4 layers in sequence take") != std::string::npos);
  const auto stack = run_cli("query \"SELECT min(stack_decode_s > 0), min(stack_ratio > 0) FROM model_estimates\" --format csv --db " + db);
  CHECK(stack.output.find("\n1,1") != std::string::npos);
  const auto board = run_cli("leaderboard --models --format csv --db " + db);
  INFO(board.output);
  REQUIRE(board.exit_code == 0);
  CHECK(board.output.find("rank,model,backend,dtype,batch,prefill,context") == 0);
  CHECK(board.output.find(",tiny,cpu,f32,1,32,256,") != std::string::npos);
  CHECK(board.output.find(",tiny2,cpu,f32,1,32,256,") != std::string::npos);
  // 2 presets x 2 layer types x (4 parts + the block) x (prefill, decode), all measured.
  const auto parts = run_cli("query \"SELECT count(*) FROM model_estimate_parts WHERE seconds > 0\" --format csv --db " + db);
  CHECK(parts.output.find("\n40") != std::string::npos);
  CHECK(r.output.find("layers as whole blocks, decode:") != std::string::npos);
  // Bad input: one line naming the flag or file, exit 2, nothing stored.
  CHECK(run_cli("model " + tiny + " --prefill -1 --db " + db).exit_code == 2);
  CHECK(run_cli("model " + tiny + " --context 0 --db " + db).exit_code == 2);
  CHECK(run_cli("model " + tiny + " --dtype f16 --db " + db).exit_code == 2);
  const auto unknown = run_cli("model no-such-preset --db " + db);
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.output.find("no-such-preset") != std::string::npos);
  CHECK(run_cli("leaderboard --models --metric gflops --db " + db).exit_code == 2);
  CHECK(run_cli("model --all smollm3-3b --dry-run").exit_code == 2);
  const auto every = run_cli("model --all --dry-run --quick");
  CHECK(every.exit_code == 0);
  CHECK(every.output.find("deepseek-v3 (DeepSeek-V3): weights") != std::string::npos);
  CHECK(every.output.find("smollm3-3b (SmolLM3 3B): weights") != std::string::npos);
  // Memory ranks smallest first: the tiny model of this database is first.
  const auto memory = run_cli("leaderboard --models --metric memory --format csv --db " + db);
  CHECK(memory.output.find("\n1,tiny,cpu,f32,1,32,256,") != std::string::npos);
  CHECK(memory.output.find("\n2,tiny2,cpu,f32,1,32,256,") != std::string::npos);
  CHECK(run_cli("leaderboard --models --task needle --db " + db).exit_code == 2);
  const auto runs = run_cli("query \"SELECT count(*) FROM model_estimates\" --format csv --db " + db);
  CHECK(runs.output.find("\n2") != std::string::npos);
  // A merge carries the estimates with their run, once however often it is repeated.
  const std::string merged = dir.file("merged.db");
  REQUIRE(run_cli("merge " + merged + " " + db).exit_code == 0);
  REQUIRE(run_cli("merge " + merged + " " + db).exit_code == 0);
  const auto copied = run_cli("query \"SELECT count(DISTINCT e.id), count(*) FROM model_estimates e JOIN model_estimate_parts p ON p.estimate_id = e.id\" --format csv --db " + merged);
  CHECK(copied.output.find("\n2,40") != std::string::npos);
}

TEST_CASE("a part whose variant has no workload roles is left out and named", "[model][cli]") {
  test_support::TempDir dir;
  const std::string preset = write(dir, "mock.toml", std::string(R"(title = "M"
source = "tests"
[model]
layers = 2
d_model = 64
vocab = 100
[[layer]]
name = "all"
at = "all"
placement = "pre"
parts = ["norm/rmsnorm:dm64", "mock/copy:n64"]
)"));
  const auto r = run_cli("model " + preset + " --dry-run --plugin-dir " + std::string(ARCHBENCH_MOCK_DIR) + "/misbehaving");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("left out: mock/copy declares no workload roles") != std::string::npos);
  CHECK(r.output.find("norm/rmsnorm:t512.dm64") != std::string::npos);  // 512-token prefill, one row at decode
  CHECK(r.output.find("norm/rmsnorm:t1.dm64") != std::string::npos);
}
