// Store: opening connections (read-write with migrations, or read-only) and
// running ad-hoc queries. The write path lives in store_write.cpp.
#include "results/store.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <utility>

#include "harness/errors.hpp"
#include "results/backfill.hpp"
#include "results/migrations.hpp"
#include "results/sqlite_util.hpp"

namespace archbench::results {
namespace {

constexpr int kBusyTimeoutMs = 10000;  // a concurrent `archbench query` must not fail a run

// Runs the connection setup; any sqlite failure (not a database, locked, I/O) is
// reported as bad input naming the file, because the user chose the file.
template <class F>
void setup_or_input_error(const std::string& path, F&& setup) {
  try {
    setup();
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path + ": cannot use as an archbench database (" + e.what() + ")");
  }
}

// Read-only connections may not ATTACH another file (it could be written through
// the new schema) nor DETACH; sqlite3_stmt_readonly() calls both read-only.
int deny_attach(void*, int action, const char*, const char*, const char*, const char*) {
  return (action == SQLITE_ATTACH || action == SQLITE_DETACH) ? SQLITE_DENY : SQLITE_OK;
}

// One line of at most 60 characters of the SQL, for error messages.
std::string snippet(const std::string& sql) {
  std::string s;
  for (char c : sql) s += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  auto b = s.find_first_not_of(' ');
  s = b == std::string::npos ? "" : s.substr(b);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// True when `tail` holds another statement (not just whitespace, comments, ';').
bool has_more_statements(sqlite3* db, const char* tail) {
  sqlite3_stmt* next = nullptr;
  int rc = sqlite3_prepare_v2(db, tail, -1, &next, nullptr);
  sqlite3_finalize(next);
  return rc != SQLITE_OK || next != nullptr;
}

}  // namespace

Store::Store(sqlite3* db, std::string path, bool readonly)
    : db_(db), path_(std::move(path)), readonly_(readonly) {}

Store::Store(Store&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      readonly_(other.readonly_) {}

Store& Store::operator=(Store&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    readonly_ = other.readonly_;
  }
  return *this;
}

Store::~Store() { sqlite3_close_v2(db_); }

Store Store::open_readwrite(const std::string& path, const Describer* describer) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Store store(raw, path, false);  // owns (and closes) the handle even if rc failed
  if (rc != SQLITE_OK)
    throw InputError(path + ": cannot open or create database (" + sqlite3_errmsg(raw) + ")");
  setup_or_input_error(path, [&] {
    sqlite3_busy_timeout(raw, kBusyTimeoutMs);
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
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw InputError(path + ": database file does not exist (expected a database written by "
                     "`archbench run`; choose another with --db or ARCHBENCH_DB)");
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Store store(raw, path, true);
  if (rc != SQLITE_OK)
    throw InputError(path + ": cannot open database read-only (" + sqlite3_errmsg(raw) + ")");
  setup_or_input_error(path, [&] {
    sqlite3_busy_timeout(raw, kBusyTimeoutMs);
    sqlite3_set_authorizer(raw, deny_attach, nullptr);
    const int have = read_user_version(raw), know = latest_schema_version();
    const std::string v = std::to_string(have), k = std::to_string(know);
    if (have == 0)
      throw InputError(path + ": not an archbench database (schema version 0)");
    if (have > know)
      throw InputError(path + ": database schema version " + v + " is newer than this archbench (" +
                       k + "); upgrade archbench");
    // A read-only connection cannot migrate; any write-mode open (e.g. `archbench run`) will.
    if (have < know)
      throw InputError(path + ": database schema version " + v + " is older than this archbench (" +
                       k + "); open it once in write mode (e.g. `archbench run`) to upgrade it");
  });
  return store;
}

int Store::schema_version() const { return read_user_version(db_); }

QueryResult Store::query(const std::string& sql) const { return query(sql, {}); }

QueryResult Store::query(const std::string& text, const std::vector<Cell>& params) const {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_, text.c_str(), static_cast<int>(text.size()), &raw, &tail);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(raw, sqlite3_finalize);
  if (rc == SQLITE_AUTH)  // only deny_attach denies anything
    throw InputError("query is read-only: ATTACH and DETACH are not allowed ('" + snippet(text) +
                     "')");
  if (rc != SQLITE_OK) throw InputError(std::string("query: ") + sqlite3_errmsg(db_));
  if (!raw) throw InputError("query: no SQL statement given (expected one statement)");
  if (has_more_statements(db_, tail))
    throw InputError("query: expected one SQL statement, found more after the first: '" +
                     snippet(tail) + "'");
  // Two layers on a read-only store: refuse before running anything that could
  // write, and the connection itself is SQLITE_OPEN_READONLY anyway.
  if (readonly_ && !sqlite3_stmt_readonly(raw))
    throw InputError("query is read-only: '" + snippet(text) + "' would modify the database");

  sql::Stmt st(db_, guard.release());
  try {
    return sql::collect(st, params);
  } catch (const std::runtime_error& e) {
    throw InputError(std::string("query: ") + e.what());
  }
}

}  // namespace archbench::results
