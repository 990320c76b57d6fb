// A run's life in the database (issue 13, item 6): SIGTERM and SIGHUP, like
// Ctrl-C, kill the measuring child in flight and mark the run 'interrupted'
// (exit 128 + the signal); a run whose process is gone (kill -9) is marked
// 'abandoned' by the next `archbench run` or `archbench runs` on the host,
// never one that still lives, one of another host or one from before schema v7.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "results/format.hpp"
#include "results/run_liveness.hpp"
#include "results/store.hpp"
#include "test_support.hpp"

using archbench::results::Liveness;
using archbench::results::Store;
using test_support::run_cli;
using test_support::TempDir;

namespace {

const std::string mock_dir = std::string(ARCHBENCH_MOCK_DIR) + "/misbehaving";

std::string scalar(const std::string& db, const std::string& sql) {
  const auto result = Store::open_readonly(db).query(sql);
  REQUIRE(result.rows.size() == 1);
  return archbench::results::display_cell(result.rows[0][0]);
}

void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

// Starts `archbench run` on one copy and then a hanging problem, in a process
// group of its own (so the test can clean up), and returns once the copy is
// committed and the hang is in flight.
pid_t start_hanging_run(const std::string& db) {
  // Ready once this run has stored its first result: one more than the file
  // already holds (a second run must not be taken as started by the first's).
  const std::string expected =
      std::to_string(std::filesystem::exists(db) ? std::stoll(scalar(db, "SELECT count(*) FROM results")) + 1 : 1);
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    execl(ARCHBENCH_BINARY, ARCHBENCH_BINARY, "run", "--quick", "--backend", "cpu", "--plugin-dir", mock_dir.c_str(),
          "--problem", "mock/copy:n64", "--problem", "mock/hang:n64", "--db", db.c_str(), (char*)nullptr);
    _exit(127);
  }
  setpgid(pid, pid);
  bool ready = false;
  for (int i = 0; i < 600 && !ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    try {
      ready = std::filesystem::exists(db) && scalar(db, "SELECT count(*) FROM results") == expected;
    } catch (...) {
    }
  }
  REQUIRE(ready);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the hang's child has been forked
  return pid;
}

// The children of `pid` (/proc/<pid>/task/<pid>/children); empty where the
// kernel does not offer that file.
std::vector<pid_t> children_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> out;
  for (pid_t child; in >> child;) out.push_back(child);
  return out;
}

bool process_exists(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z';
}

// waitpid with a deadline; false when `pid` is still running then.
bool wait_for(pid_t pid, int& status, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("this process is alive - a finished one is gone", "[results][lifecycle]") {
  const auto me = archbench::results::this_process();
  REQUIRE_FALSE(me.start.empty());  // Linux: /proc has what it needs
  CHECK(archbench::results::liveness(me) == Liveness::alive);
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  auto dead = me;
  dead.pid = pid;
  CHECK(archbench::results::liveness(dead) == Liveness::gone);
  auto elsewhere = dead;
  elsewhere.host = me.host + "-elsewhere";
  CHECK(archbench::results::liveness(elsewhere) == Liveness::unknown);
  auto reused = me;  // our pid, but another process's start time
  reused.start = me.start + "0";
  CHECK(archbench::results::liveness(reused) == Liveness::gone);
  CHECK(archbench::results::liveness({}) == Liveness::unknown);
}

TEST_CASE("runs whose process is gone are found and marked abandoned - nothing else", "[results][lifecycle]") {
  TempDir tmp;
  const std::string db = tmp.file("a.db");
  auto store = Store::open_readwrite(db);
  // A process that began a run and died without finishing it.
  auto begin_in_child = [&](bool finish) {
    const pid_t pid = fork();
    if (pid == 0) {
      auto theirs = Store::open_readwrite(db);
      const int64_t id = theirs.begin_run({});
      if (finish) theirs.finish_run(id, "completed");
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  };
  begin_in_child(false);                       // 1: gone
  const int64_t live = store.begin_run({});    // 2: this process
  begin_in_child(true);                        // 3: completed
  begin_in_child(false);                       // 4: gone, but recorded on another host
  raw_exec(db, "UPDATE runs SET pid_host = pid_host || '-elsewhere' WHERE id = 4");
  begin_in_child(false);                       // 5: gone, recorded before v7 (no pid)
  raw_exec(db, "UPDATE runs SET pid = 0, pid_host = '', pid_start = '' WHERE id = 5");
  CHECK(live == 2);
  CHECK(scalar(db, "SELECT pid FROM runs WHERE id = 2") == std::to_string(getpid()));

  CHECK(Store::open_readonly(db).abandoned_runs() == std::vector<int64_t>{1});  // read-only stores answer too
  store.mark_abandoned(store.abandoned_runs());
  CHECK(scalar(db, "SELECT group_concat(id || ':' || status, ' ') FROM (SELECT * FROM runs ORDER BY id)") ==
        "1:abandoned 2:running 3:completed 4:running 5:running");
  CHECK(scalar(db, "SELECT finished_at IS NULL FROM runs WHERE id = 1") == "1");  // when it died is unknown
  CHECK(store.abandoned_runs().empty());
}

TEST_CASE("SIGTERM and SIGHUP - like SIGINT - mark the run interrupted - kill the child in flight - exit 128 + signal", "[cli][lifecycle]") {
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) {
    INFO("signal " << signal);
    TempDir tmp;
    const std::string db = tmp.file("s.db");
    const pid_t pid = start_hanging_run(db);
    const std::vector<pid_t> children = children_of(pid);
    if (std::filesystem::exists("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"))
      CHECK(children.size() == 1);  // the hang's measuring child
    kill(pid, signal);  // the parent alone, as a service manager or a closing terminal would
    int status = 0;
    const bool ended = wait_for(pid, status, 60);
    kill(-pid, SIGKILL);  // cleanup whatever happened
    if (!ended) waitpid(pid, &status, 0);
    CHECK(ended);
    CHECK(WIFEXITED(status));
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 128 + signal));
    CHECK(scalar(db, "SELECT status FROM runs") == "interrupted");
    CHECK(scalar(db, "SELECT count(*) FROM results") == "1");  // the hang is not recorded
    for (const pid_t child : children) CHECK_FALSE(process_exists(child));
  }
}

TEST_CASE("a run killed with -9 is abandoned when runs or the next run looks", "[cli][lifecycle]") {
  TempDir tmp;
  const std::string db = tmp.file("k.db");
  auto kill_9 = [&] {
    const pid_t pid = start_hanging_run(db);
    kill(-pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
  };
  kill_9();
  CHECK(scalar(db, "SELECT status FROM runs WHERE id = 1") == "running");
  const auto runs = run_cli("runs --format csv --db " + db);
  INFO(runs.output);
  CHECK(runs.exit_code == 0);
  CHECK_THAT(runs.output, Catch::Contains("note: run 1 marked abandoned: the archbench process that ran it on this host is gone"));
  CHECK_THAT(runs.output, Catch::Contains(",abandoned,"));
  CHECK(scalar(db, "SELECT status FROM runs WHERE id = 1") == "abandoned");

  kill_9();
  CHECK(scalar(db, "SELECT status FROM runs WHERE id = 2") == "running");
  const auto next = run_cli("run --quick --backend cpu --plugin-dir " + mock_dir + " --problem mock/copy:n64 --db " + db);
  INFO(next.output);
  CHECK(next.exit_code == 0);
  CHECK_THAT(next.output, Catch::Contains("note: run 2 marked abandoned"));
  CHECK(scalar(db, "SELECT group_concat(status, ' ') FROM (SELECT status FROM runs ORDER BY id)") ==
        "abandoned abandoned completed");
}
