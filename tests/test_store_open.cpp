// Opening a database for writing (issue 13, item 2): `run` and `calibrate` create
// or migrate only a new or empty file or an archbench database. Another SQLite
// file, a negative or newer schema version and a corrupt file are refused with
// one line naming the path, exit 2, before anything is measured; a refused file
// stays byte-identical and keeps no -wal/-shm it did not have.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "harness/errors.hpp"
#include "results/migrations.hpp"
#include "results/store.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using archbench::InputError;
using archbench::results::latest_schema_version;
using archbench::results::Store;
using test_support::quoted;
using test_support::run_cli;
using test_support::TempDir;

namespace {

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

// A bool, so a failure does not print two binary files.
bool same_bytes(const std::string& path, const std::string& before) { return bytes_of(path) == before; }

bool has_sidecars(const std::string& path) { return fs::exists(path + "-wal") || fs::exists(path + "-shm"); }

void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  INFO((error ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

size_t lines(const std::string& text) { return size_t(std::count(text.begin(), text.end(), '\n')); }

// `run` and `calibrate` on `path`: each exits 2 with one line naming the file,
// measures nothing, and leaves the file as it was.
void check_cli_refuses(const std::string& path, const std::string& expected) {
  const std::string before = bytes_of(path);
  const bool sidecars = has_sidecars(path);
  const std::string commands[] = {"run --quick --backend cpu --problem 'norm/rmsnorm:t4.dm32.f32' --db " + quoted(path),
                                  "calibrate --backend cpu --db " + quoted(path)};
  for (const std::string& command : commands) {
    const auto r = run_cli(command);
    INFO(command << " -> " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(lines(r.output) == 1);
    CHECK_THAT(r.output, Catch::StartsWith("archbench: " + path + ": ") && Catch::Contains(expected));
    CHECK(r.output.find("passed") == std::string::npos);  // nothing measured
    CHECK(same_bytes(path, before));
    CHECK(has_sidecars(path) == sidecars);
  }
}

}  // namespace

TEST_CASE("a foreign SQLite file is refused by run and calibrate and stays byte-identical", "[results][store-open]") {
  TempDir tmp;
  const std::string path = tmp.file("notes.sqlite");
  raw_exec(path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('keep me');"
                 "CREATE VIEW shouting AS SELECT upper(text) FROM notes");
  const std::string before = bytes_of(path);
  CHECK_THROWS_AS(Store::open_readwrite(path), InputError);
  CHECK_THROWS_WITH(Store::open_readwrite(path),
                    Catch::StartsWith(path + ": not an archbench database (schema version 0 with tables of its own: notes, shouting)"));
  CHECK(same_bytes(path, before));
  CHECK_FALSE(has_sidecars(path));
  check_cli_refuses(path, "not an archbench database");

  SECTION("also in WAL mode, with a -wal of its own that closing must not fold in") {
    raw_exec(path, "PRAGMA journal_mode = WAL");
    // A second process keeps committed pages in the -wal (no checkpoint) and exits.
    const pid_t pid = fork();
    if (pid == 0) {
      sqlite3* db = nullptr;
      sqlite3_open(path.c_str(), &db);
      sqlite3_exec(db, "PRAGMA wal_autocheckpoint = 0; INSERT INTO notes (text) VALUES ('in the wal')", nullptr, nullptr,
                   nullptr);
      _exit(0);  // no close: the -wal keeps its frames
    }
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(fs::exists(path + "-wal"));
    REQUIRE(fs::file_size(path + "-wal") > 0);
    const std::string main_file = bytes_of(path), wal = bytes_of(path + "-wal");
    CHECK_THROWS_WITH(Store::open_readwrite(path), Catch::Contains("not an archbench database"));
    CHECK(same_bytes(path, main_file));
    CHECK(same_bytes(path + "-wal", wal));
  }
}

TEST_CASE("an archbench schema version without archbench's tables is refused", "[results][store-open]") {
  TempDir tmp;
  const std::string path = tmp.file("other.db");
  raw_exec(path, "CREATE TABLE things (a); PRAGMA user_version = 2");
  const std::string before = bytes_of(path);
  CHECK_THROWS_WITH(Store::open_readwrite(path),
                    Catch::StartsWith(path + ": not an archbench database (schema version 2 but no 'runs' table)"));
  CHECK(same_bytes(path, before));
  CHECK_FALSE(has_sidecars(path));
}

TEST_CASE("a newer schema is refused before anything is written - rollback journal or WAL", "[results][store-open]") {
  TempDir tmp;
  const std::string path = tmp.file("newer.db");
  { Store::open_readwrite(path); }
  const int newer = latest_schema_version() + 1;
  const std::string expected = path + ": database schema version " + std::to_string(newer) +
                               " is newer than this archbench (" + std::to_string(latest_schema_version()) +
                               "); upgrade archbench";
  SECTION("rollback journal: switching it to WAL would rewrite its header") {
    raw_exec(path, "PRAGMA journal_mode = DELETE; PRAGMA user_version = " + std::to_string(newer));
    const std::string before = bytes_of(path);
    CHECK_THROWS_WITH(Store::open_readwrite(path), expected);
    CHECK(same_bytes(path, before));
    CHECK_FALSE(has_sidecars(path));
    check_cli_refuses(path, "is newer than this archbench");
  }
  SECTION("WAL, as a newer archbench leaves it") {
    raw_exec(path, "PRAGMA user_version = " + std::to_string(newer));
    REQUIRE_FALSE(has_sidecars(path));
    const std::string before = bytes_of(path);
    CHECK_THROWS_WITH(Store::open_readwrite(path), expected);
    CHECK(same_bytes(path, before));
    CHECK_FALSE(has_sidecars(path));
  }
}

TEST_CASE("a negative user_version is refused cleanly - never used as an index", "[results][store-open]") {
  TempDir tmp;
  const std::string path = tmp.file("negative.db");
  raw_exec(path, "CREATE TABLE runs (id); PRAGMA user_version = -3");
  const std::string before = bytes_of(path);
  const std::string expected = path + ": not an archbench database (schema version -3)";
  CHECK_THROWS_WITH(Store::open_readwrite(path), Catch::StartsWith(expected));
  CHECK_THROWS_WITH(Store::open_readonly(path), Catch::StartsWith(expected));
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  CHECK_THROWS_AS(archbench::results::migrate(db, path, archbench::results::migrations()), InputError);
  sqlite3_close(db);
  CHECK(same_bytes(path, before));
  check_cli_refuses(path, "schema version -3");
}

TEST_CASE("an empty file becomes a database - a missing one is created", "[results][store-open]") {
  TempDir tmp;
  const std::string empty = tmp.file("empty.db"), missing = tmp.file("missing.db");
  std::ofstream(empty).close();
  REQUIRE(fs::file_size(empty) == 0);
  CHECK(Store::open_readwrite(empty).schema_version() == latest_schema_version());
  CHECK(Store::open_readwrite(missing).schema_version() == latest_schema_version());
}

TEST_CASE("a corrupt database is refused when a run opens it - before measuring", "[results][store-open]") {
  TempDir tmp;
  SECTION("garbage bytes") {
    const std::string path = tmp.file("garbage.db");
    std::string junk(8192, '\0');
    uint32_t state = 12345;
    for (char& c : junk) c = char((state = state * 1664525u + 1013904223u) >> 24);
    std::ofstream(path, std::ios::binary) << junk;
    CHECK_THROWS_WITH(Store::open_readwrite(path), Catch::StartsWith(path + ": not a database, or a corrupt one"));
    CHECK(same_bytes(path, junk));
    check_cli_refuses(path, "not a database, or a corrupt one");
  }
  // An archbench database with enough pages that losing some goes unseen by
  // reading its header and schema alone.
  auto make_big_database = [](const std::string& path) {
    {
      auto store = Store::open_readwrite(path);
      const int64_t run = store.begin_run({});
      archbench::results::ResultRecord r;
      r.canonical = "ffn/swiglu:t1.f32";
      r.variant = "ffn/swiglu";
      r.kind = "ffn";
      r.backend = "cpu";
      r.outcome = "passed";
      r.samples.assign(20000, 1e-3);  // enough pages that cutting the file loses some
      store.record(run, r);
    }
    REQUIRE_FALSE(has_sidecars(path));
    REQUIRE(fs::file_size(path) > 40 * 4096);
  };
  SECTION("an archbench database cut short") {
    const std::string path = tmp.file("truncated.db");
    make_big_database(path);
    fs::resize_file(path, fs::file_size(path) / 2);
    const std::string before = bytes_of(path);
    CHECK_THROWS_WITH(Store::open_readwrite(path), Catch::StartsWith(path + ": the database is corrupt ("));
    CHECK(same_bytes(path, before));
    check_cli_refuses(path, "the database is corrupt");
  }
  SECTION("a page in the middle overwritten: header and schema intact, so only reading every page sees it") {
    const std::string path = tmp.file("overwritten.db");
    make_big_database(path);
    {
      std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
      file.seekp(std::streamoff(fs::file_size(path) / 2 / 4096 * 4096));
      file << std::string(4096, '\x5a');
    }
    const std::string before = bytes_of(path);
    CHECK_THROWS_WITH(Store::open_readwrite(path), Catch::StartsWith(path + ": the database is corrupt (quick_check: "));
    CHECK(same_bytes(path, before));
    check_cli_refuses(path, "the database is corrupt");
  }
}
