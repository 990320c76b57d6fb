// attention/mla and attention/dsa on the CPU: every path (absorb 0/1, prefill
// and decode, masks with the ring wrapping, layer level with and without a
// query latent, bf16, no RoPE) against the decompressing double reference;
// the timed path with alternating input sets; the cache each design declares;
// and the needle task through the latent and the indexer, where a narrow
// latent or a narrow indexer must cost accuracy that an exact one does not.
#include "harness/executor.hpp"
#include "harness/fidelity.hpp"
#include "harness/problem.hpp"
#include "problem_runs.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace archbench;
using test_support::require_passes;
using test_support::run_cli;
using test_support::run_cpu;
using test_support::TempDir;

namespace {

constexpr const char* kSmall = ".h4.nope16.rope8.vhd16.kvr32";

}  // namespace

TEST_CASE("mla: both absorb forms match the decompressing reference, prefill and decode", "[mla]") {
  const char* cases[] = {
      "prefill.b2.s67", "decode.b2.s70",
      "prefill.b1.s300.window.w64", "decode.b1.s300.window.w64",  // the ring has wrapped
      "prefill.b1.s300.chunk.w128", "decode.b1.s300.chunk.w128",
      "decode.b1.s2500",  // absorbed decode splits the context into ranges
  };
  for (const char* c : cases)
    for (const char* absorb : {".absorb0", ".absorb1"})
      for (const char* dtype : {".f32", ".bf16"})
        require_passes(std::string("attention/mla:") + c + kSmall + absorb + dtype);
}

TEST_CASE("mla: layer level with and without a query latent and latent norms, and without RoPE", "[mla]") {
  for (const char* c : {"prefill.b2.s40.dm64.qr24", "decode.b1.s50.dm64.qr24.ln0", "prefill.b1.s33.dm48",
                        "decode.b2.s21.dm48"})
    for (const char* absorb : {".absorb0", ".absorb1"})
      require_passes(std::string("attention/mla:") + c + kSmall + absorb);
  require_passes("attention/mla:prefill.b1.s50.h4.nope16.rope0.vhd16.kvr32");
  require_passes("attention/mla:decode.b1.s50.h4.nope16.rope0.vhd16.kvr32.absorb1");
}

TEST_CASE("mla and dsa: the timed path re-checks every iteration against alternating inputs", "[mla]") {
  require_passes("attention/mla:decode.b1.s600.h8.nope16.rope8.vhd16.kvr64.absorb1", true);
  require_passes("attention/mla:prefill.b1.s128.h4.nope16.rope8.vhd16.kvr32", true);
  require_passes("attention/dsa:decode.b1.s600.h8.nope16.rope8.vhd16.kvr64.ih4.id16.ir8.k64", true);
}

TEST_CASE("mla and dsa declare exactly what they cache per token", "[mla]") {
  const auto kv_bytes = [](const std::string& text) {
    const auto r = run_cpu(text);
    INFO(text << " -> " << r.outcome << ": " << r.reason);
    CHECK(r.outcome == "passed");
    return r.kv_cache_bytes_per_token;
  };
  // DeepSeek V3's 512-wide latent + 64-wide RoPE key: 576 values, absorbed or not.
  CHECK(kv_bytes("attention/mla:decode.b1.s16.h2.kvr512.nope8.rope64.vhd8.f32") == 576 * 4);
  CHECK(kv_bytes("attention/mla:decode.b1.s16.h2.kvr512.nope8.rope64.vhd8.absorb1.bf16") == 576 * 2);
  // DSA caches its index key beside them.
  CHECK(kv_bytes("attention/dsa:decode.b1.s16.h2.kvr512.nope8.rope64.vhd8.ih2.id128.ir64.k8.f32") == (576 + 128) * 4);
}

TEST_CASE("dsa: the indexer's selection and the sparse attention match the reference", "[mla]") {
  const char* cases[] = {
      "prefill.b1.s64.k16",  // early rows keep fewer than top_k: -1 padding
      "decode.b2.s300.k64", "prefill.b2.s700.k64.window.w300", "decode.b1.s1500.k64.chunk.w512",
      "prefill.b1.s40.k64",  // every row keeps all it sees
      "decode.b1.s40.dm64.qr32.k16", "prefill.b1.s90.dm64.k16",
  };
  for (const char* c : cases)
    for (const char* dtype : {".f32", ".bf16"})
      require_passes(std::string("attention/dsa:") + c + kSmall + ".ih4.id16.ir8" + dtype);
}

namespace {

constexpr const char* kNeedleSuite = R"(name = "mla-needle-test"
[measure]
timeout = 600
[task]
kind = "needle"
contexts = [2048]
trials = 4
[[problems]]
variant = "attention/mla"
backends = ["cpu"]
[problems.params]
heads = 2
qk_nope_dim = 64
qk_rope_dim = 0
v_head_dim = 32
kv_lora_rank = [96, 24]
[[problems]]
variant = "attention/dsa"
backends = ["cpu"]
[problems.params]
heads = 2
qk_nope_dim = 64
qk_rope_dim = 0
v_head_dim = 32
kv_lora_rank = 96
index_heads = 2
index_dim = [64, 8]
index_rope = 0
top_k = 64
)";

double number(const std::string& db, const std::string& sql) {
  const auto r = run_cli("query --db " + db + " --format csv \"" + sql + "\"");
  REQUIRE(r.exit_code == 0);
  std::istringstream in(r.output);
  std::string header, value;
  std::getline(in, header);
  std::getline(in, value);
  return value.empty() ? -1 : std::stod(value);
}

}  // namespace

TEST_CASE("needle through the latent and the indexer: exact constructions find it, narrow ones lose it", "[mla]") {
  TempDir tmp;
  const std::string db = tmp.file("n.db"), suite = tmp.file("needle.toml");
  std::ofstream(suite) << kNeedleSuite;
  const auto r = run_cli("run --backend cpu --db " + db + " --suite " + suite);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(number(db, "SELECT MIN(accuracy) FROM needle WHERE design GLOB '*kvr96*' AND variant = 'attention/mla'") == 1.0);
  CHECK(number(db, "SELECT AVG(accuracy) FROM needle WHERE design GLOB '*kvr24*'") < 0.7);
  CHECK(number(db, "SELECT MIN(accuracy) FROM needle WHERE design GLOB '*id64*'") == 1.0);
  CHECK(number(db, "SELECT AVG(accuracy) FROM needle WHERE design GLOB '*id8.*'") < 0.8);
}
