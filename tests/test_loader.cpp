// Plugin loading: ABI negotiation and each reason a plugin is refused, with
// the rest of the plugins still loaded.
#include "harness/file_hash.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <set>

using archbench::Refusal;
using test_support::load_from;
using test_support::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string mocks = ARCHBENCH_MOCK_DIR;
const std::string plugins = ARCHBENCH_PLUGIN_DIR;

std::string single_refusal(const std::vector<std::string>& dirs) {
  std::vector<Refusal> refusals;
  load_from(dirs, &refusals);
  REQUIRE(refusals.size() == 1);
  return refusals[0].line();
}

// Copies an in-tree plugin folder so a test can damage the copy.
fs::path copy_plugin(const TempDir& tmp, const std::string& name) {
  const fs::path target = tmp.path / name;
  fs::create_directories(target);
  fs::copy(fs::path(plugins) / name, target, fs::copy_options::recursive);
  return target;
}

}  // namespace

TEST_CASE("in-tree plugins load with ABI 3 and register all their variants", "[loader]") {
  std::vector<Refusal> refusals;
  auto registry = load_from({plugins}, &refusals);
  CHECK(refusals.empty());
  // Every manifest's plugin loads and registers exactly the variants it lists.
  const auto manifests = archbench::read_manifests({plugins}, refusals);
  REQUIRE(!manifests.empty());
  REQUIRE(registry.plugins().size() == manifests.size());
  for (const auto& p : registry.plugins()) CHECK(p.abi_version == 3);
  size_t listed = 0;
  for (const auto& manifest : manifests)
    for (const std::string& name : manifest.variants) {
      INFO(manifest.path << ": " << name);
      ++listed;
      REQUIRE(registry.find(name) != nullptr);
      CHECK(registry.plugin_of(registry.find(name))->name == manifest.name);
    }
  CHECK(registry.variants().size() == listed);
}

TEST_CASE("a file that is not a shared library is refused and the rest still load", "[loader]") {
  std::vector<Refusal> refusals;
  auto registry = load_from({mocks + "/garbage", plugins}, &refusals);
  REQUIRE(refusals.size() == 1);
  CHECK_THAT(refusals[0].line(), Catch::StartsWith("refused plugin " + mocks + "/garbage/libgarbage.so: not a loadable shared library"));
  // The loader's own words, not Boost.DLL's "(Bad file descriptor)" (issue 13).
  CHECK_THAT(refusals[0].line(), Catch::EndsWith("not a loadable shared library: file too short") ||
                                     Catch::EndsWith("not a loadable shared library: invalid ELF header"));
  CHECK(registry.variants().size() == test_support::in_tree().variants().size());
}

TEST_CASE("a library without the entry symbol is refused", "[loader]") {
  CHECK_THAT(single_refusal({mocks + "/no_entry"}),
             Catch::Contains("libmock_no_entry.so: no entry symbol 'archbench_plugin_entry'"));
}

TEST_CASE("ABI negotiation: older and newer ranges that do not overlap are refused", "[loader]") {
  CHECK_THAT(single_refusal({mocks + "/old_abi"}), Catch::Contains("plugin speaks ABI 0..0, host speaks 1..3"));
  unsetenv("MOCK_NEW_ABI_MIN");
  CHECK_THAT(single_refusal({mocks + "/new_abi"}), Catch::Contains("plugin speaks ABI 4..6, host speaks 1..3"));
}

TEST_CASE("ABI negotiation: an overlapping newer plugin settles on the host's version", "[loader]") {
  setenv("MOCK_NEW_ABI_MIN", "1", 1);
  std::vector<Refusal> refusals;
  auto registry = load_from({mocks + "/new_abi"}, &refusals);
  unsetenv("MOCK_NEW_ABI_MIN");
  CHECK(refusals.empty());
  REQUIRE(registry.plugins().size() == 1);
  CHECK(registry.plugins()[0].abi_version == 3);
}

TEST_CASE("a variant name registered twice refuses the second plugin", "[loader]") {
  std::vector<Refusal> refusals;
  auto registry = load_from({plugins, mocks + "/duplicate"}, &refusals);
  REQUIRE(refusals.size() == 1);
  CHECK_THAT(refusals[0].line(), Catch::Contains("libmock_duplicate.so: variant 'norm/rmsnorm' is already registered by plugin norm"));
  CHECK(registry.plugins().size() == test_support::in_tree().plugins().size());  // the in-tree ones keep working
  CHECK(registry.plugin_of(registry.find("norm/rmsnorm"))->name == "norm");
}

TEST_CASE("a manifest that disagrees with its library refuses the plugin", "[loader]") {
  TempDir tmp;
  const fs::path norm = copy_plugin(tmp, "norm");
  std::ifstream in(norm / "plugin.json");
  std::string manifest((std::istreambuf_iterator<char>(in)), {});
  manifest.replace(manifest.find("\"0.1.0\""), 7, "\"9.9.9\"");
  std::ofstream(norm / "plugin.json") << manifest;
  CHECK_THAT(single_refusal({tmp.path.string()}), Catch::Contains("disagrees with the library (manifest: norm 9.9.9"));
}

TEST_CASE("a manifest whose library is missing is refused - other plugins are unaffected", "[loader]") {
  TempDir tmp;
  copy_plugin(tmp, "norm");
  const fs::path ffn = copy_plugin(tmp, "ffn");
  fs::remove(ffn / "libarchbench_ffn.so");
  std::vector<Refusal> refusals;
  auto registry = load_from({tmp.path.string()}, &refusals);
  REQUIRE(refusals.size() == 1);
  CHECK_THAT(refusals[0].line(), Catch::Contains("its library libarchbench_ffn.so is missing"));
  CHECK(registry.find("ffn/swiglu") == nullptr);
  CHECK(registry.find("norm/rmsnorm") != nullptr);
  const auto& in_tree = test_support::in_tree();
  CHECK(registry.variants().size() == in_tree.plugin_of(in_tree.find("norm/rmsnorm"))->variants.size());
}

TEST_CASE("a malformed manifest is refused with the parse error", "[loader]") {
  TempDir tmp;
  const fs::path norm = copy_plugin(tmp, "norm");
  std::ofstream(norm / "plugin.json") << "{ \"name\": \"norm\", ";
  CHECK_THAT(single_refusal({tmp.path.string()}), Catch::Contains("plugin.json: malformed manifest"));
}

TEST_CASE("the search path puts the in-tree plugins first - then --plugin-dir - then ARCHBENCH_PLUGIN_PATH", "[loader]") {
  // The first plugin to register a name owns it, so the in-tree ones come first (issue 13).
  setenv("ARCHBENCH_PLUGIN_PATH", "/env/a:/env/b", 1);
  const auto path = archbench::plugin_search_path({"/cli"});
  unsetenv("ARCHBENCH_PLUGIN_PATH");
  REQUIRE(path.size() == 4);
  CHECK_THAT(path[0], Catch::EndsWith("/plugins"));
  CHECK(path[1] == "/cli");
  CHECK(path[2] == "/env/a");
  CHECK(path[3] == "/env/b");
}

TEST_CASE("issue 13: an impostor claiming ffn/swiglu on --plugin-dir is refused with both paths - the in-tree ffn plugin loads", "[loader]") {
  const std::string impostor = mocks + "/impostor/libmock_impostor.so";
  const std::string ffn = plugins + "/ffn/libarchbench_ffn.so";
  const auto listed = test_support::run_cli("list plugins --plugin-dir " + mocks + "/impostor");
  INFO(listed.output);
  CHECK(listed.exit_code == 0);
  CHECK_THAT(listed.output, Catch::Contains("refused plugin " + impostor + ": variant 'ffn/swiglu' is already "
                                            "registered by plugin ffn (" + ffn + ")"));
  CHECK_THAT(listed.output, Catch::Matches("(.|\n)*\nffn +[0-9.]+ +loaded(.|\n)*"));
  // Before, the in-tree plugin was the one refused and its other variants vanished.
  const auto variants = test_support::run_cli("list variants --plugin-dir " + mocks + "/impostor");
  CHECK(variants.exit_code == 0);
  CHECK_THAT(variants.output, Catch::Contains("ffn/geglu"));
  CHECK_THAT(variants.output, !Catch::Contains("impostor: writes zeros"));
}

TEST_CASE("issue 13: each loaded plugin carries its library's content hash", "[loader]") {
  CHECK(archbench::sha1_of("") == "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(archbench::sha1_of("abc") == "sha1:a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(archbench::sha1_of(std::string(1000000, 'a')) == "sha1:34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  TempDir tmp;
  std::ofstream(tmp.file("abc")) << "abc";
  CHECK(archbench::file_sha1(tmp.file("abc")) == "sha1:a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(archbench::file_sha1(tmp.file("missing")) == "");
  const auto& registry = test_support::in_tree();
  std::set<std::string> hashes;
  for (const auto& p : registry.plugins()) {
    INFO(p.path);
    CHECK(p.hash == archbench::file_sha1(p.path));
    CHECK_THAT(p.hash, Catch::Matches("sha1:[0-9a-f]{40}"));
    hashes.insert(p.hash);
  }
  CHECK(hashes.size() == registry.plugins().size());  // different libraries, different hashes
  CHECK_THAT(registry.plugins_json(), Catch::Contains("\"hash\":\"sha1:"));
}

TEST_CASE("issue 13: a plugin whose entry point segfaults is refused in one line - this process and the rest go on", "[loader]") {
  // Without the probe, this test process would die here with SIGSEGV.
  std::vector<Refusal> refusals;
  auto registry = load_from({mocks + "/entry_crash", plugins}, &refusals);
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0].line() == "refused plugin " + mocks + "/entry_crash/libmock_entry_crash.so: loading it "
                              "crashed a probe process (killed by signal 11 (Segmentation fault))");
  CHECK(registry.variants().size() == test_support::in_tree().variants().size());
  // And `list plugins` / `run` through the CLI (exit 139 before).
  const auto listed = test_support::run_cli("list plugins --plugin-dir " + mocks + "/entry_crash");
  CHECK(listed.exit_code == 0);
  CHECK_THAT(listed.output, Catch::Contains("libmock_entry_crash.so: loading it crashed a probe process"));
}
