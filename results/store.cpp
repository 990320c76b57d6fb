// Store: the connection's lifetime and ad-hoc queries. Opening lives in
// store_open.cpp, the write path in store_write.cpp.
#include "results/store.hpp"

#include <sqlite3.h>

#include <memory>
#include <stdexcept>
#include <utility>

#include "harness/errors.hpp"
#include "results/migrations.hpp"  // read_user_version
#include "results/query_bounds.hpp"
#include "results/sqlite_util.hpp"

namespace archbench::results {
namespace {

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

int Store::schema_version() const { return read_user_version(db_); }

QueryResult Store::query(const std::string& sql) const { return run_query(sql, {}, {}); }

QueryResult Store::query(const std::string& sql, const std::vector<Cell>& params) const {
  return run_query(sql, params, {});
}

QueryResult Store::query(const std::string& sql, const QueryLimits& limits) const {
  return run_query(sql, {}, limits);
}

QueryResult Store::run_query(const std::string& text, const std::vector<Cell>& params,
                             const QueryLimits& limits) const {
  const QueryBounds bounds(db_, limits);  // for this statement only: lifted when it returns
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_, text.c_str(), static_cast<int>(text.size()), &raw, &tail);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(raw, sqlite3_finalize);
  if (rc == SQLITE_AUTH)  // only the read-only open's authorizer denies anything (store_open.cpp)
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
    return bounds.collect(st, params);
  } catch (const InputError&) {
    throw;
  } catch (const std::runtime_error& e) {
    bounds.explain_stop();  // a bound ended it: say which
    throw InputError(std::string("query: ") + e.what());
  }
}

}  // namespace archbench::results
