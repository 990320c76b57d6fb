// ABI 3: old plugins still load and run, fill policies, comparison policies
// (the int32 index-set check above all) and contracts with their adapters.
#include "harness/compare_outputs.hpp"
#include "harness/executor.hpp"
#include "harness/problem.hpp"
#include "harness/task_executor.hpp"
#include "harness/tensors.hpp"
#include "harness/variant_abi.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <set>

using namespace archbench;

namespace {

const std::string mocks = ARCHBENCH_MOCK_DIR;

results::ResultRecord check_only(const Registry& registry, const std::string& problem) {
  Measurement m;
  m.perf = false;
  return execute_problem(parse_problem(problem, registry), AB_BACKEND_CPU, test_support::cpu().host(), m, {});
}

const Registry& index_set_mocks() {
  static Registry registry = test_support::load_from({mocks + "/index_set"});
  return registry;
}

ab_tensor_desc& add_tensor(ab_problem_info& info, const char* name, ab_tensor_role role, ab_dtype dtype,
                           std::initializer_list<int64_t> dims, ab_fill fill = AB_FILL_UNIFORM, double a = -1,
                           double b = 1) {
  ab_tensor_desc& d = info.tensors[info.tensor_count++];
  d = ab_tensor_desc{};
  d.struct_size = sizeof d;
  std::strncpy(d.name, name, sizeof d.name - 1);
  d.role = role;
  d.dtype = dtype;
  d.rank = uint32_t(dims.size());
  int i = 0;
  for (int64_t v : dims) d.dims[i++] = v;
  d.fill = fill;
  d.init_low = a;
  d.init_high = b;
  return d;
}

}  // namespace

TEST_CASE("ABI 1 and ABI 2 plugins still load and run beside ABI 3 ones", "[contracts]") {
  std::vector<Refusal> refusals;
  const Registry registry = test_support::load_from(
      {mocks + "/legacy_abi1", mocks + "/legacy_abi2", ARCHBENCH_PLUGIN_DIR}, &refusals);
  CHECK(refusals.empty());
  for (int abi : {1, 2}) {
    const ab_variant* v = registry.find("legacy/scale" + std::to_string(abi));
    REQUIRE(v != nullptr);
    CHECK(registry.plugin_of(v)->abi_version == uint32_t(abi));
    CHECK_FALSE(has_abi3_fields(*v));
    const auto r = check_only(registry, std::string("legacy/scale") + std::to_string(abi) + ":n1000");
    CHECK(r.outcome == "passed");
    CHECK(*r.nmse < 1e-12);
  }
  CHECK(registry.plugin_of(registry.find("ffn/swiglu"))->abi_version == 3);
}

TEST_CASE("an int32 index-set output passes when right, in any order or among tied scores", "[contracts]") {
  for (const char* variant : {"mock/topk", "mock/topk-reversed", "mock/topk-tie"}) {
    INFO(variant);
    const auto r = check_only(index_set_mocks(), std::string(variant) + ":r64.n32.k4");
    CHECK(r.outcome == "passed");
    CHECK(r.reason.empty());
  }
}

TEST_CASE("an int32 index-set output fails when wrong, duplicated, unwritten or stale", "[contracts]") {
  const std::pair<const char*, const char*> cases[] = {
      {"mock/topk-wrong", "is not in the top 4"},
      {"mock/topk-duplicate", "is chosen twice"},
      {"mock/topk-unwritten", "is not a valid choice"},
      {"mock/topk-once", "is not a valid choice"},  // computed in create, skipped in execute
      {"mock/topk-tie-unscored", "differs from the reference"},  // no scores named: no tie leeway
  };
  for (const auto& [variant, reason] : cases) {
    INFO(variant);
    const auto r = check_only(index_set_mocks(), std::string(variant) + ":r64.n32.k4");
    CHECK(r.outcome == "failed");
    CHECK_THAT(r.reason, Catch::StartsWith("output 'idx' row") && Catch::Contains(reason));
  }
}

TEST_CASE("a causal selection pads rows with few candidates with -1 and never picks a masked one", "[contracts]") {
  const auto right = check_only(index_set_mocks(), "mock/topk-causal:r64.n32.k4");
  CHECK(right.outcome == "passed");
  const std::pair<const char*, const char*> cases[] = {
      {"mock/topk-causal-masked", "is not a valid choice (masked)"},  // a -inf candidate instead of -1
      {"mock/topk-causal-overpadded", "padding (-1) entries are not a valid choice"},
  };
  for (const auto& [variant, reason] : cases) {
    INFO(variant);
    const auto r = check_only(index_set_mocks(), std::string(variant) + ":r64.n32.k4");
    CHECK(r.outcome == "failed");
    CHECK_THAT(r.reason, Catch::StartsWith("output 'idx' row") && Catch::Contains(reason));
  }
}

TEST_CASE("fill policies: every tensor filled as declared, reproducibly", "[contracts]") {
  ab_problem_info info{};
  info.struct_size = sizeof info;
  add_tensor(info, "normal", AB_TENSOR_INPUT, AB_DTYPE_F32, {100000}, AB_FILL_NORMAL, 3.0, 0.5);
  add_tensor(info, "constant", AB_TENSOR_WEIGHT, AB_DTYPE_BF16, {100}, AB_FILL_CONSTANT, 0.25, 0.25);
  add_tensor(info, "decay", AB_TENSOR_INPUT, AB_DTYPE_F32, {10000}, AB_FILL_LOG_UNIFORM, 0.9, 0.999);
  add_tensor(info, "ints", AB_TENSOR_INPUT, AB_DTYPE_I32, {10000}, AB_FILL_INTEGERS, -3, 5);
  add_tensor(info, "perm", AB_TENSOR_INPUT, AB_DTYPE_I32, {50, 16}, AB_FILL_PERMUTATION, 0, 0);
  add_tensor(info, "sample", AB_TENSOR_INPUT, AB_DTYPE_I32, {50, 8}, AB_FILL_PERMUTATION, 100, 0);
  add_tensor(info, "out", AB_TENSOR_OUTPUT, AB_DTYPE_I32, {7});
  REQUIRE(check_declared_tensors(info).empty());
  TensorSet tensors(info);
  tensors.fill(42);
  auto values = [&](uint32_t i) { return tensors.output_as_doubles(i); };

  const auto normal = values(0);
  double sum = 0, square = 0;
  for (double v : normal) sum += v, square += v * v;
  const double mean = sum / double(normal.size()), stddev = std::sqrt(square / double(normal.size()) - mean * mean);
  CHECK(mean == Approx(3.0).margin(0.01));
  CHECK(stddev == Approx(0.5).margin(0.01));
  for (double v : values(1)) CHECK(v == 0.25);
  const auto decay = values(2);
  CHECK(*std::min_element(decay.begin(), decay.end()) >= 0.9f);
  CHECK(*std::max_element(decay.begin(), decay.end()) <= 0.999f);
  const auto int_values = values(3);
  const std::set<double> ints(int_values.begin(), int_values.end());
  CHECK(ints == std::set<double>{-3, -2, -1, 0, 1, 2, 3, 4, 5});
  const auto perm = values(4), sample = values(5);
  for (int row = 0; row < 50; ++row) {
    const std::set<double> p(perm.begin() + row * 16, perm.begin() + row * 16 + 16);
    CHECK(p.size() == 16);
    CHECK((*p.begin() == 0 && *p.rbegin() == 15));
    const std::set<double> s(sample.begin() + row * 8, sample.begin() + row * 8 + 8);
    CHECK(s.size() == 8);
    CHECK((*s.begin() >= 0 && *s.rbegin() < 100));
  }
  tensors.poison_outputs();
  for (double v : values(6)) CHECK(v == double(kPoisonInteger));

  TensorSet again(info);
  again.fill(42);
  for (uint32_t i = 0; i < 6; ++i) CHECK(again.output_as_doubles(i) == values(i));
}

TEST_CASE("declared policies that cannot be honoured fail the problem with the tensor's name", "[contracts]") {
  auto reason = [](auto&& declare) {
    ab_problem_info info{};
    info.struct_size = sizeof info;
    declare(info);
    return check_declared_tensors(info);
  };
  CHECK_THAT(reason([](ab_problem_info& i) {
               add_tensor(i, "idx", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {4, 2}).compare = AB_COMPARE_INDEX_SET;
             }),
             Catch::Equals("tensor 'idx' is an index set but not int32"));
  CHECK_THAT(reason([](ab_problem_info& i) {
               ab_tensor_desc& d = add_tensor(i, "idx", AB_TENSOR_OUTPUT, AB_DTYPE_I32, {4, 2});
               d.compare = AB_COMPARE_INDEX_SET;
               std::strcpy(d.scores, "logits");
             }),
             Catch::Contains("ranks by 'logits', which is not one of the problem's tensors"));
  CHECK_THAT(reason([](ab_problem_info& i) {
               add_tensor(i, "p", AB_TENSOR_INPUT, AB_DTYPE_F32, {4}, AB_FILL_PERMUTATION, 0, 0);
             }),
             Catch::Contains("permutation fill but is not int32"));
  CHECK_THAT(reason([](ab_problem_info& i) {
               add_tensor(i, "d", AB_TENSOR_INPUT, AB_DTYPE_F32, {4}, AB_FILL_LOG_UNIFORM, 0, 0.5);
             }),
             Catch::Contains("log-uniform fill outside 0 < low <= high"));
  CHECK_THAT(reason([](ab_problem_info& i) {
               add_tensor(i, "f", AB_TENSOR_INPUT, AB_DTYPE_F32, {4}, ab_fill(99), 0, 1);
             }),
             Catch::Contains("unknown fill policy"));
}

TEST_CASE("variants reach tasks through contracts: attention offers mixer.qkv/1, ffn does not", "[contracts]") {
  const Registry& registry = test_support::in_tree();
  for (const ab_variant* v : registry.variants()) {
    INFO(v->name);
    CHECK(implements(*v, "mixer.qkv/1") == (std::string(v->kind) == "attention"));
  }
  const tasks::TaskPtr task = tasks::parse_task("needle.single.spread.beta32.t2.ds50");
  const auto ffn = execute_task(parse_problem("ffn/swiglu:t64.dm64.dff128", registry), *task, AB_BACKEND_CPU,
                                test_support::cpu().host());
  CHECK(ffn.outcome == "unimplemented");
  CHECK_THAT(ffn.reason, Catch::Contains("needs contract mixer.qkv/1"));
  // The adapter, not the harness, says why a layer-level attention has no q/k/v form.
  const auto layer = execute_task(parse_problem("attention/mha:s256.h2.hd32.dm64", registry), *task,
                                  AB_BACKEND_CPU, test_support::cpu().host());
  CHECK(layer.outcome == "unimplemented");
  CHECK_THAT(layer.reason, Catch::Contains("attention at core level, d_model = 0"));
  const auto core = execute_task(parse_problem("attention/mha:s256.h2.hd32.nope", registry), *task,
                                 AB_BACKEND_CPU, test_support::cpu().host());
  CHECK(core.outcome == "passed");
  REQUIRE(!core.cells.empty());
  for (const auto& cell : core.cells) CHECK(cell.successes == cell.trials);
}

TEST_CASE("figures/1: a variant's figures are stored under its names, computed on the problem's inputs",
          "[contracts]") {
  static Registry registry = test_support::load_from({mocks + "/figures"});
  const auto r = check_only(registry, "mock/figures:n64");
  INFO(r.reason);
  REQUIRE(r.outcome == "passed");
  REQUIRE(r.figures.size() == 2);
  CHECK(r.figures[0] == std::pair<std::string, double>("elements", 64.0));
  CHECK(r.figures[1].first == "sum_of_x");
  CHECK(r.figures[1].second != 0.0);
  // The same seed fills the same inputs: the figure is reproducible; another seed changes it.
  CHECK(check_only(registry, "mock/figures:n64").figures[1].second == r.figures[1].second);
  CHECK(check_only(registry, "mock/figures:n64.seed7").figures[1].second != r.figures[1].second);

  // Stored, and read back with the result.
  results::Store store = results::Store::open_readwrite(":memory:");
  store.record(store.begin_run(results::RunInfo{}), r);
  const auto rows = store.query("SELECT name, value FROM result_figures ORDER BY name");
  REQUIRE(rows.rows.size() == 2);
  CHECK(std::get<std::string>(rows.rows[0][0]) == "elements");
}

TEST_CASE("figures/1: bad names, non-finite values, duplicates and a throwing figures() fail the problem",
          "[contracts]") {
  static Registry registry = test_support::load_from({mocks + "/figures"});
  const std::pair<const char*, const char*> cases[] = {
      {"mock/figures-name:n8", "is not 1-31 characters of [a-z0-9_]"},
      {"mock/figures-nan:n8", "'ratio' is not finite"},
      {"mock/figures-twice:n8", "'elements' reported twice"},
      {"mock/figures-throws:n8", "figures() failed"},
  };
  for (const auto& [problem, why] : cases) {
    const auto r = check_only(registry, problem);
    INFO(problem << " -> " << r.outcome << ": " << r.reason);
    CHECK(r.outcome == "failed");
    CHECK_THAT(r.reason, Catch::Contains(why));
    CHECK(r.figures.empty());
  }
}
