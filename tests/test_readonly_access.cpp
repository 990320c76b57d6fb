// Reading a database this user may not write (issue 13, item 9): `leaderboard`,
// `runs` and `query` by another user on a root-owned WAL database, in a folder
// that user cannot write (so it cannot create the -shm sqlite wants). Run as
// root, the tests drop to `nobody` in a child; as any other user they make the
// file and the folder read-only instead. And `--db ''` is an input error, not
// ./archbench.db.
#include <grp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "results/store.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using archbench::results::Store;
using test_support::CommandResult;
using test_support::quoted;
using test_support::run_cli_with;
using test_support::TempDir;

namespace {

constexpr uid_t kNobody = 65534;

// archbench `arguments` as a user who cannot write `folder` or the files in it:
// `nobody` when we are root, else ourselves after chmod-ing both read-only.
CommandResult as_reader(const fs::path& folder, const std::string& arguments) {
  if (geteuid() != 0) {
    for (const auto& entry : fs::directory_iterator(folder)) chmod(entry.path().c_str(), 0444);
    chmod(folder.c_str(), 0555);
    const CommandResult result = test_support::run_cli(arguments);
    chmod(folder.c_str(), 0755);  // so the test can write and clean up again
    for (const auto& entry : fs::directory_iterator(folder)) chmod(entry.path().c_str(), 0644);
    return result;
  }
  chmod(folder.c_str(), 0755);  // nobody may enter and read, not create
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0) _exit(126);
    const std::string command = "'" + std::string(ARCHBENCH_BINARY) + "' " + arguments;
    execl("/bin/sh", "sh", "-c", command.c_str(), (char*)nullptr);
    _exit(127);
  }
  close(fds[1]);
  CommandResult result;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) result.output.append(buffer, size_t(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (result.exit_code == 126) WARN("could not drop privileges to nobody; ran nothing");
  return result;
}

// A database as `archbench run` leaves it: WAL mode, closed, so no -wal or -shm.
std::string make_database(const TempDir& tmp) {
  const std::string db = tmp.file("root.db");
  {
    auto store = Store::open_readwrite(db);
    const int64_t run = store.begin_run({});
    archbench::results::ResultRecord r;
    r.canonical = "ffn/swiglu:t8.f32";
    r.variant = "ffn/swiglu";
    r.kind = "ffn";
    r.shape = "t8.f32";
    r.backend = "cpu";
    r.outcome = "passed";
    r.tokens_per_s = 1234;
    r.median_s = 0.01;
    store.record(run, r);
    store.finish_run(run, "completed");
  }
  REQUIRE_FALSE(fs::exists(db + "-wal"));
  REQUIRE_FALSE(fs::exists(db + "-shm"));
  return db;
}

}  // namespace

TEST_CASE("read commands work on a WAL database this user cannot write", "[cli][readonly]") {
  TempDir tmp;
  const std::string db = make_database(tmp);
  SECTION("closed: no -wal, no -shm, and none can be made") {
    for (const std::string& args : {"leaderboard --format csv", "runs --format csv",
                                    "query 'SELECT count(*) AS n FROM results' --format csv"}) {
      const CommandResult r = as_reader(tmp.path, args + " --db " + quoted(db));
      INFO(args << " -> " << r.output);
      CHECK(r.exit_code == 0);
      CHECK(r.output.find("readonly") == std::string::npos);
    }
    CHECK_THAT(as_reader(tmp.path, "leaderboard --format csv --db " + quoted(db)).output, Catch::Contains("ffn/swiglu"));
    CHECK(as_reader(tmp.path, "query 'SELECT count(*) AS n FROM results' --format csv --db " + quoted(db)).output ==
          "n\n1\n");
    CHECK_FALSE(fs::exists(db + "-shm"));
  }
  SECTION("open by a writer: its uncheckpointed rows are read from its -wal") {
    sqlite3* writer = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &writer) == SQLITE_OK);
    REQUIRE(sqlite3_exec(writer, "PRAGMA wal_autocheckpoint = 0; UPDATE runs SET suites = 'still-writing'", nullptr,
                         nullptr, nullptr) == SQLITE_OK);
    REQUIRE(fs::exists(db + "-wal"));
    const CommandResult r = as_reader(tmp.path, "query 'SELECT suites FROM runs' --format csv --db " + quoted(db));
    sqlite3_close(writer);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output == "suites\nstill-writing\n");
  }
}

TEST_CASE("an empty --db is an input error - never ./archbench.db", "[cli][readonly]") {
  TempDir tmp;
  for (const std::string& args : {"run --quick --backend cpu --problem 'norm/rmsnorm:t4.dm32.f32'", "calibrate --backend cpu",
                                  "leaderboard", "runs", "query 'SELECT 1'", "compare 1 2"}) {
    const CommandResult r = run_cli_with("cd " + quoted(tmp.path.string()) + " && ", args + " --db ''");
    INFO(args << " -> " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output == "archbench: --db: the database path is empty\n");
  }
  CHECK(fs::is_empty(tmp.path));  // no ./archbench.db, nothing else
}
