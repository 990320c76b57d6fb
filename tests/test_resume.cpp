// `archbench run --resume RUN_ID` (issue 19): a shard killed mid-way (kill -9,
// as a pre-empted Slurm job dies) and resumed ends with exactly the results
// of an uninterrupted shard: every planned row once, in one run, completed.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "results/format.hpp"
#include "results/store.hpp"
#include "test_support.hpp"

using archbench::results::Store;
using test_support::run_cli;
using test_support::TempDir;

namespace {

// Twelve checked (untimed) norm rows: about a quarter second each, so a shard
// of six is still running when the test kills it after its second row.
void write_suite(const std::string& path) {
  std::ofstream(path) << "name = \"resume\"\n[measure]\ntiming = false\ntimeout = 60\n"
                         "[[problems]]\nvariant = \"norm/*\"\ndtypes = [\"f32\"]\n[problems.params]\n"
                         "tokens = [8, 16, 24, 32, 40, 48]\nd_model = 64\n";
}

std::string scalar(const std::string& db, const std::string& sql) {
  const auto result = Store::open_readonly(db).query(sql);
  REQUIRE(result.rows.size() == 1);
  return archbench::results::display_cell(result.rows[0][0]);
}

// What a run recorded, independent of timing: each row's key and outcome.
std::string recorded(const std::string& db) {
  return scalar(db, "SELECT group_concat(row, '\n') FROM (SELECT p.canonical || '|' || r.backend || '|' || r.task"
                    " || '|' || r.outcome || '|' || r.suite AS row FROM results r JOIN problems p ON p.id = r.problem_id"
                    " ORDER BY row)");
}

std::vector<std::string> run_arguments(const std::string& suite, const std::string& db) {
  return {"run", "--backend", "cpu", "--suite", suite, "--shard", "1/2", "--db", db};
}

}  // namespace

TEST_CASE("a shard killed mid-way and resumed ends with exactly the results of an uninterrupted one", "[resume][cli]") {
  TempDir tmp;
  const std::string suite = tmp.file("resume.toml"), whole = tmp.file("whole.db"), killed = tmp.file("killed.db");
  write_suite(suite);
  const std::string args = "run --backend cpu --suite " + suite + " --shard 1/2 ";
  const auto uninterrupted = run_cli(args + "--db " + whole);
  INFO(uninterrupted.output);
  REQUIRE(uninterrupted.exit_code == 0);
  const std::string expected = recorded(whole);
  const int planned = std::stoi(scalar(whole, "SELECT count(*) FROM results"));
  REQUIRE(planned >= 4);

  // The same shard, killed with -9 (process group: the measuring child too) after two rows.
  const std::vector<std::string> argv_strings = run_arguments(suite, killed);
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    std::vector<char*> argv = {const_cast<char*>(ARCHBENCH_BINARY)};
    for (const std::string& a : argv_strings) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(ARCHBENCH_BINARY, argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  bool two = false;
  for (int i = 0; i < 3000 && !two; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    try {
      two = std::filesystem::exists(killed) && std::stoi(scalar(killed, "SELECT count(*) FROM results")) >= 2;
    } catch (...) {
    }
  }
  kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(two);
  const int before = std::stoi(scalar(killed, "SELECT count(*) FROM results"));
  REQUIRE(before < planned);  // killed mid-way, not after the end
  CHECK(scalar(killed, "SELECT status FROM runs") == "running");
  const std::string uid = scalar(killed, "SELECT uid FROM runs");

  // Merged while cut short: the merged copy gets the rest when merged again.
  const std::string merged = tmp.file("merged.db");
  const auto early = run_cli("merge " + merged + " " + killed);
  CHECK(early.exit_code == 0);

  // auto finds it: the newest run of this plan that stopped without completing.
  const auto resumed = run_cli(args + "--resume auto --db " + killed);
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.output, Catch::Contains("note: run 1 marked abandoned"));
  CHECK_THAT(resumed.output, Catch::Contains("run 1 (resumed): " + std::to_string(planned - before) + " problems"));
  CHECK(recorded(killed) == expected);  // every row once: none missing, none twice
  CHECK(scalar(killed, "SELECT count(*) || ' ' || status || ' ' || shard || ' ' || uid FROM runs") ==
        "1 completed 1/2 " + uid);

  const auto late = run_cli("merge " + merged + " " + killed);
  INFO(late.output);
  CHECK_THAT(late.output, Catch::Contains("0 runs added, 1 updated, 0 already present; " +
                                          std::to_string(planned - before) + " results"));
  CHECK(recorded(merged) == expected);
  CHECK(scalar(merged, "SELECT status || ' ' || uid FROM runs") == "completed " + uid);

  // Resuming it again finds nothing left to do, and changes nothing.
  const auto again = run_cli(args + "--resume 1 --db " + killed);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.output, Catch::Contains("run 1 (resumed): 0 problems"));
  CHECK(recorded(killed) == expected);
}

TEST_CASE("run --resume refuses what it cannot continue in one line, before anything runs", "[resume][cli]") {
  TempDir tmp;
  const std::string suite = tmp.file("resume.toml"), db = tmp.file("r.db");
  write_suite(suite);
  const auto first = run_cli("run --backend cpu --suite " + suite + " --shard 1/2 --db " + db);
  REQUIRE(first.exit_code == 0);
  const std::string before = recorded(db);
  struct Case {
    std::string args, message;
  };
  for (const Case& c : {Case{"--shard 1/2 --resume 7", "--resume 7: " + db + " has no run 7 (see `archbench runs`)"},
                        Case{"--shard 0/2 --resume 1", "--resume 1: these options plan other rows than the run did"},
                        Case{"--resume 1", "--resume 1: these options plan other rows than the run did"},
                        Case{"--shard 1/2 --resume 0", "--resume '0': expected a run id (see `archbench runs`) or auto"},
                        Case{"--shard 1/2 --resume 1 --dry-run", "--resume and --dry-run do not go together"}}) {
    const auto refused = run_cli("run --backend cpu --suite " + suite + " " + c.args + " --db " + db);
    INFO(c.args << "\n" << refused.output);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.output, Catch::Contains(c.message));
    CHECK(std::count(refused.output.begin(), refused.output.end(), '\n') == 1);
  }
  const auto nowhere = run_cli("run --backend cpu --suite " + suite + " --shard 1/2 --resume 1 --db " + tmp.file("none.db"));
  CHECK(nowhere.exit_code == 2);
  CHECK_THAT(nowhere.output, Catch::Contains("--resume 1: " + tmp.file("none.db") + " does not exist"));
  CHECK_FALSE(std::filesystem::exists(tmp.file("none.db")));
  CHECK(recorded(db) == before);
  CHECK(scalar(db, "SELECT count(*) FROM runs") == "1");

  // A run recorded on another machine is not continued here, nor found by auto.
  const std::string other = tmp.file("other.db");
  std::filesystem::copy_file(db, other);
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(other.c_str(), &raw) == SQLITE_OK);
  CHECK(sqlite3_exec(raw, "UPDATE runs SET host = 'node-b', status = 'interrupted'", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  const auto moved = run_cli("run --backend cpu --suite " + suite + " --shard 1/2 --resume 1 --db " + other);
  CHECK(moved.exit_code == 2);
  CHECK_THAT(moved.output, Catch::Contains("--resume 1: the run was recorded on another machine (node-b, "));
  const auto elsewhere = run_cli("run --backend cpu --suite " + suite + " --shard 1/2 --resume auto --db " + other);
  CHECK(elsewhere.exit_code == 0);
  CHECK_THAT(elsewhere.output, Catch::Contains("starting a new run"));
  CHECK(scalar(other, "SELECT group_concat(status, ' ') FROM (SELECT status FROM runs ORDER BY id)") ==
        "interrupted completed");
  CHECK(scalar(other, "SELECT host FROM runs WHERE id = 1") == "node-b");

  // auto with nothing to resume (run 1 completed) starts a new run.
  const auto fresh = run_cli("run --backend cpu --suite " + suite + " --shard 1/2 --resume auto --db " + db);
  CHECK(fresh.exit_code == 0);
  CHECK_THAT(fresh.output, Catch::Contains("note: --resume auto: no interrupted or abandoned run of this plan on this machine; starting a new run"));
  CHECK(scalar(db, "SELECT group_concat(status, ' ') FROM runs") == "completed completed");
}
