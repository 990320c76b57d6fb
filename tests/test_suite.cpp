// Suite files: the shipped suites load and expand; malformed ones are refused
// with file:line:col and what was expected; a parameter a variant lacks is left
// out unless the entry requires it; plugins' fragments join the quick suite.
// Expectations come from the registry, so a new plugin does not break them.
#include "harness/errors.hpp"
#include "harness/estimate.hpp"
#include "harness/runner.hpp"
#include "harness/suite.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <map>

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <set>

using namespace archbench;

namespace {

std::string error_of(const std::string& toml) {
  static test_support::TempDir tmp;
  static int counter = 0;
  const std::string path = tmp.file("suite" + std::to_string(counter++) + ".toml");
  std::ofstream(path) << toml;
  try {
    load_suite(path);
  } catch (const InputError& e) {
    const std::string message = e.what();
    return message.rfind(path, 0) == 0 ? message.substr(path.size()) : "(no path) " + message;
  }
  return "(accepted)";
}

const char* valid_entry = "[[problems]]\nvariant = \"ffn/*\"\n";

bool matches(const std::string& glob, const char* name) { return fnmatch(glob.c_str(), name, 0) == 0; }

bool has_param(const ab_variant& variant, const std::string& name) {
  for (uint32_t i = 0; i < variant.param_count; ++i)
    if (name == variant.params[i].name) return true;
  return false;
}

std::vector<PlannedProblem> plan_of(const std::vector<std::string>& suites, const Registry& registry,
                                    std::vector<SkippedParam>* skipped = nullptr) {
  RunRequest request;
  request.suites = suites;
  request.backends = {AB_BACKEND_CPU};
  return plan_run(request, registry, skipped);
}

size_t rows_of(const std::vector<PlannedProblem>& plan, const std::string& variant) {
  return size_t(std::count_if(plan.begin(), plan.end(),
                              [&](const PlannedProblem& p) { return p.problem.variant->name == variant; }));
}

// A plugin folder in `tmp` holding a copy of the new_norm mock (norm/dyt) and,
// when given, a suite fragment.
std::string new_norm_folder(const test_support::TempDir& tmp, const std::string& fragment = "") {
  const auto folder = tmp.path / "new_norm";
  std::filesystem::create_directories(folder);
  std::filesystem::copy(std::string(ARCHBENCH_MOCK_DIR) + "/new_norm/libmock_new_norm.so", folder);
  if (!fragment.empty()) std::ofstream(folder / "suite.toml") << fragment;
  return folder.string();
}

}  // namespace

TEST_CASE("the shipped suites load and expand into problems for every variant they match", "[suite]") {
  for (const char* name : {"quick", "micro", "attention"}) {
    INFO(name);
    // The variants the suite's globs match (quick: with the plugins' fragments).
    Suite suite = load_suite(name);
    if (suite.name == "quick")
      for (const std::string& fragment : test_support::in_tree().suite_fragments()) append_fragment(suite, fragment);
    std::set<std::string> matched;
    for (const ab_variant* v : test_support::in_tree().variants())
      for (const SuiteEntry& entry : suite.entries)
        if (matches(entry.variant_glob, v->name)) matched.insert(v->name);
    std::set<std::string> variants, dtypes, blocks;
    for (const auto& p : plan_of({name}, test_support::in_tree())) {
      (std::string(p.problem.variant->kind) == "block" ? blocks : variants).insert(p.problem.variant->name);
      dtypes.insert(dtype_name(p.problem.dtype));
    }
    CHECK(!matched.empty());
    CHECK(variants == matched);
    // quick's whole blocks, made from their presets.
    if (suite.name == "quick")
      CHECK(blocks == std::set<std::string>{"block/olmo2-7b.dense", "block/qwen3-next-80b-a3b.deltanet",
                                            "block/smollm3-3b.nope"});
    CHECK(dtypes == std::set<std::string>{"bf16", "f32"});
  }
  RunRequest quick;
  quick.backends = {AB_BACKEND_CPU};  // no suite and no problem: the default "quick"
  const auto plan = plan_run(quick, test_support::in_tree());
  // quick.toml's glob entries, per variant the registry has: every norm in f32
  // and bf16, with residual 0 and 1 where the norm has `residual`; every FFN in
  // f32 and bf16 at 128 tokens.
  for (const ab_variant* v : test_support::in_tree().variants()) {
    INFO(v->name);
    const std::string name = v->name;
    if (matches("norm/*", v->name)) CHECK(rows_of(plan, name) == 2u * (has_param(*v, "residual") ? 2 : 1));
    size_t at_128 = 0;
    for (const auto& p : plan) at_128 += p.problem.variant == v && p.problem.canonical().find(":t128.") != std::string::npos;
    if (matches("ffn/*", v->name)) CHECK(at_128 == 2);
  }
  // Its attention entries name their variants: GQA causal and window x 2 modes
  // x 2 dtypes, a gated GQA decode, ALiBi MHA x 2 modes, MQA decode, needle rows
  // at 2 contexts for GQA causal, GQA window and ALiBi MHA, and one recall row
  // through the GQA window.
  CHECK(rows_of(plan, "attention/gqa") == 8 + 1 + 4 + 1);
  CHECK(rows_of(plan, "attention/mha") == 2 + 2);
  CHECK(rows_of(plan, "attention/mqa") == 1);
  std::map<std::string, size_t> task_rows;
  for (const auto& p : plan)
    if (p.task) {
      ++task_rows[p.task->entry().name];
      CHECK(p.problem.canonical().find(":prefill.") != std::string::npos);
    }
  CHECK(task_rows == std::map<std::string, size_t>{{"needle", 6}, {"recall", 1}});
  CHECK(plan[0].suite == "quick");
  CHECK(plan[0].measurement.repetitions == 9);  // quick.toml: enough for compare's U test
  CHECK(plan[0].measurement.rounds == 3);       // in three processes, so compare can test rounds
}

TEST_CASE("every shipped suite loads and plans rows on the CPU", "[suite]") {
  const std::vector<Suite> suites = list_suites();
  CHECK(suites.size() >= 11);
  for (const Suite& suite : suites) {
    INFO(suite.path);
    CHECK_FALSE(plan_of({suite.path}, test_support::in_tree()).empty());
  }
}

TEST_CASE("a [[problems]] entry may override the suite's [measure]", "[suite]") {
  RunRequest request;
  request.suites = {"attention"};
  request.backends = {AB_BACKEND_CPU};
  size_t long_ones = 0;
  for (const auto& p : plan_run(request, test_support::in_tree())) {
    const std::string c = p.problem.canonical();
    const bool long_causal = c.find("prefill.b1.s32768.h32.kvh8") != std::string::npos &&
                             c.find(".causal.") != std::string::npos;
    if (!long_causal) continue;
    ++long_ones;
    CHECK(p.measurement.repetitions == 1);
    CHECK(p.measurement.rounds == 1);  // the suite's [measure]: one process at real-model shapes
    CHECK(p.timeout_s == 3600);
  }
  CHECK(long_ones == 2);  // f32 and bf16
}

TEST_CASE("grids expand as the cartesian product - --variant filters - duplicates run once", "[suite]") {
  test_support::TempDir tmp;
  const std::string path = tmp.file("grid.toml");
  std::ofstream(path) << "[[problems]]\nvariant = \"norm/*\"\ndtypes = [\"f32\"]\n"
                         "[problems.params]\ntokens = [8, 16, 8]\nd_model = [64, 128]\n";
  RunRequest request;
  request.suites = {path};
  request.backends = {AB_BACKEND_CPU};
  CHECK(plan_run(request, test_support::in_tree()).size() == 2 * 2 * 2);  // tokens 8 listed twice
  request.variant_glob = "norm/rms*";
  const auto plan = plan_run(request, test_support::in_tree());
  REQUIRE(plan.size() == 4);
  CHECK(plan[0].problem.canonical() == "norm/rmsnorm:t8.dm64.eps1e-05.res0.f32");
}

TEST_CASE("malformed suites are refused with file:line:col and what was expected", "[suite]") {
  CHECK_THAT(error_of("name = \"x\"\n[[problems]\n"), Catch::Matches(":2:\\d+: .+"));
  CHECK(error_of("name = 3\n") == ":1:1: a suite needs at least one [[problems]] table");
  CHECK(error_of("[[problems]]\ndtypes = [\"f32\"]\n") == ":1:1: [[problems]] needs variant = \"kind/name\" (a glob)");
  CHECK(error_of("[[problems]]\nvariant = \"ffn/*\"\ndtypes = [\"f64\"]\n") ==
        ":3:10: dtype 'f64' is not one of f32, bf16, f16");
  CHECK(error_of("[[problems]]\nvariant = \"ffn/*\"\nbackend = [\"cpu\"]\n") ==
        ":3:11: unknown key 'backend' in [[problems]] (expected variant, dtypes, backends, seed, params, measure, quick, task, require)");
  CHECK(error_of(std::string(valid_entry) + "[problems.params]\ntokens = []\n") ==
        ":4:10: parameter 'tokens' has an empty list");
  CHECK(error_of(std::string(valid_entry) + "[problems.params]\ntokens = { a = 1 }\n") ==
        ":4:10: parameter 'tokens' expects a number, a string or a list of them");
  CHECK(error_of(std::string("[measure]\nrepetitions = 0\n") + valid_entry) ==
        ":2:15: 'repetitions' expects an integer in [1, 1000]");
  CHECK(error_of(std::string("[measure]\nrounds = 0\n") + valid_entry) == ":2:10: 'rounds' expects an integer in [1, 100]");
  CHECK(error_of(std::string(valid_entry) + "[problems.measure]\nrounds = 2.5\n") ==
        ":4:10: 'rounds' expects an integer in [1, 100]");
  CHECK(error_of(std::string("[measure]\nmin_time = \"fast\"\n") + valid_entry) ==
        ":2:12: 'min_time' expects a number of seconds in (0, 3600]");
  CHECK(error_of(std::string("[measure]\nmin_time = 0\n") + valid_entry) ==
        ":2:12: 'min_time' expects a number of seconds in (0, 3600]");
  CHECK(error_of(std::string(valid_entry) + "[problems.measure]\ntimeout = -1\n") ==
        ":4:11: 'timeout' expects a number of seconds in (0, 86400]");
  CHECK(error_of(std::string(valid_entry) + "[problems.measure]\nreps = 2\n") ==
        ":4:8: unknown key 'reps' in [problems.measure] (expected repetitions, rounds, min_time, warmup, timeout, timing)");
}

TEST_CASE("suite values that the variant's schema rejects name the suite entry", "[suite]") {
  test_support::TempDir tmp;
  const std::string path = tmp.file("bad.toml");
  RunRequest request;
  request.suites = {path};
  request.backends = {AB_BACKEND_CPU};
  // A required parameter the variant lacks: the error names the `require` item.
  std::ofstream(path) << "name = \"bad\"\n\n[[problems]]\nvariant = \"ffn/swiglu\"\nrequire = [\"tokens\", \"width\"]\n"
                         "[problems.params]\ntokens = 8\nwidth = 4\n";
  try {
    plan_run(request, test_support::in_tree());
    FAIL("accepted");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == path + ":5:22: ffn/swiglu has no parameter 'width', which this entry requires");
  }
  // A value out of the variant's range is an error whether or not it is required.
  std::ofstream(path, std::ios::trunc) << "[[problems]]\nvariant = \"ffn/swiglu\"\n[problems.params]\ntokens = 0\n";
  CHECK_THROWS_WITH(plan_run(request, test_support::in_tree()), Catch::Contains(":1:1: tokens = 0 is outside"));
  CHECK_THROWS_WITH(load_suite("no-such-suite"), Catch::Contains("--suite: no suite file 'no-such-suite'"));
}

TEST_CASE("unknown keys at the top level or in [measure] are refused - not ignored", "[suite]") {
  CHECK(error_of(std::string("[measure]\nrepetition = 3\n") + valid_entry) ==
        ":2:14: unknown key 'repetition' in [measure] (expected repetitions, rounds, min_time, warmup, timeout, timing)");
  CHECK(error_of(std::string("nmae = \"x\"\n") + valid_entry) ==
        ":1:8: unknown key 'nmae' in the suite (expected name, description, measure, task, problems)");
}

TEST_CASE("a suite parameter a variant lacks is left out for it - not an error - and a list gives it one problem", "[suite]") {
  test_support::TempDir tmp;
  const std::string path = tmp.file("loose.toml");
  // The head-count family (MHA, GQA, MQA): latent attention has no head_dim.
  std::ofstream(path) << "[[problems]]\nvariant = \"attention/?[hq]a\"\n[problems.params]\n"
                         "mode = \"prefill\"\nseq = 64\nheads = 4\nhead_dim = 16\nkv_heads = [1, 2]\n";
  std::vector<SkippedParam> skipped;
  const auto plan = plan_of({path}, test_support::in_tree(), &skipped);
  std::set<std::string> lacking;
  size_t expected = 0;
  for (const ab_variant* v : test_support::in_tree().variants()) {
    if (!matches("attention/?[hq]a", v->name)) continue;
    INFO(v->name);
    const bool has = has_param(*v, "kv_heads");
    CHECK(rows_of(plan, v->name) == (has ? 2u : 1u));  // its default stands, once
    if (!has) lacking.insert(v->name);
    expected += has ? 2 : 1;
  }
  CHECK(plan.size() == expected);
  REQUIRE(!lacking.empty());  // the test needs an attention variant without kv_heads (MHA, MQA)
  std::set<std::string> reported;
  for (const SkippedParam& s : skipped) {
    CHECK(s.parameter == "kv_heads");
    CHECK(s.where == path + ":1:1");
    reported.insert(s.variant);
  }
  CHECK(reported == lacking);
  // --variant narrows the report to the variants it selects.
  RunRequest only_gqa;
  only_gqa.suites = {path};
  only_gqa.backends = {AB_BACKEND_CPU};
  only_gqa.variant_glob = "attention/gqa";
  skipped.clear();
  CHECK(plan_run(only_gqa, test_support::in_tree(), &skipped).size() == 2);
  CHECK(skipped.empty());
}

TEST_CASE("require pins parameters: a matched variant without one is an error naming file:line:col", "[suite]") {
  test_support::TempDir tmp;
  const std::string path = tmp.file("pinned.toml");
  std::ofstream(path) << "[[problems]]\nvariant = \"attention/*\"\nrequire = [\"kv_heads\"]\n[problems.params]\n"
                         "seq = 64\nheads = 4\nhead_dim = 16\nkv_heads = 2\n";
  std::string first_without;  // the registry lists variants by name
  for (const ab_variant* v : test_support::in_tree().variants())
    if (first_without.empty() && matches("attention/*", v->name) && !has_param(*v, "kv_heads")) first_without = v->name;
  REQUIRE(!first_without.empty());
  CHECK_THROWS_WITH(plan_of({path}, test_support::in_tree()),
                    path + ":3:12: " + first_without + " has no parameter 'kv_heads', which this entry requires");
  // The same pin on a glob whose variants all have it plans normally.
  std::ofstream(path, std::ios::trunc) << "[[problems]]\nvariant = \"attention/gqa\"\nrequire = [\"kv_heads\"]\n"
                                          "[problems.params]\nseq = 64\nheads = 4\nhead_dim = 16\nkv_heads = 2\n";
  CHECK(plan_of({path}, test_support::in_tree()).size() == 1);
  // `require` lists names that [problems.params] sets.
  CHECK(error_of(std::string(valid_entry) + "require = [\"d_ff\"]\n") ==
        ":3:12: 'require' names 'd_ff', which [problems.params] does not set");
  CHECK(error_of(std::string(valid_entry) + "require = \"d_ff\"\n[problems.params]\nd_ff = 8\n") ==
        ":3:11: 'require' expects a list of parameter names");
}

TEST_CASE("issue 12: a new norm without residual joins the quick plan once per dtype - skipped pair reported", "[suite]") {
  test_support::TempDir tmp;
  const auto registry = test_support::load_from({ARCHBENCH_PLUGIN_DIR, new_norm_folder(tmp)});
  REQUIRE(registry.find("norm/dyt") != nullptr);
  std::vector<SkippedParam> skipped;
  const auto plan = plan_of({"quick"}, registry, &skipped);
  std::set<std::string> dyt;
  for (const auto& p : plan)
    if (p.problem.variant->name == std::string("norm/dyt")) dyt.insert(p.problem.canonical());
  CHECK(dyt == std::set<std::string>{"norm/dyt:n1024.t512.dm4096.f32", "norm/dyt:n1024.t512.dm4096.bf16"});
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].variant == "norm/dyt");
  CHECK(skipped[0].parameter == "residual");
  CHECK_THAT(skipped[0].where, Catch::EndsWith("suites/quick.toml:14:1"));
}

TEST_CASE("a plugin's suite fragment joins the quick suite - and only quick", "[suite]") {
  test_support::TempDir tmp;
  const std::string folder = new_norm_folder(tmp, "[[problems]]\nvariant = \"norm/dyt\"\n[problems.params]\ntokens = 8\nd_model = 16\n"
                                                  "[problems.measure]\nrepetitions = 2\n");
  const auto registry = test_support::load_from({ARCHBENCH_PLUGIN_DIR, folder});
  REQUIRE(registry.suite_fragments().size() == test_support::in_tree().suite_fragments().size() + 1);
  CHECK(registry.suite_fragments().back() == folder + "/suite.toml");
  const auto plan = plan_of({"quick"}, registry);
  const auto row = std::find_if(plan.begin(), plan.end(), [](const PlannedProblem& p) {
    return p.problem.canonical() == "norm/dyt:n1024.t8.dm16.f32";
  });
  REQUIRE(row != plan.end());
  CHECK(row->suite == "quick");
  CHECK(row->measurement.repetitions == 2);      // its own [problems.measure]
  CHECK(row->measurement.min_time_s == 0.03);    // quick's [measure] otherwise
  for (const auto& p : plan_of({"micro"}, registry)) CHECK(p.problem.canonical().find(".t8.dm16.") == std::string::npos);
}

TEST_CASE("the in-tree plugins' fragments are built beside them and all their problems are in the quick plan", "[suite]") {
  const auto plugin_sources = std::filesystem::path(ARCHBENCH_TEST_DATA).parent_path().parent_path() / "plugins";
  std::set<std::string> expected, found;
  for (const auto& plugin : test_support::in_tree().plugins()) {
    const auto folder = std::filesystem::path(plugin.path).parent_path();
    if (std::filesystem::exists(plugin_sources / folder.filename() / "suite.toml"))
      expected.insert((folder / "suite.toml").string());
  }
  for (const std::string& fragment : test_support::in_tree().suite_fragments()) found.insert(fragment);
  CHECK(found == expected);  // copied by archbench_add_plugin, and nothing stale
  std::set<std::string> quick;
  for (const auto& p : plan_of({"quick"}, test_support::in_tree())) quick.insert(p.problem.canonical());
  for (const std::string& fragment : found) {
    INFO(fragment);
    const auto own = plan_of({fragment}, test_support::in_tree());  // a fragment is also a suite file
    CHECK(!own.empty());
    for (const auto& p : own) CHECK(quick.count(p.problem.canonical()) == 1);
  }
}

TEST_CASE("a bad fragment is an error naming the fragment's file:line:col", "[suite]") {
  test_support::TempDir tmp;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[[problems]]\nvariant = \"norm/dyt\"\ndtypes = \"f32\"\n", ":3:10: 'dtypes' expects a list of strings"},
      {"[measure]\nrepetitions = 2\n[[problems]]\nvariant = \"norm/dyt\"\n",
       ":1:1: unknown key 'measure' in a suite fragment (expected problems)"},
      {"# nothing here\n", ":1:1: a suite fragment needs at least one [[problems]] table"},
      {"[[problems]]\nvariant = \"norm/dyt\"\n[problems.params]\ntokens = 0\n", ":1:1: tokens = 0 is outside"},
  };
  for (const auto& [text, expected] : cases) {
    INFO(text);
    test_support::TempDir plugin;
    const std::string folder = new_norm_folder(plugin, text);
    const auto registry = test_support::load_from({folder});
    CHECK_THROWS_WITH(plan_of({"quick"}, registry), Catch::StartsWith(folder + "/suite.toml" + expected));
  }
}

TEST_CASE("the dry-run estimate: repetitions x (min time + warm-up) + a check per round growing with FLOPs - capped by the timeout", "[suite]") {
  PlannedProblem timed{parse_problem("attention/gqa:prefill.s2048.h8.kvh2.hd64", test_support::in_tree()),
                       AB_BACKEND_CPU, "s", Measurement{}, 600, nullptr};
  timed.measurement.repetitions = 5;
  timed.measurement.min_time_s = 0.05;
  timed.measurement.warmup_s = 0.02;
  const double flops = describe_record(timed.problem, AB_BACKEND_CPU).flops;
  REQUIRE(flops > 1e9);  // so the work term is visible next to the fixed ones
  const double check = kCheckSeconds + flops / kCheckFlopsPerSecond;
  CHECK(estimated_seconds(timed) == Approx(5 * 0.07 + 3 * check));  // three rounds by default, each checks
  timed.measurement.rounds = 1;
  CHECK(estimated_seconds(timed) == Approx(5 * 0.07 + check));
  PlannedProblem checked = timed;
  checked.measurement.perf = false;
  CHECK(estimated_seconds(checked) == Approx(check));
  PlannedProblem capped = timed;
  capped.timeout_s = 0.1;  // never longer than its timeout
  CHECK(estimated_seconds(capped) == Approx(0.1));
  PlannedProblem task = timed;
  task.task = tasks::parse_task("needle");
  CHECK(estimated_seconds(task) == Approx(kTaskRowSeconds + flops / kTaskFlopsPerSecond));
  CHECK(format_duration(44.2) == "45 s");
  CHECK(format_duration(200) == "3 min 20 s");
  CHECK(format_duration(3900) == "1 h 05 min");
}

TEST_CASE("a [task] table's keys after kind and contexts are its task's options", "[suite]") {
  // The registry entry of the kind reads them; errors still point into the file.
  const std::string multihop = "[task]\nkind = \"multihop\"\ncontexts = [1024]\n";
  const std::string needle = "[task]\nkind = \"needle\"\ncontexts = [1024]\n";
  CHECK(error_of(multihop + "form = \"single\"\n" + valid_entry) == ":4:8: 'form' is not an option of multihop");
  CHECK(error_of(needle + "form = \"sideways\"\n" + valid_entry) ==
        ":4:8: 'form' expects single, multi-key, multi-value or multi-query, not 'sideways'");
  CHECK(error_of(needle + "trials = [4, 8]\n" + valid_entry) == ":4:10: 'trials' expects one value, not a list");
  CHECK(error_of("[task]\nkind = \"haystack\"\n" + std::string(valid_entry)) == ":2:8: 'kind' expects needle, multihop or recall");
  CHECK(error_of("[task]\ncontexts = [1024]\n" + std::string(valid_entry)) ==
        ":3:1: an accuracy task needs kind = needle, multihop or recall in [task]");
  CHECK(error_of(needle + "colour = 1\n" + valid_entry).find("unknown key 'colour' in [task]") != std::string::npos);

  // A list of forms and one of contents form a grid; the other options apply to each.
  const Suite suite = [&] {
    test_support::TempDir tmp;
    const std::string path = tmp.file("grid.toml");
    std::ofstream(path) << needle << "form = [\"single\", \"multi-key\"]\ncontent = [\"spread\", \"low-freq\"]\n"
                        << "trials = 4\n" << valid_entry;
    return load_suite(path);
  }();
  std::vector<std::string> tasks;
  for (const auto& t : suite.entries.at(0).tasks) tasks.push_back(t->canonical());
  CHECK(tasks == std::vector<std::string>{"needle.single.spread.beta32.t4.ds10", "needle.single.low-freq.beta32.t4.ds10",
                                          "needle.multi-key.spread.beta32.t4.k4.ds10",
                                          "needle.multi-key.low-freq.beta32.t4.k4.ds10"});
}

TEST_CASE("issue 13: suite seconds must be finite and in range - nan, inf and 1e300 are input errors at file:line:col", "[suite]") {
  // Before: nan and inf passed (`nan < 0` is false), so a problem never timed
  // out, and a nan min_time aborted the measuring child in Google Benchmark.
  const std::string timeout = "'timeout' expects a number of seconds in (0, 86400]";
  for (const char* value : {"nan", "inf", "+inf", "-inf", "1e300", "0", "86401"}) {
    INFO(value);
    CHECK(error_of(std::string("[measure]\ntimeout = ") + value + "\n" + valid_entry) == ":2:11: " + timeout);
    CHECK(error_of(std::string(valid_entry) + "[problems.measure]\ntimeout = " + value + "\n") == ":4:11: " + timeout);
  }
  for (const char* value : {"nan", "-nan", "inf", "1e300", "-0.5"}) {
    INFO(value);
    CHECK(error_of(std::string("[measure]\nmin_time = ") + value + "\n" + valid_entry) ==
          ":2:12: 'min_time' expects a number of seconds in (0, 3600]");
    CHECK(error_of(std::string("[measure]\nwarmup = ") + value + "\n" + valid_entry) ==
          ":2:10: 'warmup' expects a number of seconds in [0, 3600]");
  }
  // The bounds themselves are fine, and a warm-up may be zero.
  CHECK(error_of(std::string("[measure]\ntimeout = 86400\nmin_time = 3600\nwarmup = 0\n") + valid_entry) == "(accepted)");
}

TEST_CASE("issue 13: a grid above the plan cap is refused in one line before it is built", "[suite]") {
  // 50 x 50 x 50 = 125000 points in one entry: refused when the file loads, at its params table.
  std::string axis = "[";
  for (int i = 1; i <= 50; ++i) axis += std::to_string(i) + (i < 50 ? ", " : "]");
  CHECK(error_of(std::string(valid_entry) + "[problems.params]\ntokens = " + axis + "\nd_model = " + axis +
                 "\nd_ff = " + axis + "\n") ==
        ":3:1: this entry's grid has more than 100000 problems, the most one run plans; split or narrow it");
  // 100 x 200 = 20000 points x 2 dtypes loads, but the three FFN variants make 120000 rows:
  // refused by the planner, naming the entry, before any row is made.
  test_support::TempDir tmp;
  const std::string path = tmp.file("big.toml");
  std::string tokens = "[", widths = "[";
  for (int i = 1; i <= 100; ++i) tokens += std::to_string(i) + (i < 100 ? ", " : "]");
  for (int i = 1; i <= 200; ++i) widths += std::to_string(i) + (i < 200 ? ", " : "]");
  std::ofstream(path) << "[[problems]]\nvariant = \"ffn/*\"\ndtypes = [\"f32\", \"bf16\"]\n[problems.params]\ntokens = " +
                             tokens + "\nd_model = " + widths + "\nd_ff = 8\n";
  REQUIRE(test_support::in_tree().find("ffn/geglu") != nullptr);
  CHECK_THROWS_WITH(plan_of({path}, test_support::in_tree()),
                    path + ":1:1: the plan would have more than 100000 rows, the most one run plans; narrow this "
                           "entry's grid, or select with --variant or --backend");
  // Selecting one variant brings it under the cap.
  RunRequest one;
  one.suites = {path};
  one.backends = {AB_BACKEND_CPU};
  one.variant_glob = "ffn/swiglu";
  CHECK(plan_run(one, test_support::in_tree()).size() == 40000);
}

TEST_CASE("issue 13: a suite's nan or inf parameter is out of range - found by the fuzz test", "[suite]") {
  test_support::TempDir tmp;
  const std::string path = tmp.file("nan.toml");
  for (const char* value : {"nan", "inf", "-inf"}) {
    INFO(value);
    std::ofstream(path, std::ios::trunc) << "[[problems]]\nvariant = \"norm/layernorm\"\n[problems.params]\neps = " << value << "\n";
    CHECK_THROWS_WITH(plan_of({path}, test_support::in_tree()),
                      Catch::Contains(path + ":1:1: eps = ") && Catch::Contains(" is outside ["));
  }
}
