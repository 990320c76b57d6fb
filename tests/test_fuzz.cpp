// Fuzzing as a habit (issue 13): a bounded generator over problem strings (and
// task rows, "problem@task") and over suite files. Every input must either plan
// (and then each planned problem's canonical string parses back to itself) or be
// refused with ONE InputError line: no crash, no other exception, no control
// character or line break in the message.
//
// Each target runs for ARCHBENCH_FUZZ_SECONDS (default 2) from the fixed seed
// ARCHBENCH_FUZZ_SEED (default 13), so the default run is short and the same
// every time; run it longer, or from another seed, on demand:
//   ARCHBENCH_FUZZ_SECONDS=600 ARCHBENCH_FUZZ_SEED=7 build/tests/archbench_tests "[fuzz]"
// A failure prints the input (escaped) and the seed that made it.
#include "harness/errors.hpp"
#include "harness/runner.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

#include <unistd.h>

using namespace archbench;

namespace {

double fuzz_seconds() {
  const char* text = std::getenv("ARCHBENCH_FUZZ_SECONDS");
  return text && *text ? std::atof(text) : 2.0;
}
uint64_t fuzz_seed() {
  const char* text = std::getenv("ARCHBENCH_FUZZ_SEED");
  return text && *text ? std::strtoull(text, nullptr, 10) : 13;
}

// Runs `one` on generated inputs until the time is up; returns how many ran.
template <class Generate, class Check>
size_t fuzz(const char* target, Generate&& generate, Check&& check) {
  std::mt19937_64 random(fuzz_seed());
  // The planner's notes ("matches no loaded variant") would be thousands of lines.
  std::fflush(stderr);
  const int saved_stderr = dup(STDERR_FILENO);
  if (FILE* null = std::fopen("/dev/null", "w")) {
    dup2(fileno(null), STDERR_FILENO);
    std::fclose(null);
  }
  struct Restore {
    int fd;
    ~Restore() {
      std::fflush(stderr);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
  } restore{saved_stderr};
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(fuzz_seconds());
  size_t count = 0;
  while (std::chrono::steady_clock::now() < end) {
    const std::string input = generate(random);
    INFO(target << " input #" << count << " (seed " << fuzz_seed() << "): " << printable(input));
    check(input);
    ++count;
  }
  std::printf("fuzz %s: %zu inputs in %.0f s (seed %llu)\n", target, count, fuzz_seconds(),
              static_cast<unsigned long long>(fuzz_seed()));
  return count;
}

bool one_clean_line(const std::string& message) {
  if (message.empty()) return false;
  for (const char c : message)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

template <class T>
const T& pick(std::mt19937_64& random, const std::vector<T>& items) {
  return items[random() % items.size()];
}

// What a hostile or careless user types where a number goes.
const std::vector<std::string> kNumbers = {
    "0", "1", "-1", "7", "64", "4096", "1p5", "0p0000001", "1e308", "1e400", "-1e308", "nan", "inf", "-inf",
    "18446744073709551615", "18446744073709551616", "99999999999999999999999", "9223372036854775808", "2147483648",
    "1e30", "0x10", "", "p", "1p", "e5"};
const std::vector<std::string> kJunk = {".", ":", "@", "-", "..", "\n", "\x1b[2J", std::string(1, '\0'), "\xff\xfe",
                                        "seed", "cell-", "cell-d", "f32", "bf16", "f16", "hops", "*", " ", "%s%n"};

// Valid strings to start from: every in-tree variant at its defaults, and task rows.
std::vector<std::string> problem_seeds() {
  std::vector<std::string> out;
  for (const ab_variant* v : test_support::in_tree().variants()) {
    out.push_back(parse_problem(v->name, test_support::in_tree()).canonical());
    out.push_back(std::string(v->name) + ":bf16.seed5");
  }
  out.push_back("attention/mha:s64.h2.hd16@needle.single.spread.beta32.t8.ds10.cell-d30");
  out.push_back("attention/gqa:s64.h4.kvh2.hd16@multihop.spread.beta32.t8.hops1-2-4.cell-h2");
  out.push_back("attention/mha:s64.h2.hd16@needle.multi-key.low-freq.k4");
  return out;
}

std::string mutate(std::mt19937_64& random, std::string text) {
  const int edits = 1 + int(random() % 4);
  for (int e = 0; e < edits; ++e) {
    const size_t at = text.empty() ? 0 : random() % (text.size() + 1);
    switch (random() % 7) {
      case 0:  // delete a run of characters
        if (!text.empty()) text.erase(std::min(at, text.size() - 1), 1 + random() % 6);
        break;
      case 1:  // insert junk
        text.insert(at, pick(random, kJunk));
        break;
      case 2: {  // replace the number after a key with an extreme one
        const size_t digit = text.find_first_of("0123456789", at);
        if (digit == std::string::npos) break;
        const size_t stop = text.find_first_not_of("0123456789p", digit);
        text.replace(digit, (stop == std::string::npos ? text.size() : stop) - digit, pick(random, kNumbers));
        break;
      }
      case 3: {  // repeat a token
        const size_t dot = text.find('.', at);
        if (dot == std::string::npos) break;
        const size_t next = text.find('.', dot + 1);
        text.insert(dot, text.substr(dot, (next == std::string::npos ? text.size() : next) - dot));
        break;
      }
      case 4:  // cut it short
        text.resize(at);
        break;
      case 5:  // a token of another kind
        text += "." + pick(random, std::vector<std::string>{"seed" + pick(random, kNumbers), "t" + pick(random, kNumbers),
                                                           "dm" + pick(random, kNumbers), "w" + pick(random, kNumbers),
                                                           "cell-d" + pick(random, kNumbers), "hops1-" + pick(random, kNumbers)});
        break;
      default:  // flip one byte
        if (!text.empty()) text[std::min(at, text.size() - 1)] ^= char(1 << (random() % 8));
    }
  }
  return text;
}

// Plans `request`; every refusal must be one clean InputError line, and every
// planned problem's canonical string must parse back to itself.
void plans_or_refuses(const RunRequest& request) {
  std::vector<PlannedProblem> plan;
  try {
    plan = plan_run(request, test_support::in_tree());
  } catch (const InputError& e) {
    INFO("refusal: " << printable(e.what()));
    CHECK(one_clean_line(e.what()));
    return;
  } catch (const std::exception& e) {
    FAIL("not an input error: " << printable(e.what()));
  }
  for (const PlannedProblem& planned : plan) {
    const std::string canonical = planned.problem.canonical();
    INFO("planned: " << canonical);
    REQUIRE_NOTHROW(parse_problem(canonical, test_support::in_tree()));
    CHECK(parse_problem(canonical, test_support::in_tree()).canonical() == canonical);
  }
}

// A suite document from random parts: [measure] reals, entries with grids, a
// task table, and now and then bytes flipped so the TOML parser sees junk too.
std::string suite_document(std::mt19937_64& random) {
  const std::vector<std::string> values = {"0", "1", "-1", "0.5", "nan", "-nan", "inf", "-inf", "1e300", "3600",
                                           "86400", "86401", "\"x\"", "true", "[1, 2]", "{ a = 1 }", "1e-300"};
  const std::vector<std::string> variants = {"ffn/*", "norm/*", "attention/mha", "*", "nope/*", "ffn/swiglu",
                                             "attention/g*", "norm/rmsnorm\\n", "\\u001b[2J"};
  const std::vector<std::string> params = {"tokens", "d_model", "d_ff", "seq", "heads", "head_dim", "bogus", "eps",
                                           "residual", "t", "dm", "kv_heads", "window"};
  std::string doc = "name = \"fuzz\"\n";
  if (random() % 2) {
    doc += "[measure]\n";
    for (const char* key : {"repetitions", "min_time", "warmup", "timeout", "timing", "repetition"})
      if (random() % 3 == 0) doc += std::string(key) + " = " + pick(random, values) + "\n";
  }
  const int entries = 1 + int(random() % 3);
  for (int e = 0; e < entries; ++e) {
    doc += "[[problems]]\nvariant = \"" + pick(random, variants) + "\"\n";
    if (random() % 3 == 0) doc += "dtypes = " + pick(random, std::vector<std::string>{"[\"f32\"]", "[\"bf16\", \"f16\"]", "[\"f64\"]", "\"f32\"", "[]"}) + "\n";
    if (random() % 4 == 0) doc += "seed = " + pick(random, std::vector<std::string>{"0", "-1", "18446744073709551615", "9223372036854775807", "1.5"}) + "\n";
    if (random() % 4 == 0) doc += "backends = " + pick(random, std::vector<std::string>{"[\"cpu\"]", "[\"tpu\"]", "[]"}) + "\n";
    if (random() % 2) {
      doc += "[problems.params]\n";
      const int count = int(random() % 4);
      for (int p = 0; p < count; ++p) {
        std::string value;
        if (random() % 3 == 0) {
          value = "[";
          const int n = 1 + int(random() % (random() % 8 == 0 ? 80 : 4));
          for (int i = 0; i < n; ++i) value += (i ? ", " : "") + std::to_string(1 + random() % 4096);
          value += "]";
        } else {
          value = pick(random, std::vector<std::string>{"8", "0", "-3", "65537", "1e300", "nan", "\"rope\"", "2.5", "[]", "4096", "32"});
        }
        doc += pick(random, params) + " = " + value + "\n";
      }
    }
    if (random() % 3 == 0) {
      doc += "[problems.task]\nkind = \"" + pick(random, std::vector<std::string>{"needle", "multihop", "haystack"}) + "\"\n";
      doc += "contexts = " + pick(random, std::vector<std::string>{"[64]", "[128, 256]", "[0]", "[2097153]", "64", "[]"}) + "\n";
      if (random() % 2) doc += "trials = " + pick(random, values) + "\n";
      if (random() % 2) doc += "hops = " + pick(random, std::vector<std::string>{"[1, 2]", "[0]", "[65]", "3"}) + "\n";
      if (random() % 2) doc += "depth_step = " + pick(random, std::vector<std::string>{"10", "0", "101", "nan"}) + "\n";
    }
  }
  if (random() % 4 == 0)  // raw damage
    for (int i = 0; i < 3 && !doc.empty(); ++i) doc[random() % doc.size()] = pick(random, kJunk)[0];
  return doc;
}

}  // namespace

TEST_CASE("fuzz: problem strings and task rows plan or are refused in one clean input-error line", "[fuzz]") {
  const std::vector<std::string> seeds = problem_seeds();
  const size_t count = fuzz("problem strings", [&](std::mt19937_64& random) { return mutate(random, pick(random, seeds)); },
                            [](const std::string& input) {
                              RunRequest request;
                              request.problems = {input};
                              request.backends = {AB_BACKEND_CPU};
                              plans_or_refuses(request);
                            });
  CHECK(count > 0);
}

TEST_CASE("fuzz: suite files plan or are refused in one clean input-error line", "[fuzz]") {
  test_support::TempDir tmp;
  const std::string path = tmp.file("fuzz.toml");
  const size_t count = fuzz("suite files", suite_document, [&](const std::string& input) {
    std::ofstream(path, std::ios::trunc | std::ios::binary) << input;
    RunRequest request;
    request.suites = {path};
    request.backends = {AB_BACKEND_CPU};
    plans_or_refuses(request);
  });
  CHECK(count > 0);
}
