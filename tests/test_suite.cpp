// Suite files: the shipped suites load and expand; malformed ones are refused
// with file:line:col and what was expected.
#include "harness/errors.hpp"
#include "harness/runner.hpp"
#include "harness/suite.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

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

}  // namespace

TEST_CASE("the shipped suites load and expand into problems for every variant", "[suite]") {
  const std::pair<const char*, size_t> expected_variants[] = {{"quick", 8}, {"micro", 5}, {"attention", 3}};
  for (const auto& [name, variant_count] : expected_variants) {
    INFO(name);
    RunRequest request;
    request.suites = {name};
    request.backends = {AB_BACKEND_CPU};
    const auto plan = plan_run(request, test_support::in_tree());
    std::set<std::string> variants, dtypes;
    for (const auto& p : plan) {
      variants.insert(p.problem.variant->name);
      dtypes.insert(dtype_name(p.problem.dtype));
    }
    CHECK(variants.size() == variant_count);
    CHECK(dtypes == std::set<std::string>{"bf16", "f32"});
  }
  RunRequest quick;
  quick.backends = {AB_BACKEND_CPU};  // no suite and no problem: the default "quick"
  const auto plan = plan_run(quick, test_support::in_tree());
  // 2 norms x 2 residual x 2 dtypes + 3 ffns x 2 dtypes, then attention:
  // 2 GQA entries x 2 modes x 2 dtypes + MHA x 2 modes + MQA decode, then
  // needle rows at 2 contexts for GQA causal, GQA window and ALiBi MHA.
  CHECK(plan.size() == 14 + 8 + 2 + 1 + 3 * 2);
  size_t needle_rows = 0;
  for (const auto& p : plan)
    if (p.task) {
      ++needle_rows;
      CHECK(p.task->entry().name == "needle");
      CHECK(p.problem.canonical().find(":prefill.") != std::string::npos);
    }
  CHECK(needle_rows == 6);
  CHECK(plan[0].suite == "quick");
  CHECK(plan[0].measurement.repetitions == 5);
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
        ":3:11: unknown key 'backend' in [[problems]] (expected variant, dtypes, backends, seed, params, measure, quick, task)");
  CHECK(error_of(std::string(valid_entry) + "[problems.params]\ntokens = []\n") ==
        ":4:10: parameter 'tokens' has an empty list");
  CHECK(error_of(std::string(valid_entry) + "[problems.params]\ntokens = { a = 1 }\n") ==
        ":4:10: parameter 'tokens' expects a number, a string or a list of them");
  CHECK(error_of(std::string("[measure]\nrepetitions = 0\n") + valid_entry) ==
        ":2:15: 'repetitions' expects an integer in [1, 1000]");
  CHECK(error_of(std::string("[measure]\nmin_time = \"fast\"\n") + valid_entry) ==
        ":2:12: 'min_time' expects a non-negative number");
  CHECK(error_of(std::string("[measure]\nmin_time = 0\n") + valid_entry) ==
        ":2:12: 'min_time' expects a positive number of seconds");
  CHECK(error_of(std::string(valid_entry) + "[problems.measure]\ntimeout = -1\n") ==
        ":4:11: 'timeout' expects a non-negative number");
  CHECK(error_of(std::string(valid_entry) + "[problems.measure]\nreps = 2\n") ==
        ":4:8: unknown key 'reps' in [problems.measure] (expected repetitions, min_time, warmup, timeout, timing)");
}

TEST_CASE("suite values that the variant's schema rejects name the suite entry", "[suite]") {
  test_support::TempDir tmp;
  const std::string path = tmp.file("bad.toml");
  std::ofstream(path) << "name = \"bad\"\n\n[[problems]]\nvariant = \"ffn/swiglu\"\n[problems.params]\nwidth = 4\n";
  RunRequest request;
  request.suites = {path};
  request.backends = {AB_BACKEND_CPU};
  try {
    plan_run(request, test_support::in_tree());
    FAIL("accepted");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == path + ":3:1: ffn/swiglu has no parameter 'width'");
  }
  std::ofstream(path, std::ios::trunc) << "[[problems]]\nvariant = \"ffn/swiglu\"\n[problems.params]\ntokens = 0\n";
  CHECK_THROWS_WITH(plan_run(request, test_support::in_tree()), Catch::Contains(":1:1: tokens = 0 is outside"));
  CHECK_THROWS_WITH(load_suite("no-such-suite"), Catch::Contains("--suite: no suite file 'no-such-suite'"));
}

TEST_CASE("unknown keys at the top level or in [measure] are refused - not ignored", "[suite]") {
  CHECK(error_of(std::string("[measure]\nrepetition = 3\n") + valid_entry) ==
        ":2:14: unknown key 'repetition' in [measure] (expected repetitions, min_time, warmup, timeout, timing)");
  CHECK(error_of(std::string("nmae = \"x\"\n") + valid_entry) ==
        ":1:8: unknown key 'nmae' in the suite (expected name, description, measure, task, problems)");
}

TEST_CASE("a [task] table's keys after kind and contexts are its task's options", "[suite]") {
  // The registry entry of the kind reads them; errors still point into the file.
  const std::string multihop = "[task]\nkind = \"multihop\"\ncontexts = [1024]\n";
  const std::string needle = "[task]\nkind = \"needle\"\ncontexts = [1024]\n";
  CHECK(error_of(multihop + "form = \"single\"\n" + valid_entry) == ":4:8: 'form' is not an option of multihop");
  CHECK(error_of(needle + "form = \"sideways\"\n" + valid_entry) ==
        ":4:8: 'form' expects single, multi-key, multi-value or multi-query, not 'sideways'");
  CHECK(error_of(needle + "trials = [4, 8]\n" + valid_entry) == ":4:10: 'trials' expects one value, not a list");
  CHECK(error_of("[task]\nkind = \"haystack\"\n" + std::string(valid_entry)) == ":2:8: 'kind' expects needle or multihop");
  CHECK(error_of("[task]\ncontexts = [1024]\n" + std::string(valid_entry)) ==
        ":3:1: an accuracy task needs kind = needle or multihop in [task]");
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
