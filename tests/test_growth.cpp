// Tests for results/growth: the `leaderboard --by PARAM` pivot over a store
// written here: column order and values, the latest-result rule, filters,
// design parameters, enum parameters, and bad input.
#include <catch2/catch.hpp>

#include <algorithm>

#include "harness/errors.hpp"
#include "results/format.hpp"
#include "results/growth.hpp"
#include "results/store.hpp"
#include "test_support.hpp"

using namespace archbench::results;
using archbench::InputError;

namespace {

// A parameter as Problem::structured_params writes it.
ProblemParam param(const std::string& name, const std::string& key, double value, const std::string& token,
                   bool design = false) {
  ProblemParam p;
  p.name = name;
  p.key = key;
  p.type = "int";
  p.value = value;
  p.token = token;
  p.design = design;
  return p;
}

ProblemParam choice(const std::string& name, const std::string& text) {
  ProblemParam p;
  p.name = name;
  p.type = "enum";
  p.text = p.token = text;  // printed bare
  return p;
}

// A problem of a made-up attention variant whose schema is mode, seq, heads,
// kv_heads (a design parameter), written the way Problem writes it.
ResultRecord toy(const std::string& mode, int seq, int kv_heads, const std::string& backend,
                 const std::string& outcome, std::optional<double> nmse) {
  ResultRecord r;
  const std::string s = std::to_string(seq), kvh = std::to_string(kv_heads);
  r.canonical = "attention/toy:" + mode + ".s" + s + ".h8.kvh" + kvh + ".f32";
  r.variant = "attention/toy";
  r.kind = "attention";
  r.dtype = "f32";
  r.params_json = R"({"mode":")" + mode + R"(","seq":)" + s + R"(,"heads":8,"kv_heads":)" + kvh +
                  R"(,"dtype":"f32","seed":1})";
  r.workload = mode + ".s" + s + ".h8.f32";
  r.design = "attention/toy:kvh" + kvh;
  r.shape = mode + ".s" + s + ".h8.kvh" + kvh + ".f32";
  r.params = {choice("mode", mode), param("seq", "s", seq, "s" + s), param("heads", "h", 8, "h8"),
              param("kv_heads", "kvh", kv_heads, "kvh" + kvh, true), choice("dtype", "f32"),
              param("seed", "seed", 1, "")};
  r.backend = backend;
  r.suite = "fidelity";
  r.outcome = outcome;
  r.nmse = nmse;
  if (nmse) r.max_rel = *nmse * 10;
  return r;
}

struct GrowthDb {
  test_support::TempDir tmp;
  std::string path = tmp.file("growth.db");
  int64_t run1 = 0, run2 = 0;
  GrowthDb() {
    auto s = Store::open_readwrite(path);
    run1 = s.begin_run({});
    // Out of order, so a text sort (2048 < 32768 < 512 < 8192) would show.
    s.record(run1, toy("prefill", 8192, 2, "cpu", "passed", 1e-13));
    s.record(run1, toy("prefill", 512, 2, "cpu", "passed", 1e-14));
    s.record(run1, toy("prefill", 32768, 2, "cpu", "failed", 2e-7));
    s.record(run1, toy("prefill", 2048, 2, "cpu", "passed", 4e-14));
    s.record(run1, toy("prefill", 512, 4, "cpu", "passed", 5e-14));
    s.record(run1, toy("prefill", 512, 2, "vulkan", "unimplemented", std::nullopt));
    s.record(run1, toy("decode", 1024, 2, "cpu", "passed", 7e-14));
    ResultRecord ffn;  // no seq: left out of a --by seq pivot
    ffn.canonical = "ffn/toy:t64.f32";
    ffn.variant = "ffn/toy";
    ffn.kind = "ffn";
    ffn.dtype = "f32";
    ffn.params_json = R"({"tokens":64,"dtype":"f32","seed":1})";
    ffn.backend = "cpu";
    ffn.outcome = "passed";
    ffn.nmse = 1e-12;
    s.record(run1, ffn);
    s.finish_run(run1, "completed");
    run2 = s.begin_run({});
    s.record(run2, toy("prefill", 512, 2, "cpu", "passed", 3e-14));  // newer: replaces 1e-14
    ResultRecord task_row = toy("prefill", 65536, 2, "cpu", "passed", 1e-20);
    task_row.task = "needle.single.spread";  // an accuracy task row, not a fidelity check
    s.record(run2, task_row);
    s.finish_run(run2, "completed");
  }
};

GrowthOptions by(const std::string& param, const std::string& kind = "",
                 const std::string& backend = "") {
  GrowthOptions o;
  o.param = param;
  o.kind = kind;
  o.backend = backend;
  return o;
}

// The display text of every cell of row `row`, joined with '|'.
std::string row_text(const QueryResult& q, size_t row) {
  std::string out;
  for (const Cell& c : q.rows.at(row)) out += (out.empty() ? "" : "|") + display_cell(c);
  return out;
}

}  // namespace

TEST_CASE("growth pivots the latest passed or failed check per problem into one column per value", "[growth]") {
  GrowthDb db;
  auto s = Store::open_readonly(db.path);
  const QueryResult q = growth(s, by("seq"));
  // Numeric column order; the task row's 65536 is not a column.
  CHECK(q.columns == std::vector<std::string>{"kind", "backend", "dtype", "design", "workload",
                                              "s=512", "s=1024", "s=2048", "s=8192", "s=32768",
                                              "failed_at"});
  REQUIRE(q.rows.size() == 3);
  CHECK(row_text(q, 0) == "attention|cpu|f32|attention/toy:kvh2|decode.*.h8.f32||7e-14||||");
  // The newer 3e-14 replaces run 1's 1e-14; the failed 32K check still shows its error.
  CHECK(row_text(q, 1) ==
        "attention|cpu|f32|attention/toy:kvh2|prefill.*.h8.f32|3e-14||4e-14|1e-13|2e-07|s=32768");
  CHECK(row_text(q, 2) == "attention|cpu|f32|attention/toy:kvh4|prefill.*.h8.f32|5e-14|||||");
  // csv keeps full precision and the header.
  CHECK(format(q, Format::csv).rfind("kind,backend,dtype,design,workload,s=512,s=1024,", 0) == 0);
}

TEST_CASE("growth respects metric and run and backend filters", "[growth]") {
  GrowthDb db;
  auto s = Store::open_readonly(db.path);
  GrowthOptions o = by("seq", "attention", "cpu");
  o.metric = "max_rel";
  o.shape = "prefill.*";
  QueryResult q = growth(s, o);
  REQUIRE(q.rows.size() == 2);
  CHECK(row_text(q, 0) == "attention|cpu|f32|attention/toy:kvh2|prefill.*.h8.f32|3e-13|4e-13|1e-12|2e-06|s=32768");

  o = by("seq");
  o.run_id = db.run1;  // run 1 alone: its own 512 result
  q = growth(s, o);
  CHECK(display_cell(q.rows.at(1).at(5)) == "1e-14");

  // Only vulkan: its one result was unimplemented, so no row (but no error either).
  q = growth(s, by("seq", "", "vulkan"));
  CHECK(q.rows.empty());
  CHECK(q.columns.front() == "kind");
}

TEST_CASE("growth over a design parameter or an enum blanks it where it is printed", "[growth]") {
  GrowthDb db;
  auto s = Store::open_readonly(db.path);
  QueryResult q = growth(s, by("kv_heads"));
  CHECK(q.columns[5] == "kvh=2");
  CHECK(q.columns[6] == "kvh=4");
  const auto row = std::find_if(q.rows.begin(), q.rows.end(), [](const auto& r) {
    return std::get<std::string>(r[4]) == "prefill.s512.h8.f32";
  });
  REQUIRE(row != q.rows.end());
  CHECK(std::get<std::string>((*row)[3]) == "attention/toy:*");
  CHECK(display_cell((*row)[5]) == "3e-14");
  CHECK(display_cell((*row)[6]) == "5e-14");

  // Rows come in size order of the other parameters, not text order.
  std::vector<std::string> workloads;
  for (const auto& r : q.rows) workloads.push_back(std::get<std::string>(r[4]));
  CHECK(workloads == std::vector<std::string>{"decode.s1024.h8.f32", "prefill.s512.h8.f32",
                                              "prefill.s2048.h8.f32", "prefill.s8192.h8.f32",
                                              "prefill.s32768.h8.f32"});

  // Bare enum values print without a key: the header uses the parameter's name.
  q = growth(s, by("mode"));
  CHECK(q.columns[5] == "mode=decode");
  CHECK(q.columns[6] == "mode=prefill");
}

TEST_CASE("growth rejects an unknown parameter or metric naming the option", "[growth]") {
  GrowthDb db;
  auto s = Store::open_readonly(db.path);
  CHECK_THROWS_AS(growth(s, by("seqq")), InputError);
  CHECK_THROWS_WITH(growth(s, by("seqq")),
                    Catch::StartsWith("--by: 'seqq' is not a parameter of any stored problem") &&
                        Catch::Contains("seq") && Catch::Contains("tokens"));
  // A parameter that exists, filtered down to nothing, is an empty pivot, not an error.
  CHECK(growth(s, by("seq", "ffn")).rows.empty());
  GrowthOptions o = by("seq");
  o.metric = "speed";
  CHECK_THROWS_WITH(growth(s, o), Catch::StartsWith("--metric: 'speed' is not one of") &&
                                      Catch::Contains("max_rel"));
  o = by("seq");
  o.run_id = 99;
  CHECK_THROWS_AS(growth(s, o), InputError);
}

TEST_CASE("growth keeps a problem without stored parameters whole instead of guessing its token", "[growth]") {
  // As a row from before schema v5 that the harness could not describe: the
  // value still comes from params_json, but nothing reads the canonical string
  // to find what to blank, so each value keeps its own row.
  test_support::TempDir tmp;
  auto s = Store::open_readwrite(tmp.file("old.db"));
  const int64_t run = s.begin_run({});
  for (int seq : {512, 4096}) {
    ResultRecord r = toy("prefill", seq, 2, "cpu", "passed", 1e-14 * seq);
    r.params.clear();
    s.record(run, r);
  }
  const QueryResult q = growth(s, by("seq"));
  REQUIRE(q.rows.size() == 2);
  CHECK(q.columns[5] == "seq=512");  // no stored key: the parameter's name
  CHECK(std::get<std::string>(q.rows[0][4]) == "prefill.s512.h8.f32");
}
