// The mixers plugin on the CPU: every variant's chunked prefill and recurrent
// decode against the sequential double reference (odd lengths, tails shorter
// than a chunk, batch > 1, dk != dv, f32 and bf16); the state a prefill leaves
// continuing exactly as a longer prefill does; the fills of gates, decays and
// betas; the cost model and figures; the workload shared with attention/gqa;
// the needle task through the mixer.qkv adapter; and Gated DeltaNet's layer
// level (projections, gates, gated RMSNorm) against its reference and against
// the core level fed the projections by hand.
#include "harness/executor.hpp"
#include "harness/fidelity.hpp"
#include "harness/problem.hpp"
#include "harness/tensors.hpp"
#include "problem_runs.hpp"
#include "test_support.hpp"

#include <archbench/sdk.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

using namespace archbench;
using test_support::require_passes;
using test_support::run_cli;
using test_support::run_cpu;
using test_support::with;
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

TEST_CASE("gated-deltanet: heads that forget within a chunk stay finite and match the reference", "[mixers]") {
  // Decays of 0.05 multiply to 1e-83 over a 64-token chunk, far below f32's
  // range: a chunked form that divides accumulated decays (gamma_i / gamma_p)
  // gives 0/0 there. The decays are set by hand, past the fills' [0.9, 0.999].
  for (const char* dtype : {".f32", ".bf16"}) {
    INFO(dtype);
    Run run(std::string("mixer/gated-deltanet:prefill.b1.s150.h2.hd16.vhd24.conv4") + dtype);
    const ab_tensor& alpha = run["alpha"];
    float* a = static_cast<float*>(alpha.data);
    for (size_t i = 0; i < alpha.bytes / 4; ++i) a[i] = i % 2 ? 0.05f : 0.3f;  // head 1 and head 0
    run.execute();
    // The reference's outputs, one array per OUTPUT tensor in tensor order.
    std::map<std::string, std::vector<double>> expected;
    std::vector<double*> outputs;
    for (uint32_t i = 0; i < run.tensors->count(); ++i) {
      const ab_tensor& t = run.tensors->bound()[i];
      if (t.desc->role != AB_TENSOR_OUTPUT) continue;
      auto& values = expected[t.desc->name];
      values.resize(size_t(t.bytes / sdk::dtype_size(t.desc->dtype)));
      outputs.push_back(values.data());
    }
    const ab_problem raw = run.problem.raw();
    REQUIRE(run.problem.variant->reference(run.problem.variant->context, &raw, run.tensors->bound(),
                                           run.tensors->count(), outputs.data()) == AB_OK);
    const ab_tensor& out = run["out"];
    std::vector<float> got(expected["out"].size());
    for (size_t i = 0; i < got.size(); ++i)
      got[i] = out.desc->dtype == AB_DTYPE_F32 ? static_cast<const float*>(out.data)[i]
                                               : sdk::bf16_to_f32(static_cast<const uint16_t*>(out.data)[i]);
    for (float v : got) REQUIRE(std::isfinite(v));
    const auto as_floats = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
    CHECK(relative_error(got, as_floats(expected["out"])) < (out.desc->dtype == AB_DTYPE_F32 ? 1e-4 : 2e-2));
    CHECK(relative_error(run.floats("final_state"), as_floats(expected["final_state"])) < 1e-4);
  }
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

// ---- Gated DeltaNet's layer level (d_model > 0) ------------------------------

namespace {

// Qwen3-Next's proportions at toy size: 2 value heads per q/k head, dk != dv,
// d_model neither.
constexpr const char* kLayer = "mixer/gated-deltanet:h4.qkh2.hd16.vhd24.conv4.dm40";

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::vector<double> doubles(const ab_tensor& t) {
  REQUIRE(t.desc->dtype == AB_DTYPE_F32);
  const float* p = static_cast<const float*>(t.data);
  return std::vector<double>(p, p + t.bytes / 4);
}

// in[rows, k] w[k, n] in double.
std::vector<double> product(const std::vector<double>& in, const std::vector<double>& w, size_t k, size_t n) {
  const size_t rows = in.size() / k;
  std::vector<double> out(rows * n, 0.0);
  for (size_t r = 0; r < rows; ++r)
    for (size_t i = 0; i < k; ++i)
      for (size_t j = 0; j < n; ++j) out[r * n + j] += in[r * k + i] * w[i * n + j];
  return out;
}

void store(const ab_tensor& t, const std::vector<double>& values) {
  REQUIRE(t.desc->dtype == AB_DTYPE_F32);
  REQUIRE(t.bytes == values.size() * 4);
  for (size_t i = 0; i < values.size(); ++i) static_cast<float*>(t.data)[i] = float(values[i]);
}

}  // namespace

TEST_CASE("gated-deltanet layer: prefill and decode match the double reference, f32 and bf16", "[mixers]") {
  const char* cases[] = {
      ".prefill.b2.s37.c16",  // two chunks and a tail of 5
      ".prefill.b1.s5",       // shorter than a chunk
      ".decode.b2.s37",
  };
  for (const char* c : cases)
    for (const char* dtype : {".f32", ".bf16"}) require_passes(std::string(kLayer) + c + dtype);
  require_passes("mixer/gated-deltanet:prefill.b1.s19.h2.hd8.vhd8.conv0.dm16.c8.f32");  // no conv window
  require_passes("mixer/gated-deltanet:decode.b1.s19.h2.hd8.vhd8.conv0.dm16.bf16");
  require_passes(std::string(kLayer) + ".prefill.b1.s40.c16.f32", true);  // the timed path re-checked
}

TEST_CASE("gated-deltanet layer: equals the core level fed the projections by hand", "[mixers]") {
  // The projections, gates and gated RMSNorm computed here from the problem's
  // own weights, around a core-level run: a projection read from the wrong
  // weight, transposed, or a gate formula wrong in both the CPU code and the
  // reference fails here even though they agree with each other.
  for (const char* mode : {".prefill.s21.c8", ".decode.s21"}) {
    INFO(mode);
    const std::string shape = std::string(mode) + ".b2.h4.qkh2.hd16.vhd24.conv4.f32";
    Run layer(std::string("mixer/gated-deltanet:dm40") + shape);
    Run core("mixer/gated-deltanet:" + shape.substr(1));
    const size_t dm = 40, H = 4, dv = 24, qk = 2 * 16;
    const std::vector<double> x = doubles(layer["x"]);
    store(core["q"], product(x, doubles(layer["w_q"]), dm, qk));
    store(core["k"], product(x, doubles(layer["w_k"]), dm, qk));
    store(core["v"], product(x, doubles(layer["w_v"]), dm, H * dv));
    std::vector<double> beta = product(x, doubles(layer["w_beta"]), dm, H);
    std::vector<double> alpha = product(x, doubles(layer["w_alpha"]), dm, H);
    const std::vector<double> a_log = doubles(layer["a_log"]), dt_bias = doubles(layer["dt_bias"]);
    for (size_t i = 0; i < beta.size(); ++i) {
      beta[i] = sigmoid(beta[i]);
      alpha[i] = std::exp(-std::exp(a_log[i % H]) * std::log1p(std::exp(alpha[i] + dt_bias[i % H])));
    }
    store(core["beta"], beta);
    store(core["alpha"], alpha);
    std::memcpy(core["conv_weight"].data, layer["conv_weight"].data, layer["conv_weight"].bytes);
    const bool decode = core.has("state");
    if (decode) {
      std::memcpy(core["state"].data, layer["state"].data, layer["state"].bytes);
      std::memcpy(core["conv_state"].data, layer["conv_state"].data, layer["conv_state"].bytes);
    }
    layer.execute();
    core.execute();

    std::vector<double> o = doubles(core["out"]);
    const std::vector<double> z = product(x, doubles(layer["w_z"]), dm, H * dv), weight = doubles(layer["norm_weight"]);
    for (size_t head = 0; head < o.size() / dv; ++head) {
      double squares = 0;
      for (size_t e = 0; e < dv; ++e) squares += o[head * dv + e] * o[head * dv + e];
      const double inverse_rms = 1.0 / std::sqrt(squares / double(dv) + 1e-6);
      for (size_t e = 0; e < dv; ++e) {
        const double gate = z[head * dv + e];
        o[head * dv + e] *= inverse_rms * weight[e] * gate * sigmoid(gate);
      }
    }
    const std::vector<double> expected = product(o, doubles(layer["w_out"]), H * dv, dm);
    const std::vector<float> y = layer.floats("y");
    CHECK(relative_error(y, std::vector<float>(expected.begin(), expected.end())) < 1e-4);
    const char* state = decode ? "new_state" : "final_state";
    CHECK(relative_error(layer.floats(state), core.floats(state)) < 1e-5);
    const char* window = decode ? "new_conv" : "final_conv";  // raw projections: rounded apart by an ulp
    CHECK(relative_error(layer.floats(window), core.floats(window)) < 1e-5);
  }
}

TEST_CASE("gated-deltanet layer: every weight moves the output", "[mixers]") {
  // Negating any one weight must change y: none is read and then ignored.
  // (Negated, dt_bias (about -6) becomes about +6: every decay near
  // exp(-A * 6), which the chunked form must also keep finite.)
  Run run(std::string(kLayer) + ".prefill.b1.s9.f32");
  run.execute();
  const std::vector<float> y = run.floats("y");
  for (const char* name : {"w_q", "w_k", "w_v", "w_z", "w_beta", "w_alpha", "a_log", "dt_bias", "conv_weight",
                           "norm_weight", "w_out"}) {
    INFO(name);
    const ab_tensor& w = run[name];
    float* p = static_cast<float*>(w.data);
    const std::vector<float> kept(p, p + w.bytes / 4);
    for (size_t i = 0; i < kept.size(); ++i) p[i] = -p[i];
    run.execute();
    CHECK(relative_error(run.floats("y"), y) > 1e-3);
    std::copy(kept.begin(), kept.end(), p);
  }
}

TEST_CASE("gated-deltanet layer: decode after a prefill of s tokens equals a prefill of s + 1", "[mixers]") {
  const std::string shape = std::string(kLayer) + ".b2.c16.f32";
  Run longer(shape + ".prefill.s38");
  longer.execute();
  Run prefix(shape + ".prefill.s37");
  Run step(shape + ".decode.s37");
  for (uint32_t i = 0; i < longer.tensors->count(); ++i) {
    const ab_tensor& t = longer.tensors->bound()[i];
    if (t.desc->role != AB_TENSOR_WEIGHT) continue;
    std::memcpy(prefix[t.desc->name].data, t.data, t.bytes);
    std::memcpy(step[t.desc->name].data, t.data, t.bytes);
  }
  copy_tokens(longer["x"], prefix["x"], 0, 37);
  copy_tokens(longer["x"], step["x"], 37, 1);
  prefix.execute();
  std::memcpy(step["state"].data, prefix["final_state"].data, prefix["final_state"].bytes);
  std::memcpy(step["conv_state"].data, prefix["final_conv"].data, prefix["final_conv"].bytes);
  step.execute();
  const std::vector<float> all = longer.floats("y");
  std::vector<float> last;
  for (size_t b = 0; b < 2; ++b) last.insert(last.end(), all.begin() + (b * 38 + 37) * 40, all.begin() + (b * 38 + 38) * 40);
  CHECK(relative_error(step.floats("y"), last) < 1e-4);
  CHECK(relative_error(step.floats("new_state"), longer.floats("final_state")) < 1e-4);
  // The window holds projections of the same rows, which oneDNN may sum in
  // another order for 1 row than for 38.
  CHECK(relative_error(step.floats("new_conv"), longer.floats("final_conv")) < 1e-5);
}

TEST_CASE("gated-deltanet layer: decays in their real range, weights counted, other mixers refused", "[mixers]") {
  // At x W_alpha = 0 each head's decay exp(-exp(a_log) softplus(dt_bias)) lies
  // in the core level's alpha range [0.9, 0.999].
  Run run(std::string(kLayer) + ".prefill.b1.s4.f32");
  const std::vector<float> a_log = run.floats("a_log"), dt_bias = run.floats("dt_bias");
  for (size_t h = 0; h < a_log.size(); ++h) {
    const double decay = std::exp(-std::exp(double(a_log[h])) * std::log1p(std::exp(double(dt_bias[h]))));
    CHECK((decay >= 0.9 && decay <= 0.999));
  }
  // Weights: q, k (2 x 2 heads x 16), v, z (4 x 24), beta, alpha (4) from 40;
  // a_log, dt_bias; the conv over 2*32 + 96 channels, 4 taps; the norm (24); out.
  const double weights = 40.0 * (2 * 32 + 2 * 96 + 2 * 4) + 4 + 4 + (2 * 32 + 96) * 4 + 24 + 96 * 40;
  double declared = 0;
  for (uint32_t i = 0; i < run.tensors->count(); ++i) {
    const ab_tensor& t = run.tensors->bound()[i];
    if (t.desc->role == AB_TENSOR_WEIGHT) declared += double(t.bytes / 4);
  }
  CHECK(declared == weights);
  CHECK_THROWS_WITH(parse_problem("mixer/gla:dm64", test_support::in_tree()), Catch::Contains("gated-deltanet only"));
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
