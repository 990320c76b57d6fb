// Canonical problem strings: every in-tree variant round-trips, and bad strings
// are rejected with a message naming the token and what was expected.
#include "harness/errors.hpp"
#include "harness/problem.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>

using archbench::InputError;
using archbench::parse_problem;
using archbench::Problem;

namespace {

// A problem with every parameter moved off its default (and still valid).
Problem off_default(const ab_variant& variant, ab_dtype dtype) {
  const std::string dtype_and_seed = std::string(dtype == AB_DTYPE_BF16 ? "bf16" : "f32") + ".seed7";
  if (std::string(variant.name) == "attention/mla" || std::string(variant.name) == "attention/dsa") {
    // Latent attention: layer level with a query latent, no latent norm, a chunk mask.
    const std::string own = std::string(variant.name) == "attention/mla" ? ".absorb1" : ".ih3.id8.ir4.k7";
    return parse_problem(std::string(variant.name) + ":decode.b2.s9.h4.dm24.qr12.kvr10.nope6.rope4.vhd6.theta5e+04.ln0"
                             ".chunk.w5" + own + "." + dtype_and_seed,
                         test_support::in_tree());
  }
  if (std::string(variant.name) == "ssm/mamba")  // a decode of the whole layer, every design choice moved
    return parse_problem("ssm/mamba:decode.b2.s9.di24.dm16.n5.conv3.dtr2.z1." + dtype_and_seed, test_support::in_tree());
  if (std::string(variant.name) == "ssm/mamba2")
    return parse_problem("ssm/mamba2:decode.b2.s9.h4.hd8.vhd8.n6.g2." + dtype_and_seed, test_support::in_tree());
  if (std::string(variant.name).rfind("mixer/", 0) == 0) {
    // The linear-time mixers: core level only (d_model = 0), q/k heads dividing heads.
    const std::string name = variant.name;
    const std::string own = name == "mixer/linear" ? ".fm-identity.norm0.decay-retnet"
                            : name == "mixer/gated-deltanet" ? ".qkh2.conv3" : "";
    return parse_problem(name + ":decode.b2.s9.h4.hd8.vhd6.c16" + own + "." + dtype_and_seed, test_support::in_tree());
  }
  if (std::string(variant.kind) == "attention") {
    // Attention's options constrain each other (ALiBi has no RoPE theta, a
    // window needs a span, bias needs projections): moved off by hand.
    const std::string kv = std::string(variant.name) == "attention/gqa" ? ".kvh2" : "";
    return parse_problem(std::string(variant.name) + ":decode.b2.s9.h4" + kv +
                             ".hd8.vhd6.dm24.alibi.chunk.w5.sink1.cap2p5.qkn-proj.bias1.gate1." + dtype_and_seed,
                         test_support::in_tree());
  }
  if (std::string(variant.kind) == "moe") {
    // Routing settings constrain each other (groups divide experts, top_k fits
    // in the top groups): moved off by hand, every variant's own ones too.
    const std::string name = variant.name;
    const std::string own = name == "moe/sigmoid-topk" ? ".rn0.g4.tg2.rs2p5" : name == "moe/softmax-topk" ? ".rn0" : "";
    return parse_problem(name + ":t9.dm12.e8.k3.eff5.sh1.sff7.act-swiglu-clamp.cf1p25.sk0p5" + own + "." + dtype_and_seed,
                         test_support::in_tree());
  }
  Problem p = parse_problem(std::string(variant.name) + ":" + dtype_and_seed, test_support::in_tree());
  for (uint32_t i = 0; i < variant.param_count; ++i) {
    const ab_param_spec& spec = variant.params[i];
    if (spec.type == AB_PARAM_ENUM) p.values[i] = spec.max_value;
    else if (spec.type == AB_PARAM_INT) p.values[i] = spec.default_value == spec.max_value ? spec.min_value : spec.default_value + 1;
    else p.values[i] = spec.default_value * 0.5 + spec.min_value * 0.5 + 1.0 / 3.0 * 1e-7;
  }
  return p;
}

}  // namespace

TEST_CASE("every in-tree variant's canonical string parses back to the same problem", "[problem]") {
  const auto variants = test_support::in_tree().variants();
  REQUIRE(variants.size() >= 5);
  for (const ab_variant* variant : variants) {
    for (ab_dtype dtype : {AB_DTYPE_F32, AB_DTYPE_BF16}) {
      INFO(variant->name);
      const Problem original = off_default(*variant, dtype);
      const std::string canonical = original.canonical();
      const Problem parsed = parse_problem(canonical, test_support::in_tree());
      CHECK(parsed.variant == original.variant);
      CHECK(parsed.values == original.values);  // exact: reals print in shortest round-trip form
      CHECK(parsed.dtype == dtype);
      CHECK(parsed.seed == 7);
      CHECK(parsed.canonical() == canonical);
      CHECK(canonical.find("seed7") != std::string::npos);
    }
  }
}

TEST_CASE("problem strings: defaults fill in - any order - canonical order out", "[problem]") {
  const auto& registry = test_support::in_tree();
  const Problem p = parse_problem("ffn/swiglu:dff2048.bf16.t16", registry);
  CHECK(p.canonical() == "ffn/swiglu:t16.dm4096.dff2048.bf16");
  CHECK(parse_problem("ffn/swiglu", registry).canonical() == "ffn/swiglu:t512.dm4096.dff11008.f32");
  CHECK(parse_problem("norm/rmsnorm:eps1e-06.res1", registry).canonical() ==
        "norm/rmsnorm:t512.dm4096.eps1e-06.res1.f32");
  CHECK(parse_problem("norm/layernorm:eps0p25", registry).canonical() ==
        "norm/layernorm:t512.dm4096.eps0p25.res0.f32");
  CHECK(p.shape() == "t16.dm4096.dff2048.bf16");
  CHECK(p.params_json() == R"({"tokens":16,"d_model":4096,"d_ff":2048,"dtype":"bf16","seed":1})");
}

TEST_CASE("bad problem strings are refused with the token and what was expected", "[problem]") {
  const auto& registry = test_support::in_tree();
  auto message = [&](const std::string& text) {
    try {
      parse_problem(text, registry);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  CHECK_THAT(message("ffn/nonesuch:t4"), Catch::Contains("unknown variant 'ffn/nonesuch'"));
  CHECK_THAT(message("ffn/swiglu:t4.zz9"), Catch::Contains("unknown token 'zz9'") && Catch::Contains("dm<int>"));
  CHECK_THAT(message("ffn/swiglu:t0"), Catch::Contains("tokens = 0 is outside [1, "));
  CHECK_THAT(message("ffn/swiglu:t4.t8"), Catch::Contains("'tokens' given twice"));
  CHECK_THAT(message("ffn/swiglu:t4.5"), Catch::Contains("unknown token '5'"));
  CHECK_THAT(message("ffn/swiglu:t4..f32"), Catch::Contains("empty token"));
  CHECK_THAT(message("ffn/swiglu:t1p5"), Catch::Contains("unknown token 't1p5'"));  // not an integer
  CHECK_THAT(message("norm/rmsnorm:res2"), Catch::Contains("residual = 2 is outside [0, 1]"));
  CHECK_THAT(message("ffn/swiglu:dm65536.dff65536"), Catch::Contains("must not exceed 2^31"));
  CHECK_THAT(message("ffn/swiglu:f32.bf16"), Catch::Contains("dtype given twice"));
}

TEST_CASE("issue 13: seeds are whole numbers below 2^64 given once - every 64-bit seed round-trips", "[problem]") {
  const auto& registry = test_support::in_tree();
  auto message = [&](const std::string& text) {
    try {
      parse_problem(text, registry);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  // Before: seed1e30 was stored as 2^64 - 1 and seed1.seed2 took the last.
  const std::string too_big = "the seed must be a whole number in digits, 0 to 18446744073709551615 (2^64 - 1)";
  CHECK_THAT(message("ffn/swiglu:t4.seed1e30"), Catch::Contains("token 'seed1e30': " + too_big));
  CHECK_THAT(message("ffn/swiglu:t4.seed18446744073709551616"), Catch::Contains(too_big));
  CHECK_THAT(message("ffn/swiglu:t4.seed1p5"), Catch::Contains(too_big));
  CHECK_THAT(message("ffn/swiglu:t4.seed-1"), Catch::Contains(too_big));
  CHECK_THAT(message("ffn/swiglu:t4.seed1.seed2"), Catch::Contains("seed given twice"));
  const Problem largest = parse_problem("ffn/swiglu:t4.seed18446744073709551615", registry);
  CHECK(largest.seed == UINT64_MAX);
  CHECK(parse_problem(largest.canonical(), registry).seed == UINT64_MAX);
  // 2^53 + 1 is not a double: read as digits, it survives.
  CHECK(parse_problem("ffn/swiglu:t4.seed9007199254740993", registry).seed == 9007199254740993ull);
}

TEST_CASE("issue 13: a control character in a problem string is refused - and never echoed raw", "[problem]") {
  const auto& registry = test_support::in_tree();
  for (const std::string text : {std::string("ffn/swiglu:t8\nrm -rf"), std::string("ffn/swiglu:t8.\x1b[2Jf32"),
                                 std::string("ffn/swi\rglu"), std::string("ffn/swiglu:t8\x7f")}) {
    try {
      parse_problem(text, registry);
      FAIL("accepted");
    } catch (const InputError& e) {
      const std::string message = e.what();
      INFO(message);
      CHECK_THAT(message, Catch::EndsWith(": contains a control character"));
      CHECK(std::none_of(message.begin(), message.end(),
                         [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }));
    }
  }
  CHECK(archbench::printable("a\nb\x1b\t") == "a\\nb\\x1b\\t");
}

TEST_CASE("structured parameters print the canonical tokens - so the store need not parse them", "[problem]") {
  // Every in-tree variant, off its defaults and with a seed: the tokens joined
  // in order are the shape; split by the design flag, the workload and design.
  for (const ab_variant* variant : test_support::in_tree().variants()) {
    const Problem p = off_default(*variant, AB_DTYPE_F32);
    INFO(p.canonical());
    const auto params = p.structured_params();
    REQUIRE(params.size() == variant->param_count + 2);
    CHECK(params[params.size() - 2].name == "dtype");
    CHECK(params.back().token == "seed7");
    std::string shape, workload, design;
    for (const auto& q : params) {
      if (q.token.empty()) continue;
      shape += (shape.empty() ? "" : ".") + q.token;
      std::string& part = q.design ? design : workload;
      part += (part.empty() ? "" : ".") + q.token;
    }
    CHECK(shape == p.shape());
    CHECK(workload == p.workload());
    CHECK((design.empty() ? std::string(variant->name) : std::string(variant->name) + ":" + design) == p.design());
  }
  const Problem gqa = parse_problem("attention/gqa:prefill.s4096.h8.kvh2.hd64", test_support::in_tree());
  const auto params = gqa.structured_params();
  const auto seq = std::find_if(params.begin(), params.end(), [](const auto& q) { return q.name == "seq"; });
  REQUIRE(seq != params.end());
  CHECK(seq->key == "s");
  CHECK(seq->type == "int");
  CHECK(seq->value == 4096);
  CHECK(seq->token == "s4096");
  CHECK_FALSE(seq->design);
  CHECK(params.back().token.empty());  // the default seed is not printed
  // Nor is a quiet-default parameter at its default (attention's gate, added
  // once attention problems were on record): there, but without a token.
  const auto gate = std::find_if(params.begin(), params.end(), [](const auto& q) { return q.name == "gate"; });
  REQUIRE(gate != params.end());
  CHECK(gate->token.empty());
  CHECK(gate->value == 0);
  CHECK(gqa.canonical().find("gate") == std::string::npos);
  CHECK(gqa.design().find("gate") == std::string::npos);
  const auto mode = std::find_if(params.begin(), params.end(), [](const auto& q) { return q.name == "mode"; });
  CHECK(mode->key.empty());  // printed bare
  CHECK(mode->text == "prefill");
  // A task row's group key: the context parameter printed as its key and '*'.
  const std::string wildcard = gqa.workload_with_wildcard(uint32_t(seq - params.begin()));
  CHECK(wildcard.rfind("prefill.b1.s*.h8.", 0) == 0);
  CHECK(wildcard.size() == gqa.workload().size() - 3);  // "4096" -> "*"
}
