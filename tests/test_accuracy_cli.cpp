// The accuracy tasks end to end through the CLI and the in-tree attention
// plugin: small grids (1K..4K tokens) in a suite file written here, so they
// check the claims of issue 5 in seconds: full causal attention finds every
// needle and follows every chain, a sliding window finds exactly the needles
// inside it (effective context = W), ALiBi loses them with distance, bf16 and
// Vulkan agree with the CPU, and the stored cells answer SQL, the leaderboard
// and the plots.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "test_support.hpp"

using test_support::run_cli;
using test_support::TempDir;

namespace {

constexpr const char* kSuite = R"(name = "accuracy-test"
[measure]
timeout = 600
[task]
kind = "needle"
contexts = [1024, 2048, 4096]
trials = 8
[[problems]]
variant = "attention/gqa"
dtypes = ["f32", "bf16"]
backends = ["cpu"]
[problems.params]
heads = 4
kv_heads = 2
head_dim = 64
v_head_dim = 32
position = "nope"
[[problems]]
variant = "attention/mha"
backends = ["cpu"]
[problems.params]
heads = 2
head_dim = 64
v_head_dim = 32
position = "nope"
mask = "window"
span = 1024
[[problems]]
variant = "attention/mha"
backends = ["cpu"]
[problems.params]
heads = 4
head_dim = 64
v_head_dim = 32
position = "alibi"
[[problems]]
variant = "attention/mha"
backends = ["cpu"]
[problems.params]
heads = 2
head_dim = 64
v_head_dim = 64
position = "nope"
[problems.task]
kind = "multihop"
contexts = [2048]
trials = 8
)";

std::string query(const std::string& db, const std::string& sql) {
  const auto r = run_cli("query --db " + db + " --format csv \"" + sql + "\"");
  REQUIRE(r.exit_code == 0);
  return r.output;
}

double number(const std::string& db, const std::string& sql) {
  std::istringstream in(query(db, sql));
  std::string header, value;
  std::getline(in, header);
  std::getline(in, value);
  return value.empty() ? -1 : std::stod(value);
}

struct AccuracyRun {
  TempDir tmp;
  std::string db = tmp.file("a.db"), suite = tmp.file("accuracy.toml");
  AccuracyRun() {
    std::ofstream(suite) << kSuite;
    const auto r = run_cli("run --backend cpu --db " + db + " --suite " + suite);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
  }
};

const AccuracyRun& accuracy_run() {
  static AccuracyRun run;
  return run;
}

}  // namespace

TEST_CASE("full causal attention finds every needle and follows every chain") {
  const auto& run = accuracy_run();
  CHECK(number(run.db, "SELECT MIN(accuracy) FROM needle WHERE variant = 'attention/gqa'") == 1.0);
  CHECK(number(run.db, "SELECT COUNT(*) FROM needle WHERE variant = 'attention/gqa'") == 2 * 3 * 11);
  CHECK(number(run.db, "SELECT MIN(accuracy) FROM multihop") == 1.0);
  CHECK(number(run.db, "SELECT COUNT(DISTINCT hops) FROM multihop") == 4);
}

TEST_CASE("a sliding window finds exactly the needles in its last W tokens") {
  const auto& run = accuracy_run();
  // At 4096 tokens with W = 1024 the needle is inside from depth ~76% on.
  const std::string window = "design GLOB '*window.w1024*' AND context = 4096";
  CHECK(number(run.db, "SELECT MIN(accuracy) FROM needle WHERE " + window + " AND depth >= 80") == 1.0);
  CHECK(number(run.db, "SELECT MAX(accuracy) FROM needle WHERE " + window + " AND depth <= 70") <= 0.25);
  const auto board = run_cli("leaderboard --db " + run.db + " --task needle --format csv --variant '*window*'");
  REQUIRE(board.exit_code == 0);
  INFO(board.output);
  CHECK(board.output.find(",1024,") != std::string::npos);  // effective context = W
}

TEST_CASE("ALiBi loses the needle with distance") {
  const auto& run = accuracy_run();
  const std::string alibi = "design GLOB '*alibi*' AND context = 4096";
  CHECK(number(run.db, "SELECT accuracy FROM needle WHERE " + alibi + " AND depth = 100") == 1.0);
  CHECK(number(run.db, "SELECT AVG(accuracy) FROM needle WHERE " + alibi + " AND depth <= 50") < 0.6);
}

TEST_CASE("a stored cell replays its row and bad task strings are refused") {
  const auto& run = accuracy_run();
  const std::string cell = query(run.db, "SELECT canonical FROM needle WHERE variant = 'attention/gqa' AND "
                                         "dtype = 'f32' AND context = 1024 AND depth = 30");
  const std::string canonical = cell.substr(cell.find('\n') + 1, cell.find('\n', cell.find('\n') + 1) - cell.find('\n') - 1);
  CHECK(canonical.find("@needle.single.spread.beta32.t8.ds10.cell-d30") != std::string::npos);
  TempDir tmp;
  const auto replay = run_cli("run --backend cpu --db " + tmp.file("r.db") + " --problem '" + canonical + "'");
  INFO(replay.output);
  CHECK(replay.exit_code == 0);
  CHECK(number(tmp.file("r.db"), "SELECT MIN(accuracy) FROM needle") == 1.0);
  const auto bad = run_cli("run --backend cpu --db " + tmp.file("b.db") +
                           " --problem 'attention/mha:h2.hd64@needle.single.sideways'");
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("sideways") != std::string::npos);
  CHECK(!std::ifstream(tmp.file("b.db")));  // refused before the database was touched
}

TEST_CASE("plots draw one group and refuse ambiguous filters") {
  const auto& run = accuracy_run();
  TempDir tmp;
  const auto heatmap = run_cli("plot needle --db " + run.db + " --variant '*alibi*' -o " + tmp.file("a.svg"));
  INFO(heatmap.output);
  REQUIRE(heatmap.exit_code == 0);
  std::stringstream svg;
  svg << std::ifstream(tmp.file("a.svg")).rdbuf();
  CHECK(svg.str().find("attention/mha:alibi") != std::string::npos);
  CHECK(svg.str().find("chance 3%") != std::string::npos);
  if (std::system("command -v xmllint >/dev/null 2>&1") == 0)
    CHECK(std::system(("xmllint --noout " + tmp.file("a.svg")).c_str()) == 0);
  const auto lines = run_cli("plot multihop --db " + run.db + " -o " + tmp.file("m.svg"));
  CHECK(lines.exit_code == 0);
  const auto ambiguous = run_cli("plot needle --db " + run.db + " -o " + tmp.file("x.svg"));
  CHECK(ambiguous.exit_code == 2);
  CHECK(ambiguous.output.find("narrow it to one") != std::string::npos);
  CHECK(ambiguous.output.find('\n') == ambiguous.output.size() - 1);  // one line
}

TEST_CASE("the perf leaderboard shows needle accuracy beside speed and ignores task rows") {
  TempDir tmp;
  const std::string suite = tmp.file("s.toml"), db = tmp.file("s.db");
  std::ofstream(suite) << R"(name = "speed-and-needle"
[[problems]]
variant = "attention/mha"
backends = ["cpu"]
[problems.params]
seq = 256
heads = 2
head_dim = 64
v_head_dim = 32
position = "nope"
[problems.measure]
repetitions = 2
min_time = 0.01
[[problems]]
variant = "attention/mha"
backends = ["cpu"]
[problems.params]
heads = 2
head_dim = 64
v_head_dim = 32
position = "nope"
[problems.task]
kind = "needle"
contexts = [1024, 2048]
[[problems]]
variant = "attention/mha"
backends = ["cpu"]
[problems.params]
heads = 2
head_dim = 64
v_head_dim = 32
position = "nope"
[problems.task]
kind = "needle"
contexts = [1024]
content = "low-freq"
trials = 4
)";
  REQUIRE(run_cli("run --backend cpu --db " + db + " --suite " + suite).exit_code == 0);
  const auto board = run_cli("leaderboard --db " + db + " --format csv");
  REQUIRE(board.exit_code == 0);
  INFO(board.output);
  CHECK(board.output.find("needle_acc,eff_context,needle_task") != std::string::npos);
  // Low-freq rows are preferred even over a spread grid with more contexts.
  CHECK(board.output.find(",1,1024,single.low-freq,") != std::string::npos);
  CHECK(board.output.find("s1024") == std::string::npos);  // the task row is not a timed result
}
