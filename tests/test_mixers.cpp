// The mixers plugin on the CPU: every variant's chunked prefill and recurrent
// decode against the sequential double reference (odd lengths, tails shorter
// than a chunk, batch > 1, dk != dv, f32 and bf16); the state a prefill leaves
// continuing exactly as a longer prefill does; the fills of gates, decays and
// betas; the cost model and figures; the workload shared with attention/gqa;
// and the needle task through the mixer.qkv adapter.
#include "harness/executor.hpp"
#include "harness/fidelity.hpp"
#include "harness/problem.hpp"
#include "harness/tensors.hpp"
#include "problem_runs.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

using namespace archbench;
using test_support::require_passes;
using test_support::run_cli;
using test_support::run_cpu;
using test_support::TempDir;

namespace {

// dk != dv so that a transposed state or product cannot pass.
constexpr const char* kSmall = ".h4.hd16.vhd24";

const char* kDesigns[] = {
    "mixer/linear:fm-elu1.norm1",                  // linear attention, normalized
    "mixer/linear:fm-identity.norm0.decay-retnet", // retention
    "mixer/linear:fm-elu1.norm1.decay-retnet",
    "mixer/gla:",
    "mixer/gated-deltanet:conv4",
    "mixer/gated-deltanet:conv0",
    "mixer/gated-deltanet:qkh2.conv3",  // two value heads per q/k head
};

std::string with(const char* design, const std::string& rest) {
  std::string d = design;
  return d.back() == ':' ? d + rest.substr(1) : d + rest;
}

// ---- running an instance by hand, to chain a prefill into a decode ----------

struct Run {
  Problem problem;
  ab_problem_info info{};
  std::unique_ptr<TensorSet> tensors;

  explicit Run(const std::string& text) : problem(parse_problem(text, test_support::in_tree())) {
    info.struct_size = sizeof info;
    const ab_problem raw = problem.raw();
    REQUIRE(problem.variant->describe(problem.variant->context, &raw, &info) == AB_OK);
    tensors = std::make_unique<TensorSet>(info);
    tensors->fill(problem.seed);
  }
  const ab_tensor& operator[](const char* name) const {
    for (uint32_t i = 0; i < tensors->count(); ++i)
      if (std::strcmp(tensors->bound()[i].desc->name, name) == 0) return tensors->bound()[i];
    FAIL("no tensor " << name);
    throw;
  }
  bool has(const char* name) const {
    for (uint32_t i = 0; i < tensors->count(); ++i)
      if (std::strcmp(tensors->bound()[i].desc->name, name) == 0) return true;
    return false;
  }
  void execute() {
    const ab_problem raw = problem.raw();
    ab_instance* instance = nullptr;
    char error[256] = {};
    REQUIRE(problem.variant->create(problem.variant->context, &raw, AB_BACKEND_CPU, &test_support::cpu().host(),
                                    tensors->bound(), tensors->count(), &instance, error, sizeof error) == AB_OK);
    REQUIRE(problem.variant->execute(instance) == AB_OK);
    problem.variant->destroy(instance);
  }
  std::vector<float> floats(const char* name) const {
    const ab_tensor& t = (*this)[name];
    REQUIRE(t.desc->dtype == AB_DTYPE_F32);
    const float* p = static_cast<const float*>(t.data);
    return std::vector<float>(p, p + t.bytes / 4);
  }
};

// Copies tokens [from, from + count) of each sequence of `source` ([batch,
// tokens, ...]) into tokens [0, count) of `target`.
void copy_tokens(const ab_tensor& source, const ab_tensor& target, int64_t from, int64_t count) {
  const int64_t batch = source.desc->dims[0], src_tokens = source.desc->dims[1], dst_tokens = target.desc->dims[1];
  const uint64_t row = source.bytes / uint64_t(batch * src_tokens);
  REQUIRE(row == target.bytes / uint64_t(batch * dst_tokens));
  for (int64_t b = 0; b < batch; ++b)
    std::memcpy(static_cast<uint8_t*>(target.data) + uint64_t(b * dst_tokens) * row,
                static_cast<const uint8_t*>(source.data) + uint64_t(b * src_tokens + from) * row, row * uint64_t(count));
}

double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) diff += double(a[i] - b[i]) * (a[i] - b[i]), norm += double(b[i]) * b[i];
  return std::sqrt(diff / norm);
}

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

TEST_CASE("mixers: chunked prefill and recurrent decode match the sequential reference", "[mixers]") {
  const char* cases[] = {
      ".prefill.b2.s67.c16",  // four chunks and a tail of 3
      ".prefill.b1.s300",     // the default chunk of 64, one block
      ".prefill.b1.s1100.c16",// more than one block of chunks
      ".prefill.b2.s5",       // shorter than a chunk
      ".decode.b2.s67",
      ".decode.b3.s1",
  };
  for (const char* design : kDesigns)
    for (const char* c : cases)
      for (const char* dtype : {".f32", ".bf16"}) require_passes(with(design, std::string(c) + kSmall + dtype));
}

TEST_CASE("mixers: the timed path re-checks against alternating inputs", "[mixers]") {
  require_passes("mixer/gated-deltanet:prefill.b1.s100.h2.hd16.vhd8.c32", true);
  require_passes("mixer/gla:decode.b2.s100.h2.hd16.vhd8", true);
}

TEST_CASE("mixers: decode after a prefill of s tokens equals a prefill of s + 1", "[mixers]") {
  for (const char* design : kDesigns) {
    INFO(design);
    const std::string shape = ".b2.h4.hd16.vhd24.c16.f32";
    Run longer(with(design, ".prefill.s38" + shape));
    longer.execute();
    Run prefix(with(design, ".prefill.s37" + shape));
    Run step(with(design, ".decode.s37" + shape));
    for (const char* name : {"q", "k", "v", "gate", "beta", "alpha", "conv_weight"}) {
      if (!longer.has(name)) continue;
      if (std::strcmp(name, "conv_weight") == 0) {
        std::memcpy(prefix[name].data, longer[name].data, longer[name].bytes);
        std::memcpy(step[name].data, longer[name].data, longer[name].bytes);
        continue;
      }
      copy_tokens(longer[name], prefix[name], 0, 37);
      copy_tokens(longer[name], step[name], 37, 1);
    }
    prefix.execute();
    std::memcpy(step["state"].data, prefix["final_state"].data, prefix["final_state"].bytes);
    if (step.has("state_norm")) std::memcpy(step["state_norm"].data, prefix["final_norm"].data, prefix["final_norm"].bytes);
    if (step.has("conv_state")) std::memcpy(step["conv_state"].data, prefix["final_conv"].data, prefix["final_conv"].bytes);
    step.execute();

    // The last token's output of the longer prefill, per sequence.
    const std::vector<float> all = longer.floats("out");
    std::vector<float> last;
    const size_t row = size_t(4 * 24);
    for (size_t b = 0; b < 2; ++b) last.insert(last.end(), all.begin() + (b * 38 + 37) * row, all.begin() + (b * 38 + 38) * row);
    CHECK(relative_error(step.floats("out"), last) < 1e-4);
    CHECK(relative_error(step.floats("new_state"), longer.floats("final_state")) < 1e-4);
    if (step.has("new_conv")) CHECK(step.floats("new_conv") == longer.floats("final_conv"));
    // The same step from a state the prefix did not leave comes out different.
    std::memset(step["state"].data, 0, step["state"].bytes);
    step.execute();
    CHECK(relative_error(step.floats("new_state"), longer.floats("final_state")) > 1e-2);
  }
}

TEST_CASE("mixers: gates, decays and betas are filled inside their real ranges", "[mixers]") {
  const auto range = [](Run& run, const char* name) {
    const std::vector<float> v = run.floats(name);
    return std::make_pair(*std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
  };
  Run gla("mixer/gla:prefill.b2.s200.h4.hd32");
  const auto gate = range(gla, "gate");
  CHECK((gate.first >= 0.9f && gate.second <= 0.999f && gate.first < gate.second));
  Run gdn("mixer/gated-deltanet:prefill.b2.s200.h4.hd32");
  const auto alpha = range(gdn, "alpha"), beta = range(gdn, "beta");
  CHECK((alpha.first >= 0.9f && alpha.second <= 0.999f));
  CHECK((beta.first > 0.0f && beta.second < 1.0f && beta.second - beta.first > 0.5f));
}

TEST_CASE("mixers: no KV cache, the fixed state as a figure, and attention/gqa's workload", "[mixers]") {
  const auto r = run_cpu("mixer/gated-deltanet:decode.b1.s1000.h4.hd16.vhd24.qkh2.conv4.bf16");
  REQUIRE(r.outcome == "passed");
  CHECK(r.kv_cache_bytes_per_token == 0);
  const std::map<std::string, double> figures(r.figures.begin(), r.figures.end());
  // f32 state 4 x 16 x 24, and the bf16 conv window of 3 tokens over [q | k | v] = 2*2*16 + 4*24 channels.
  CHECK(figures.at("state_bytes_per_sequence") == 4.0 * 4 * 16 * 24 + 2.0 * 3 * (2 * 2 * 16 + 4 * 24));
  CHECK(figures.at("conv_window_bytes") == 2.0 * 3 * (2 * 2 * 16 + 4 * 24));
  const auto linear = run_cpu("mixer/linear:decode.b1.s10.h2.hd8.norm1.f32");
  CHECK(std::map<std::string, double>(linear.figures.begin(), linear.figures.end()).at("state_bytes_per_sequence") ==
        4.0 * (2 * 8 * 8 + 2 * 8));

  const std::string workload = parse_problem("attention/gqa:decode.b1.s1024.h8.hd128", test_support::in_tree()).workload();
  for (const char* v : {"mixer/linear", "mixer/gla", "mixer/gated-deltanet"})
    CHECK(parse_problem(std::string(v) + ":decode.b1.s1024.h8.hd128", test_support::in_tree()).workload() == workload);
  CHECK_THROWS_WITH(parse_problem("mixer/gated-deltanet:h6.qkh4", test_support::in_tree()),
                    Catch::Contains("must divide heads"));
}

TEST_CASE("needle through the mixer.qkv adapter: every mixer's rows run", "[mixers]") {
  TempDir tmp;
  const std::string db = tmp.file("n.db"), suite = tmp.file("needle.toml");
  std::ofstream(suite) << R"(name = "mixers-needle-test"
[measure]
timeout = 600
[task]
kind = "needle"
contexts = [1024]
trials = 2
[[problems]]
variant = "mixer/*"
backends = ["cpu"]
[problems.params]
heads = 2
head_dim = 64
v_head_dim = 32
[[problems]]
variant = "mixer/gated-deltanet"
backends = ["cpu"]
[problems.params]
heads = 2
head_dim = 64
v_head_dim = 32
conv = 0
)";
  const auto r = run_cli("run --backend cpu --db " + db + " --suite " + suite);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(number(db, "SELECT COUNT(DISTINCT design) FROM needle") == 4);
  // The pure delta rule (alpha = beta = 1, keys as planted) keeps the last
  // token it wrote: a needle at depth 100% is found...
  CHECK(number(db, "SELECT accuracy FROM needle WHERE design GLOB '*conv0*' AND depth = 100") == 1.0);
  // ...but a state of 64 x 32 cannot hold 1024 random keys apart: on average these mixers forget.
  CHECK(number(db, "SELECT AVG(accuracy) FROM needle") < 0.5);
}
