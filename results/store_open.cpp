// Store: opening a database. A write-mode open decides what the file is before
// writing a byte of it (issue 13): only a new or empty file or an archbench
// database is created or migrated, and a corrupt one is refused here, before a
// run measures anything it could not store. A read-only open falls back to
// an immutable read where this user cannot make the -shm of a WAL database.
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/errors.hpp"
#include "results/backfill.hpp"
#include "results/migrations.hpp"
#include "results/sqlite_util.hpp"
#include "results/store.hpp"

namespace archbench::results {
namespace {

constexpr int kBusyTimeoutMs = 10000;  // a concurrent `archbench query` must not fail a run

// What a refusal adds, so the user knows the file was left alone and what to do.
constexpr const char* kLeftAlone = "; the file was left unchanged, choose another with --db or ARCHBENCH_DB";

// Runs the connection setup; any sqlite failure (not a database, locked, I/O) is
// reported as bad input naming the file, because the user chose the file.
template <class F>
void setup_or_input_error(sqlite3* db, const std::string& path, F&& setup) {
  try {
    setup();
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    const int code = sqlite3_errcode(db);
    if (code == SQLITE_CORRUPT)
      throw InputError(path + ": the database is corrupt (" + sqlite3_errmsg(db) + ")" + kLeftAlone);
    if (code == SQLITE_NOTADB)
      throw InputError(path + ": not a database, or a corrupt one (" + sqlite3_errmsg(db) + ")" + kLeftAlone);
    throw InputError(path + ": cannot use as an archbench database (" + e.what() + ")");
  }
}

// Read-only connections may not ATTACH another file (it could be written through
// the new schema) nor DETACH; sqlite3_stmt_readonly() calls both read-only.
int deny_attach(void*, int action, const char*, const char*, const char*, const char*) {
  return (action == SQLITE_ATTACH || action == SQLITE_DETACH) ? SQLITE_DENY : SQLITE_OK;
}

// The version checks both kinds of open share; `have` is PRAGMA user_version.
void refuse_unknown_version(int have, const std::string& path) {
  const int know = latest_schema_version();
  if (have < 0)  // never written by archbench, which counts migrations from 0
    throw InputError(path + ": not an archbench database (schema version " + std::to_string(have) + ")" +
                     kLeftAlone);
  if (have > know)
    throw InputError(path + ": database schema version " + std::to_string(have) +
                     " is newer than this archbench (" + std::to_string(know) + "); upgrade archbench");
}

// The tables and views the file has, sqlite's own left out.
std::vector<std::string> objects_in(sqlite3* db) {
  std::vector<std::string> names;
  sql::Stmt list(db, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                     " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
  while (list.step()) names.push_back(std::get<std::string>(list.column(0)));
  return names;
}

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 5; ++i) out += (i ? ", " : "") + names[i];
  return names.size() > 5 ? out + ", ..." : out;
}

// A write-mode open takes a file only when it is new or empty (user_version 0,
// nothing in it) or an archbench database this build can migrate. Reads only.
void require_archbench_or_empty(sqlite3* db, const std::string& path) {
  const int have = read_user_version(db);  // the first read: "file is not a database" shows here
  refuse_unknown_version(have, path);
  const std::vector<std::string> objects = objects_in(db);
  if (have == 0 && !objects.empty())
    throw InputError(path + ": not an archbench database (schema version 0 with tables of its own: " +
                     listed(objects) + "); archbench creates or migrates only a new or empty file or its own database" +
                     kLeftAlone);
  if (have > 0)  // every version since v1 has these
    for (const char* table : {"runs", "problems", "results"})
      if (std::find(objects.begin(), objects.end(), table) == objects.end())
        throw InputError(path + ": not an archbench database (schema version " + std::to_string(have) +
                         " but no '" + table + "' table)" + kLeftAlone);
}

// Reads every page once (PRAGMA quick_check), so a truncated or overwritten file
// is refused now rather than after the run has measured what it cannot store.
void require_intact(sqlite3* db, const std::string& path) {
  sql::Stmt check(db, "PRAGMA quick_check(1)");
  std::string verdict = "no verdict";
  if (check.step())
    if (const Cell first = check.column(0); std::holds_alternative<std::string>(first)) verdict = std::get<std::string>(first);
  if (verdict == "ok") return;
  // "*** in database main ***\nPage 58: btreeInitPage() returns error code 11": one line.
  std::string line;
  for (char c : verdict) line += c == '\n' ? ' ' : c;
  if (line.rfind("*** in database main *** ", 0) == 0) line.erase(0, 25);
  verdict = line.size() > 160 ? line.substr(0, 157) + "..." : line;
  throw InputError(path + ": the database is corrupt (quick_check: " + verdict + ")" + kLeftAlone);
}

void require_path(const std::string& path) {
  // sqlite takes "" as a private temporary database: a run would measure into
  // it and lose every result when it ends, and a read would find nothing.
  if (path.empty()) throw InputError("--db: the database path is empty");
}


}  // namespace

Store Store::open_readwrite(const std::string& path, const Describer* describer) {
  require_path(path);
  // A -wal that is already there is part of the file's content: if we refuse
  // the file, closing must not checkpoint it into the main file.
  const bool had_wal = sql::wal_mode_file(path);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Store store(raw, path, false);  // owns (and closes) the handle even if rc failed
  if (rc != SQLITE_OK)
    throw InputError(path + ": cannot open or create database (" + sqlite3_errmsg(raw) + ")");
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  try {
    // Nothing is written before these checks: a refused file stays byte-identical.
    setup_or_input_error(raw, path, [&] {
      require_archbench_or_empty(raw, path);
      if (read_user_version(raw) > 0) require_intact(raw, path);
    });
  } catch (const InputError&) {
    if (had_wal) sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    throw;
  }
  setup_or_input_error(raw, path, [&] {
    // WAL: readers (query/leaderboard) never block a run that is writing. The mode
    // is persistent in the file; ":memory:" databases answer "memory", which is fine.
    sql::exec(raw, "PRAGMA journal_mode = WAL");
    // NORMAL in WAL mode: a commit survives the process being killed (the case we
    // care about: crashes, timeouts, Ctrl-C); only an OS crash/power loss may drop
    // the last commits, which is not worth an fsync per result during measurement.
    sql::exec(raw, "PRAGMA synchronous = NORMAL");
    sql::exec(raw, "PRAGMA foreign_keys = ON");
    migrate(raw, path, migrations());
    if (describer) backfill(raw, *describer);
  });
  return store;
}

Store Store::open_readonly(const std::string& path) {
  require_path(path);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw InputError(path + ": database file does not exist (expected a database written by "
                     "`archbench run`; choose another with --db or ARCHBENCH_DB)");
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  if (rc == SQLITE_OK) {
    // A WAL-mode file needs a -shm beside it. A user who cannot create one
    // (another user's database in a folder they may not write) gets
    // SQLITE_READONLY or SQLITE_CANTOPEN on the first read. Without a -wal,
    // every commit is in the main file, so reading it as immutable misses
    // nothing; with one, sqlite reads an existing -shm read-only by itself.
    const int code = sqlite3_exec(raw, "PRAGMA user_version", nullptr, nullptr, nullptr) & 0xff;
    if ((code == SQLITE_READONLY || code == SQLITE_CANTOPEN) && !sql::wal_mode_file(path)) {
      sqlite3_close_v2(raw);
      raw = nullptr;
      rc = sqlite3_open_v2(sql::immutable_uri(path).c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
    }
  }
  Store store(raw, path, true);
  if (rc != SQLITE_OK)
    throw InputError(path + ": cannot open database read-only (" + sqlite3_errmsg(raw) + ")");
  setup_or_input_error(raw, path, [&] {
    sqlite3_busy_timeout(raw, kBusyTimeoutMs);
    sqlite3_set_authorizer(raw, deny_attach, nullptr);
    const int have = read_user_version(raw), know = latest_schema_version();
    refuse_unknown_version(have, path);
    if (have == 0)
      throw InputError(path + ": not an archbench database (schema version 0)");
    // A read-only connection cannot migrate; any write-mode open (e.g. `archbench run`) will.
    if (have < know)
      throw InputError(path + ": database schema version " + std::to_string(have) +
                       " is older than this archbench (" + std::to_string(know) +
                       "); open it once in write mode (e.g. `archbench run`) to upgrade it");
  });
  return store;
}

}  // namespace archbench::results
