// The attention family on the CPU backend: every variant x mode x option x
// dtype against the double reference at small, odd sizes; the cost model; the
// KV-cache accounting; masks that really skip work; and the workload/design
// split the leaderboard ranks attention designs by.
#include "harness/executor.hpp"
#include "harness/fidelity.hpp"
#include "harness/problem.hpp"
#include "harness/tensors.hpp"
#include "results/leaderboard.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>

using namespace archbench;

namespace {

results::ResultRecord check(const std::string& text) {
  Measurement check_only;
  check_only.perf = false;
  const Problem problem = parse_problem(text, test_support::in_tree());
  return execute_problem(problem, AB_BACKEND_CPU, test_support::cpu().host(), check_only, {});
}

// The fastest repetition: a loaded machine slows some repetitions, never speeds one up.
double fastest_seconds(const std::string& text) {
  Measurement m;
  m.repetitions = 3;
  m.min_time_s = 0.05;
  m.warmup_s = 0;
  const Problem problem = parse_problem(text, test_support::in_tree());
  const auto r = execute_problem(problem, AB_BACKEND_CPU, test_support::cpu().host(), m, {});
  REQUIRE(r.outcome == "passed");
  return *r.min_s;
}

results::ResultRecord described(const std::string& text) {
  return describe_record(parse_problem(text, test_support::in_tree()), AB_BACKEND_CPU);
}

// The reference's output of a problem, and its tensors' named inputs, from the problem's seed.
struct ReferenceRun {
  std::vector<double> out;
  std::map<std::string, std::vector<double>> inputs;
};
ReferenceRun reference_of(const std::string& text) {
  const Problem problem = parse_problem(text, test_support::in_tree());
  ab_problem_info info;
  REQUIRE(describe_problem(problem, info));
  TensorSet tensors(info);
  tensors.fill(problem.seed);
  ReferenceRun run;
  std::vector<double*> outputs;
  for (uint32_t i = 0; i < tensors.count(); ++i) {
    const ab_tensor& t = tensors.bound()[i];
    std::vector<double> values(size_t(t.bytes / 4));
    REQUIRE(t.desc->dtype == AB_DTYPE_F32);
    for (size_t e = 0; e < values.size(); ++e) values[e] = static_cast<const float*>(t.data)[e];
    if (t.desc->role == AB_TENSOR_OUTPUT) run.out.resize(values.size());
    else run.inputs[t.desc->name] = std::move(values);
  }
  outputs.push_back(run.out.data());
  const ab_variant& variant = *problem.variant;
  const ab_problem raw = problem.raw();
  REQUIRE(variant.reference(variant.context, &raw, tensors.bound(), tensors.count(), outputs.data()) == AB_OK);
  return run;
}

}  // namespace

TEST_CASE("gated attention: the gate scales each output channel by sigmoid of its logit, and only gate1 prints", "[attention]") {
  // Tensors are filled per name, so gate0 and gate1 see the same q, k, v.
  for (const char* mode : {"prefill.s20", "decode.s20"}) {
    INFO(mode);
    const std::string base = std::string("attention/gqa:") + mode + ".h4.kvh2.hd16.f32";
    const ReferenceRun plain = reference_of(base);
    const ReferenceRun gated = reference_of(base + ".gate1");
    REQUIRE(gated.inputs.count("gate"));
    const std::vector<double>& logits = gated.inputs.at("gate");
    REQUIRE(logits.size() == plain.out.size());
    double changed = 0;
    for (size_t e = 0; e < plain.out.size(); ++e) {
      CHECK(gated.out[e] == Approx(plain.out[e] / (1.0 + std::exp(-logits[e]))).epsilon(1e-12).margin(1e-14));
      changed = std::max(changed, std::abs(gated.out[e] - plain.out[e]));
    }
    CHECK(changed > 0.01);
    // Logits in a realistic range: sigmoid neither saturated nor constant.
    CHECK(*std::min_element(logits.begin(), logits.end()) < -2);
    CHECK(*std::max_element(logits.begin(), logits.end()) > 2);
  }
  CHECK(parse_problem("attention/gqa:prefill.s20.h4.kvh2.hd16.gate0.f32", test_support::in_tree()).canonical() ==
        parse_problem("attention/gqa:prefill.s20.h4.kvh2.hd16.f32", test_support::in_tree()).canonical());
  CHECK_THAT(parse_problem("attention/mqa:prefill.s20.h4.hd16.dm32.gate1.f32", test_support::in_tree()).canonical(),
             Catch::Contains(".gate1"));
  // At layer level the gate is a weight (x W_g), not an input.
  const ReferenceRun layer = reference_of("attention/gqa:prefill.s9.h4.kvh2.hd16.dm32.gate1.f32");
  CHECK(layer.inputs.count("w_g") == 1);
  CHECK(layer.inputs.count("gate") == 0);
  CHECK(layer.inputs.at("w_g").size() == size_t(32 * 4 * 16));
}

TEST_CASE("every attention variant - mode - option - dtype matches the double reference", "[attention]") {
  for (const std::string& text : test_support::attention_option_grid()) {
    INFO(text);
    const auto r = check(text);
    CHECK(r.outcome == "passed");
    CHECK(r.reason == "");
    REQUIRE(r.nmse.has_value());
    CHECK(*r.nmse > 0);
  }
}

TEST_CASE("attention across block boundaries: many query and key blocks - head_dim 128", "[attention]") {
  // Several 256-key blocks and query blocks, a partial last block, GQA groups of 4.
  for (const char* text : {"attention/gqa:prefill.s700.h8.kvh2.hd128.f32",
                           "attention/gqa:prefill.s700.h8.kvh2.hd128.bf16",
                           "attention/gqa:prefill.s700.h8.kvh2.hd128.window.w100.f32",
                           "attention/gqa:decode.s3000.h8.kvh2.hd128.f32",
                           "attention/gqa:decode.s3000.h8.kvh2.hd128.chunk.w1000.bf16"}) {
    INFO(text);
    const auto r = check(text);
    CHECK(r.outcome == "passed");
    CHECK(r.reason == "");
  }
}

TEST_CASE("attention problems that break a cross-check are refused with the reason", "[attention]") {
  const std::pair<const char*, const char*> cases[] = {
      {"attention/gqa:h32.kvh5", "must divide heads"},
      {"attention/mha:window", "need span >= 1"},
      {"attention/mha:w64", "leave it 0 with mask=causal"},
      {"attention/mha:bias1", "needs d_model > 0"},
      {"attention/mha:alibi.theta5e5", "position=rope only"},
      {"attention/mha:hd7", "head_dim must be even"},
  };
  for (const auto& [text, why] : cases) {
    INFO(text);
    CHECK_THROWS_WITH(parse_problem(text, test_support::in_tree()), Catch::Contains(why));
  }
}

TEST_CASE("attention cost model: causal FLOPs - and the KV cache that GQA - MQA and windows save", "[attention]") {
  // Causal prefill: (seq * (seq + 1) / 2) pairs, each 2 * (hd + vhd) flops per head.
  const auto causal = described("attention/gqa:prefill.s4096.h32.kvh8.hd128.f32");
  CHECK(causal.flops == Approx(4096.0 * 4097 / 2 * 32 * 2 * 256));
  CHECK(causal.tokens == 4096);
  // Bytes per cached token per layer: kv_heads * (hd + vhd) * element size.
  CHECK(described("attention/mha:prefill.s4096.h32.hd128.f32").kv_cache_bytes_per_token == 32 * 256 * 4);
  CHECK(causal.kv_cache_bytes_per_token == 8 * 256 * 4);
  CHECK(described("attention/mqa:prefill.s4096.h32.hd128.f32").kv_cache_bytes_per_token == 256 * 4);
  CHECK(described("attention/gqa:prefill.s4096.h32.kvh8.hd128.bf16").kv_cache_bytes_per_token == 8 * 256 * 2);
  // A window keeps `span` positions whatever the context: per token it shrinks.
  CHECK(described("attention/gqa:decode.s131071.h32.kvh8.hd128.window.w1024.f32").kv_cache_bytes_per_token ==
        Approx(8 * 256 * 4 * 1024.0 / 131072));
  // Decode reads the whole visible cache: bytes dominated by it.
  const auto decode = described("attention/gqa:decode.s131072.h32.kvh8.hd128.f32");
  CHECK(decode.bytes > 131072.0 * 8 * 256 * 4);
  CHECK(decode.bytes < 1.01 * 131073.0 * 8 * 256 * 4);
}

TEST_CASE("a sliding window skips the key blocks it masks: cost falls with the window", "[.timing][attention]") {
  const double full = fastest_seconds("attention/mha:prefill.s4096.h2.hd64.f32");
  const double window = fastest_seconds("attention/mha:prefill.s4096.h2.hd64.window.w256.f32");
  INFO("full causal " << full * 1e3 << " ms, window 256: " << window * 1e3 << " ms");
  // 8.4M visible pairs vs 1.0M: the window must be far cheaper, not just masked.
  CHECK(full / window > 3.0);
}

TEST_CASE("attention designs share a workload: MHA - GQA - MQA and masks rank side by side", "[attention]") {
  const Problem mha = parse_problem("attention/mha:prefill.s512.h8.hd64", test_support::in_tree());
  const Problem gqa = parse_problem("attention/gqa:prefill.s512.h8.kvh2.hd64.window.w128", test_support::in_tree());
  const Problem mqa = parse_problem("attention/mqa:prefill.s512.h8.hd64.sink1", test_support::in_tree());
  CHECK(mha.workload() == "prefill.b1.s512.h8.hd64.vhd0.dm0.f32");
  CHECK(gqa.workload() == mha.workload());
  CHECK(mqa.workload() == mha.workload());
  CHECK(gqa.design() == "attention/gqa:kvh2.rope.theta1e+04.rf1.window.w128.sink0.cap0.qkn-none.bias0");
  // Variants without design parameters: the workload is the whole shape.
  const Problem ffn = parse_problem("ffn/swiglu:t32.dm128.dff256", test_support::in_tree());
  CHECK(ffn.workload() == ffn.canonical().substr(ffn.canonical().find(':') + 1));
  CHECK(ffn.design() == "ffn/swiglu");

  test_support::TempDir dir;
  results::Store store = results::Store::open_readwrite(dir.file("board.db"));
  const int64_t run = store.begin_run({});
  for (const Problem* p : {&mha, &gqa, &mqa}) {
    Measurement m;
    m.repetitions = 2;
    m.min_time_s = 0.01;
    m.warmup_s = 0;
    auto record = execute_problem(*p, AB_BACKEND_CPU, test_support::cpu().host(), m, {});
    REQUIRE(record.outcome == "passed");
    store.record(run, record);
  }
  results::LeaderboardOptions by_cache;
  by_cache.kind = "attention";
  by_cache.metric = "kv_cache_bytes_per_token";
  by_cache.shape = "prefill.b1.s512.*";
  const auto board = results::leaderboard(store, by_cache);
  REQUIRE(board.rows.size() == 3);
  // One group, ranked by cache bytes per token: GQA with 2 K/V heads and a
  // 128-token window (256 B), MQA (512 B), MHA (4 KiB).
  const size_t design = size_t(std::find(board.columns.begin(), board.columns.end(), "design") - board.columns.begin());
  REQUIRE(design < board.columns.size());
  CHECK(std::get<std::string>(board.rows[0][design]).rfind("attention/gqa", 0) == 0);
  CHECK(std::get<std::string>(board.rows[1][design]).rfind("attention/mqa", 0) == 0);
  CHECK(std::get<std::string>(board.rows[2][design]).rfind("attention/mha", 0) == 0);
  for (const auto& row : board.rows) CHECK(std::get<std::string>(row[2]) == mha.workload());
}
