// Presets (harness/preset.hpp): every shipped preset loads, and its parameters
// counted from its parts (weight tensors, or a variant's "parameters/1" extra)
// are within 3% of the totals its authors publish; layer selections; malformed
// presets are refused with file:line:col; a part whose variant is not loaded is
// named, never silently dropped.
#include "harness/errors.hpp"
#include "harness/model_parameters.hpp"
#include "harness/preset.hpp"
#include "harness/problem.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace archbench;

namespace {

std::string write_preset(const test_support::TempDir& dir, const std::string& body) {
  const std::string path = dir.file("p.toml");
  std::ofstream(path) << body;
  return path;
}

const char* kHeader = "title = \"T\"\nsource = \"S\"\n[model]\nlayers = 4\nd_model = 64\nvocab = 100\n";

std::string error_of(const std::string& body) {
  test_support::TempDir dir;
  const std::string path = write_preset(dir, body);
  try {
    load_preset(path);
  } catch (const InputError& e) {
    const std::string what = e.what();
    return what.rfind(path, 0) == 0 ? what.substr(path.size()) : what;
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("every preset's parameters are within 3% of what its authors publish", "[presets]") {
  const std::vector<std::string> names = preset_names();
  CHECK(names.size() >= 20);
  size_t checked = 0;
  for (const std::string& name : names) {
    INFO(name);
    const Preset p = load_preset(name);
    const PresetCount c = count_preset(p, test_support::in_tree());
    CHECK(c.failures.empty());
    if (!c.missing.empty()) continue;  // a kind not built yet: named, and not checked
    REQUIRE(p.published_total);
    CHECK(c.total / *p.published_total == Approx(1).epsilon(0.03));
    if (p.published_active) CHECK(c.active_as_published / *p.published_active == Approx(1).epsilon(0.03));
    ++checked;
  }
  CHECK(checked >= 20);
}

TEST_CASE("preset counts: weights from describe(), a mixture of experts' active part from its extra", "[presets]") {
  const Registry& registry = test_support::in_tree();
  // Llama 3 8B's attention: Wq and Wo 4096x4096, Wk and Wv 4096x1024.
  const ParameterCount attention = count_parameters(parse_problem("attention/gqa:h32.kvh8.hd128.dm4096", registry));
  CHECK(attention.failure.empty());
  CHECK(attention.total == 2.0 * 4096 * 4096 + 2.0 * 4096 * 1024);
  CHECK(attention.active == attention.total);
  // Core-level attention holds no weights.
  CHECK(count_parameters(parse_problem("attention/gqa:h32.kvh8.hd128", registry)).total == 0);
  // 8 experts of 3 x 64 x 32, top-2, and a 64 x 8 router.
  const ParameterCount moe = count_parameters(parse_problem("moe/softmax-topk:dm64.e8.k2.eff32", registry));
  CHECK(moe.total == 64.0 * 8 + 8 * 3.0 * 64 * 32);
  CHECK(moe.active == 64.0 * 8 + 2 * 3.0 * 64 * 32);
  // Llama 3 8B whole: 8.03B, its KV cache 32 layers x 2 x 8 heads x 128 x 2 bytes a token.
  const PresetCount llama = count_preset(load_preset("llama3-8b"), registry);
  CHECK(llama.total == Approx(8.03e9).epsilon(0.003));
  CHECK(llama.kv_cache_bytes_per_token == 32.0 * 2 * 8 * 128 * 2);
  CHECK(llama.lm_head == llama.embedding);  // untied
}

TEST_CASE("layer selections", "[presets]") {
  CHECK(*select_layers("all", 3) == std::vector<int>{0, 1, 2});
  CHECK(*select_layers("odd", 6) == std::vector<int>{1, 3, 5});
  CHECK(*select_layers("even", 5) == std::vector<int>{0, 2, 4});
  CHECK(*select_layers("every 4 from 3", 16) == std::vector<int>{3, 7, 11, 15});
  CHECK(*select_layers("0-2, 7", 8) == std::vector<int>{0, 1, 2, 7});
  CHECK_FALSE(select_layers("rest", 8));
  CHECK_THROWS_WITH(select_layers("8", 8), "layer 8 is outside 0..7");
  CHECK_THROWS_WITH(select_layers("3-1", 8), "'3-1' runs backwards");
  CHECK_THROWS_WITH(select_layers("every 0 from 1", 8), "'every 0 from 1': K must be at least 1");
  CHECK_THROWS_WITH(select_layers("every 2 after 1", 8), "'every 2 after 1' is not 'every K from S'");
  CHECK_THROWS_WITH(select_layers("rest, 1", 8), "'rest' stands alone");
  CHECK_THROWS_WITH(select_layers("x", 8), "'x' is not a layer number");
}

TEST_CASE("malformed presets are refused with file:line:col and what was expected", "[presets]") {
  const std::string layer = "[[layer]]\nname = \"a\"\nat = \"all\"\nparts = [\"norm/rmsnorm:dm64\"]\n";
  CHECK(error_of(std::string(kHeader) + layer) == "(accepted)");
  CHECK(error_of(std::string(kHeader) + "heads = 3\n" + layer) ==
        ":7:9: unknown key 'heads' in [model] (expected layers, d_model, vocab, tied_embeddings, mtp_layers)");
  CHECK(error_of(std::string(kHeader) + "[[layer]]\nname = \"a\"\nat = \"0-2\"\nparts = [\"norm/rmsnorm:dm64\"]\n") ==
        ":1:1: layer 3 has no [[layer]] (add one with at = \"rest\")");
  CHECK(error_of(std::string(kHeader) + layer + "[[layer]]\nname = \"b\"\nat = \"odd\"\nparts = [\"norm/rmsnorm:dm64\"]\n") ==
        ":13:6: layer 1 is also 'a'");
  CHECK(error_of(std::string(kHeader) + "[[layer]]\nname = \"a\"\nat = \"all\"\nparts = [\"rmsnorm\"]\n") ==
        ":10:10: a part is a problem string 'variant:tokens', e.g. \"ffn/swiglu:dm4096.dff14336\"");
  CHECK(error_of(std::string(kHeader) + "[[layer]]\nname = \"a\"\nat = \"every 9\"\nparts = [\"norm/rmsnorm:dm64\"]\n") ==
        ":9:6: 'at': 'every 9' is not 'every K from S'");
  CHECK(error_of(std::string(kHeader) + "[[layer]]\nname = \"a\"\nat = \"all\"\nplacement = \"inside\"\nparts = [\"n:x\"]\n") ==
        ":10:13: 'placement' expects pre, post, sandwich or none, not 'inside'");
  CHECK(error_of("title = \"T\"\nsource = \"S\"\n[model]\nlayers = 0\nd_model = 64\nvocab = 100\n" + layer) ==
        ":4:10: 'layers' expects a number in [1, 10000]");
  CHECK(error_of("source = \"S\"\n[model]\nlayers = 1\nd_model = 64\nvocab = 100\n" + layer) ==
        ":1:1: the preset needs 'title'");
  CHECK_THROWS_WITH(load_preset("no-such-preset"), Catch::Contains("preset: no preset file 'no-such-preset'"));
}

TEST_CASE("a part's bad token points at the part; a variant not loaded is named, not dropped", "[presets]") {
  test_support::TempDir dir;
  const std::string path = write_preset(dir, std::string(kHeader) +
      "[[layer]]\nname = \"a\"\nat = \"all\"\nparts = [\"norm/rmsnorm:dm64\", \"ssm/not-built-yet:d16\"]\n");
  const PresetCount c = count_preset(load_preset(path), test_support::in_tree());
  CHECK(c.missing == std::vector<std::string>{"ssm/not-built-yet (not loaded)"});
  CHECK(c.total == 4 * 64.0 + 2 * 100.0 * 64 + 64);  // the norms, both embedding matrices, the final norm
  const std::string bad = write_preset(dir, std::string(kHeader) +
      "[[layer]]\nname = \"a\"\nat = \"all\"\nparts = [\"norm/rmsnorm:dm64.zz9\"]\n");
  CHECK_THROWS_WITH(count_preset(load_preset(bad), test_support::in_tree()), Catch::StartsWith(bad + ":10:10: "));
}

TEST_CASE("archbench list presets", "[presets][cli]") {
  const auto r = test_support::run_cli("list presets");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("deepseek-v3          DeepSeek-V3: 61 layers (dense 3, moe 58) + 1 MTP"));
  CHECK_THAT(r.output, Catch::Contains("published 671B (x1.000) / 37B active (x0.990, as they count)"));
  CHECK(test_support::run_cli("list preset").exit_code == 2);
}
