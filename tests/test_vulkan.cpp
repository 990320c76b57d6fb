// The Vulkan backend on whatever device the machine has (lavapipe in CI), with
// the Khronos validation layer on: the runner's checks (unwritten outputs,
// out-of-bounds writes, validation errors), every in-tree variant against its
// reference over its options, and the quick suite on both backends.
#include "harness/executor.hpp"
#include "harness/problem.hpp"
#include "problem_runs.hpp"
#include "results/store.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace archbench;

namespace {

const Registry& vulkan_mocks() {
  static Registry registry = test_support::load_from({std::string(ARCHBENCH_MOCK_DIR) + "/vulkan_misbehaving"});
  return registry;
}

Measurement briefly(bool perf) {
  Measurement m;
  m.perf = perf;
  m.repetitions = 2;
  m.min_time_s = 0.001;
  m.warmup_s = 0;
  return m;
}

results::ResultRecord on_vulkan(const std::string& text, const Registry& registry, bool perf = false) {
  return execute_problem(parse_problem(text, registry), AB_BACKEND_VULKAN, test_support::cpu().host(),
                         briefly(perf), {});
}

}  // namespace

TEST_CASE("vulkan: a correct recorded copy passes and is timed on the GPU clock", "[vulkan]") {
  const auto r = on_vulkan("mock/vk-copy:n4096", vulkan_mocks(), true);
  INFO(r.reason);
  CHECK(r.outcome == "passed");
  CHECK(*r.nmse == 0);
  CHECK(r.samples.size() == 2);
  CHECK(*r.median_s > 0);
}

TEST_CASE("vulkan: an instance that records nothing leaves poisoned outputs and fails", "[vulkan]") {
  const auto r = on_vulkan("mock/vk-lazy:n4096", vulkan_mocks());
  CHECK(r.outcome == "failed");
  CHECK_THAT(r.reason, Catch::Contains("NaN"));
}

TEST_CASE("vulkan: writing past a tensor's end changes its device guard bytes and fails", "[vulkan]") {
  const auto r = on_vulkan("mock/vk-overrun:n4096", vulkan_mocks());
  CHECK(r.outcome == "failed");
  CHECK_THAT(r.reason, Catch::Contains("wrote outside tensor 'y'"));
}

TEST_CASE("vulkan: a validation error fails the problem that caused it", "[vulkan]") {
  const auto r = on_vulkan("mock/vk-invalid:n4096", vulkan_mocks());
  CHECK(r.outcome == "failed");
  CHECK_THAT(r.reason, Catch::Contains("Vulkan validation error"));
}

TEST_CASE("vulkan: an answer computed once is caught while timing, by the alternating input sets", "[vulkan]") {
  // Right on the inputs it was created with and writes every element (canaries
  // pass), so only the second input set, switched in on the device between
  // timed replays and sampled after each, tells it apart from the work.
  const auto checked_only = on_vulkan("mock/vk-stale:n4096", vulkan_mocks());
  CHECK(checked_only.outcome == "passed");
  const auto timed = on_vulkan("mock/vk-stale:n4096", vulkan_mocks(), true);
  CHECK(timed.outcome == "failed");
  CHECK_THAT(timed.reason, Catch::StartsWith("while timing: output 'y' does not follow the inputs it was run on"));
}

TEST_CASE("vulkan: norms match the reference for every option, dtype and odd shapes", "[vulkan]") {
  for (const char* variant : {"norm/rmsnorm", "norm/layernorm"})
    for (const char* dtype : {"f32", "bf16"})
      for (const char* shape : {"t1.dm2", "t3.dm34", "t5.dm1000", "t2.dm4098"})
        for (const char* residual : {"res0", "res1"}) {
          const std::string text = std::string(variant) + ":" + shape + "." + residual + "." + dtype;
          const auto r = on_vulkan(text, test_support::in_tree());
          INFO(text << " -> " << r.outcome << " " << r.reason);
          CHECK(r.outcome == "passed");
        }
  // bf16 reads pairs: an odd width is recorded as unimplemented, with the reason.
  const auto odd = on_vulkan("norm/rmsnorm:t2.dm33.bf16", test_support::in_tree());
  CHECK(odd.outcome == "unimplemented");
  CHECK_THAT(odd.reason, Catch::Contains("d_model must be even"));
}

TEST_CASE("vulkan: devices and list backends describe the device", "[vulkan]") {
  const auto devices = test_support::run_cli("devices");
  CHECK(devices.exit_code == 0);
  CHECK_THAT(devices.output, Catch::Contains("vulkan 0: "));
  CHECK_THAT(devices.output, Catch::Contains("subgroup "));
  const auto backends = test_support::run_cli("list backends");
  CHECK_THAT(backends.output, Catch::Contains("vulkan  available"));
}

TEST_CASE("vulkan: every FFN variant matches the reference at odd shapes in f32 and even ones in bf16", "[vulkan]") {
  // Shapes that cut through the matmul's tiles (8 rows x 16 gated / 24 plain columns; bf16 plain 32)
  // and its 4-wide K steps.
  for (const char* variant : {"ffn/swiglu", "ffn/geglu", "ffn/gelu-mlp"}) {
    for (const char* shape : {"t1.dm1.dff1", "t3.dm37.dff29", "t17.dm64.dff100", "t9.dm130.dff7"}) {
      const std::string text = std::string(variant) + ":" + shape + ".f32";
      const auto r = on_vulkan(text, test_support::in_tree());
      INFO(text << " -> " << r.outcome << " " << r.reason);
      CHECK(r.outcome == "passed");
    }
    // bf16 reads and writes pairs: even widths, K % 4 == 2 included.
    for (const char* shape : {"t1.dm2.dff2", "t3.dm38.dff30", "t17.dm64.dff100", "t9.dm130.dff6"}) {
      const std::string text = std::string(variant) + ":" + shape + ".bf16";
      const auto r = on_vulkan(text, test_support::in_tree());
      INFO(text << " -> " << r.outcome << " " << r.reason);
      CHECK(r.outcome == "passed");
    }
  }
  // An odd width in bf16 is recorded as unimplemented, with the reason.
  for (const char* text : {"ffn/swiglu:t4.dm7.dff8.bf16", "ffn/gelu-mlp:t4.dm8.dff9.bf16"}) {
    const auto odd = on_vulkan(text, test_support::in_tree());
    INFO(text << " -> " << odd.outcome << " " << odd.reason);
    CHECK(odd.outcome == "unimplemented");
    CHECK_THAT(odd.reason, Catch::Contains("bf16 needs even d_model and d_ff"));
  }
}

TEST_CASE("vulkan: every attention variant - mode and option matches the reference", "[vulkan]") {
  // The CPU test's grid: every option, f32 and bf16, 45 tokens so no tile divides it.
  for (const std::string& text : test_support::attention_option_grid()) {
    const auto r = on_vulkan(text, test_support::in_tree());
    INFO(text << " -> " << r.outcome << " " << r.reason);
    CHECK(r.outcome == "passed");
    REQUIRE(r.nmse.has_value());
    CHECK(*r.nmse < (text.ends_with(".f32") ? 1e-9 : 2e-5));
  }
}

TEST_CASE("vulkan: attention decode over many splits - group row blocks - widths not a multiple of 4", "[vulkan]") {
  // Long decodes cut the cache into several ranges merged by decode_combine;
  // groups of more than 4 heads run in row blocks (9 = 3 x 3, 5 = 2 x 3 with
  // a padding row); head widths that are not a multiple of 4 take the scalar
  // loads instead of the 4-wide ones.
  for (const char* text : {"attention/gqa:decode.s3000.h8.kvh2.hd128.f32",
                           "attention/gqa:decode.s3000.h8.kvh2.hd128.bf16",
                           "attention/gqa:decode.s3000.h8.kvh2.hd128.chunk.w1000.sink1.alibi.cap5.f32",
                           "attention/gqa:decode.s2000.h12.kvh2.hd16.window.w1500.f32",
                           "attention/mqa:decode.s700.h9.hd6.vhd10.sink1.f32",
                           "attention/mqa:decode.s700.h9.hd6.vhd10.sink1.bf16",
                           "attention/mqa:decode.s700.h5.hd10.vhd7.alibi.f32",
                           "attention/gqa:prefill.s70.h10.kvh2.hd6.vhd10.f32",
                           "attention/gqa:prefill.s70.h10.kvh2.hd6.vhd10.window.w20.bf16",
                           "attention/mha:decode.s500.b2.h2.hd128.bf16",
                           // Gated: many splits, layer level with Q|K|V|G fused, bf16 pairs.
                           "attention/gqa:decode.s3000.h8.kvh2.hd128.gate1.bf16",
                           "attention/gqa:prefill.s70.b2.h10.kvh2.hd6.vhd10.dm40.gate1.bf16",
                           "attention/gqa:prefill.s70.h10.kvh2.hd6.vhd10.gate1.f32"}) {
    const auto r = on_vulkan(text, test_support::in_tree());
    INFO(text << " -> " << r.outcome << " " << r.reason);
    CHECK(r.outcome == "passed");
    REQUIRE(r.nmse.has_value());
    CHECK(*r.nmse < (std::string(text).find(".bf16") != std::string::npos ? 2e-5 : 1e-9));
  }
}

TEST_CASE("vulkan: attention in bf16 at an odd v_head_dim or d_model - the 16-bit storage build", "[vulkan]") {
  // Rows of odd width start mid-word, so these take the shaders' 16-bit build
  // (one element per store) and the projections' BF16_16BIT matmul: decode
  // and combine, prefill with a scratch ring, the gate, the fused Q|K|V|G and
  // O projections with odd K and N, biases.
  for (const char* text : {"attention/mqa:decode.s10.h2.hd6.vhd7.bf16",
                           "attention/mqa:decode.s700.h5.hd10.vhd7.alibi.bf16",
                           "attention/gqa:prefill.s70.h10.kvh2.hd6.vhd9.window.w20.bf16",
                           "attention/gqa:prefill.s45.b2.h4.kvh2.hd8.vhd7.dm33.gate1.bf16",
                           "attention/gqa:decode.s40.h4.kvh2.hd8.dm33.bias1.bf16"})
    test_support::require_close_on_vulkan(text);
}

TEST_CASE("vulkan: attention/mla matches the reference - absorb 0 and 1, prefill and decode, masks, layer level, bf16", "[vulkan]") {
  // Small latent shapes (kvr 32, nope 16, rope 8, vhd 16) so the validation
  // layer's run stays short; 45 prompt tokens so no tile divides them; the
  // decodes wrap their window / chunk ring (70 cached tokens, span 20 / 32);
  // odd widths take the shaders' scalar loads; rope 0 has no positions at all;
  // one decode at DeepSeek's head widths (576-wide absorbed keys, 512-wide
  // latent values, one query row a workgroup).
  const std::string small = ".h4.nope16.rope8.vhd16.kvr32";
  std::vector<std::string> problems;
  for (const char* absorb : {".absorb0", ".absorb1"}) {
    for (const char* mode : {"prefill.b2.s45", "decode.b2.s70"})
      for (const char* mask : {"", ".window.w20", ".chunk.w32"})
        problems.push_back(std::string("attention/mla:") + mode + small + mask + absorb + ".f32");
    problems.push_back(std::string("attention/mla:prefill.s45") + small + ".dm64.qr48" + absorb + ".f32");
    problems.push_back(std::string("attention/mla:decode.s70") + small + ".dm64.ln0.window.w20" + absorb + ".f32");
    problems.push_back(std::string("attention/mla:prefill.s45") + small + ".dm64.qr48.ln0.chunk.w16" + absorb + ".f32");
    problems.push_back(std::string("attention/mla:decode.s33.h3.nope15.rope6.vhd13.kvr33") + absorb + ".f32");
    problems.push_back(std::string("attention/mla:prefill.s20.h2.nope16.rope0.vhd16.kvr32") + absorb + ".f32");
    problems.push_back(std::string("attention/mla:prefill.s30.h3.nope15.rope6.vhd13.kvr33.chunk.w8") + absorb + ".f32");
    problems.push_back(std::string("attention/mla:prefill.b2.s45") + small + ".window.w16" + absorb + ".bf16");
    problems.push_back(std::string("attention/mla:decode.b2.s70") + small + ".chunk.w32" + absorb + ".bf16");
    problems.push_back(std::string("attention/mla:decode.s70") + small + ".dm64.qr48" + absorb + ".bf16");
  }
  problems.push_back("attention/mla:decode.s300.h2.absorb1.f32");
  for (const std::string& text : problems) {
    const auto r = on_vulkan(text, test_support::in_tree());
    INFO(text << " -> " << r.outcome << " " << r.reason);
    CHECK(r.outcome == "passed");
    REQUIRE(r.nmse.has_value());
    // bf16 rounds every intermediate a matmul or the attention reads (up to
    // ~1.5e-5 at layer level, where the latents pass through four matmuls).
    CHECK(*r.nmse < (text.ends_with(".f32") ? 1e-9 : 5e-5));
  }
}

TEST_CASE("vulkan: attention/mla in bf16 at odd widths - the 16-bit storage build, core and layer", "[vulkan]") {
  // Any odd kv_lora_rank, qk_nope_dim, v_head_dim, d_model or q_lora_rank puts
  // rows mid-word, so the problem takes the 16-bit build of every shader and
  // of the projections' matmul (odd K, N and strides: the decompression reads
  // A rows of kvr inside cache rows of kvr + rope). All odd at once, then each
  // alone beside even ones, absorb 0 and 1, prefill (own rows ring) and decode.
  const std::string odd = ".h3.nope7.rope8.vhd9.kvr15";
  const std::vector<std::string> shapes = {
      "prefill.b2.s45" + odd, "decode.b2.s70" + odd + ".window.w20", "prefill.s45" + odd + ".dm33.qr11",
      "decode.s70" + odd + ".dm33.qr11.chunk.w32", "prefill.s30" + odd + ".dm33.ln0.window.w16",
      // one odd width at a time
      "decode.s40.h2.nope16.rope8.vhd16.kvr15", "prefill.s33.h2.nope7.rope8.vhd16.kvr32",
      "decode.s40.h2.nope16.rope8.vhd9.kvr32", "prefill.s33.h2.nope16.rope8.vhd16.kvr32.dm33",
      "decode.s40.h2.nope16.rope8.vhd16.kvr32.dm32.qr11"};
  std::vector<std::string> problems;
  for (const char* absorb : {".absorb0", ".absorb1"})
    for (const std::string& shape : shapes) problems.push_back("attention/mla:" + shape + absorb + ".bf16");
  for (const std::string& text : problems) test_support::require_close_on_vulkan(text, false, test_support::kLayerBf16Bound);
}

TEST_CASE("vulkan: every moe variant matches the reference over its routers and options, prefill and decode", "[vulkan]") {
  // 37 tokens and odd widths cut through the GEMM tiles (8 rows, 16/24 columns,
  // 4-wide k); capacity 1 and 0.5 drop assignments (token order decides which),
  // skew concentrates tokens on few experts, t1 and t3 are decodes where most
  // experts get no rows, top-16 of 16 experts gives every expert every token.
  // One-row tiles: t1 everywhere, capacity 0.1 (one row per expert) in the
  // routed GEMMs beside 8-row dense ones.
  const char* options[] = {"t37.dm64.eff24",           "t37.dm64.eff24.act-geglu",     "t37.dm64.eff24.act-swiglu-clamp",
                           "t37.dm64.eff24.sh1",       "t37.dm64.eff24.sh2.sff40",     "t37.dm64.eff24.cf1",
                           "t37.dm64.eff24.cf0p5.sk4", "t37.dm64.eff24.sk4",           "t37.dm38.eff7",
                           "t20.dm130.eff33.sh1.sff9", "t1.dm64.eff24",                "t3.dm64.eff24.sh1",
                           "t37.dm64.eff24.cf0p1.sh1"};
  std::vector<std::string> grid;
  for (const char* variant : {"moe/softmax-topk:e16.k4.", "moe/sigmoid-topk:e16.k4.", "moe/sigmoid-top1:e16.k1."})
    for (const char* option : options) grid.push_back(std::string(variant) + option);
  for (const char* text : {"moe/softmax-topk:t37.dm64.e16.k4.eff24.rn0", "moe/softmax-topk:t9.dm64.e16.k16.eff24",
                           "moe/sigmoid-topk:t37.dm64.e16.k4.eff24.g4.tg2", "moe/sigmoid-topk:t37.dm64.e16.k6.eff24.g8.tg3.rs2p5",
                           "moe/sigmoid-topk:t3.dm64.e16.k4.eff24.g4.tg2.sh1", "moe/sigmoid-topk:t37.dm64.e16.k4.eff24.rn0.rs2p5",
                           "moe/sigmoid-top1:t64.dm64.e8.k2.eff24.sk8",
                           // test_moe.cpp's CPU cases not above
                           "moe/sigmoid-topk:t37.dm64.e16.k4.eff24.rn0.sh2.sff16",
                           "moe/sigmoid-topk:t40.dm66.e32.k8.eff18.g8.tg4.cf1",
                           "moe/sigmoid-top1:t37.dm64.e16.k2.eff24.act-geglu",
                           "moe/sigmoid-top1:t2.dm64.e16.eff24.act-swiglu-clamp"})
    grid.push_back(text);
  for (const std::string& problem : grid)
    for (const char* dtype : {".f32", ".bf16"}) {
      const std::string text = problem + dtype;
      const auto r = on_vulkan(text, test_support::in_tree());
      INFO(text << " -> " << r.outcome << " " << r.reason);
      CHECK(r.outcome == "passed");
      REQUIRE(r.nmse.has_value());
      CHECK(*r.nmse < (std::string(dtype) == ".f32" ? 1e-9 : 2e-5));
    }
  // An odd d_model in bf16: rows of x and y end mid-word, and each word of y has
  // one writer (the combine runs over words, not rows); an odd token count
  // too, so the last word is half padding. Shared experts and one-token rows.
  for (const char* text : {"moe/softmax-topk:t5.dm7.e4.k2.eff8.bf16", "moe/sigmoid-topk:t3.dm33.e16.k4.eff24.g4.tg2.sh1.bf16",
                           "moe/sigmoid-top1:t1.dm9.e8.eff6.bf16"})
    test_support::require_close_on_vulkan(text);
}

TEST_CASE("vulkan: moe timing alternates input sets whose routings differ, and still passes", "[vulkan]") {
  // The routing is recomputed on the device at every replay: counts, rows and
  // tiles follow each input set, nothing decided at create time is reused.
  for (const char* text : {"moe/softmax-topk:t64.dm64.e16.k4.eff32.cf1", "moe/sigmoid-top1:t2.dm64.e16.eff32.bf16"}) {
    const auto r = on_vulkan(text, test_support::in_tree(), true);
    INFO(text << " -> " << r.outcome << ": " << r.reason);
    CHECK(r.outcome == "passed");
    CHECK(r.samples.size() == 2);
  }
}

TEST_CASE("vulkan: the whole quick suite runs on both backends and ranks them side by side", "[vulkan]") {
  test_support::TempDir tmp;
  const std::string db = tmp.file("quick.db");
  const auto r = test_support::run_cli("run --quick --backend all --db " + db);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("0 failed"));
  auto store = results::Store::open_readonly(db);
  auto count = [&](const std::string& where) {
    return std::get<int64_t>(store.query("SELECT count(*) FROM results r JOIN problems p ON p.id = r.problem_id WHERE " + where).rows.at(0).at(0));
  };
  // Every problem ran on both, and every one passed on Vulkan too (bf16
  // included): nothing is missing, failed or left unimplemented, except the
  // rows of variants that declare no Vulkan implementation at all (none
  // in-tree today), recorded as such.
  CHECK(count("r.backend = 'cpu'") == count("r.backend = 'vulkan'"));
  CHECK(count("r.backend = 'cpu' AND r.outcome = 'passed'") == count("r.backend = 'cpu'"));
  const std::string cpu_only = "r.outcome = 'unimplemented' AND r.reason GLOB '* declares no vulkan implementation'";
  CHECK(count("r.backend = 'vulkan' AND r.outcome = 'passed'") + count("r.backend = 'vulkan' AND " + cpu_only) ==
        count("r.backend = 'vulkan'"));
  CHECK(count("r.backend = 'vulkan' AND r.outcome = 'passed'") > count("r.backend = 'vulkan' AND " + cpu_only));
  // The run records the device it measured on.
  const auto device = store.query("SELECT vulkan_device FROM runs").rows.at(0).at(0);
  CHECK_THAT(std::get<std::string>(device), Catch::Contains("vulkan device 0: "));
  const auto board = test_support::run_cli("leaderboard --backend vulkan --db " + db);
  CHECK_THAT(board.output, Catch::Contains("speed_vs_cpu"));
  // One backend: named once, in the note, which wraps to the width wherever
  // its words fall (the mixers' and ssm rows moved a break between these two).
  std::string note = board.output;
  for (size_t at = note.find("\n "); at != std::string::npos; at = note.find("\n ", at)) note.replace(at, 2, " ");
  CHECK_THAT(note, Catch::Contains("backend vulkan"));
  CHECK_THAT(board.output, Catch::Contains("\nattention  "));
}

TEST_CASE("vulkan: without a driver the backend is unavailable - named it is exit 2 - all runs the cpu", "[vulkan]") {
  test_support::TempDir tmp;
  const std::string no_driver = "VK_ICD_FILENAMES=/nonexistent.json ";
  const std::string db = tmp.file("nodriver.db");
  const auto named = test_support::run_cli_with(no_driver, "run --backend vulkan --problem 'norm/rmsnorm:t4.dm8' --db " + db);
  CHECK(named.exit_code == 2);
  CHECK_THAT(named.output, Catch::Contains("--backend vulkan: the Vulkan backend is unavailable: no Vulkan driver"));
  CHECK_FALSE(std::filesystem::exists(db));  // refused before the database is touched
  const auto all = test_support::run_cli_with(no_driver, "run --quick --problem 'norm/rmsnorm:t4.dm8' --db " + db);
  CHECK(all.exit_code == 0);
  CHECK_THAT(all.output, Catch::Contains("note: vulkan skipped"));
  CHECK_THAT(all.output, Catch::Contains("1 passed"));
  const auto backends = test_support::run_cli_with(no_driver, "list backends");
  CHECK_THAT(backends.output, Catch::Contains("vulkan  unavailable"));
}

TEST_CASE("vulkan: grids beyond 65535 workgroups are recorded unimplemented with the reason", "[vulkan]") {
  for (const char* text : {"ffn/gelu-mlp:t600000.dm2.dff2", "attention/mha:prefill.s70000.h1.hd2"}) {
    const auto r = on_vulkan(text, test_support::in_tree());
    INFO(text << " -> " << r.outcome << " " << r.reason);
    CHECK(r.outcome == "unimplemented");
    CHECK_THAT(r.reason, Catch::Contains("the portable limit is 65535 per dimension"));
  }
}

TEST_CASE("vulkan: accuracy tasks run through the Vulkan implementation and agree with the cpu", "[vulkan]") {
  test_support::TempDir tmp;
  const std::string row = "attention/mha:prefill.s2048.h2.hd64.vhd32.nope.window.w1024@needle.single.t8";
  const std::string chain = "attention/gqa:prefill.s1024.h2.kvh1.hd64.vhd64.nope@multihop.t6";
  const auto r = test_support::run_cli("run --backend all --db " + tmp.file("a.db") + " --problem '" + row + "' --problem '" +
                         chain + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("4 passed"));
  // Cell by cell, the same successes on both backends (the same haystacks, decoded alike).
  const auto differ = test_support::run_cli("query --db " + tmp.file("a.db") + " --format csv \"SELECT COUNT(*) FROM needle c JOIN "
                              "needle g ON g.context = c.context AND g.depth = c.depth AND g.backend = 'vulkan' "
                              "WHERE c.backend = 'cpu' AND g.successes = c.successes\"");
  CHECK_THAT(differ.output, Catch::Contains("\n11\n"));
  const auto chains = test_support::run_cli("query --db " + tmp.file("a.db") + " --format csv \"SELECT MIN(accuracy), COUNT(*) FROM "
                              "multihop WHERE backend = 'vulkan'\"");
  CHECK_THAT(chains.output, Catch::Contains("\n1,4\n"));
}
