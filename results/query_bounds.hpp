// The bounds of one ad-hoc query (QueryLimits, store.hpp) on a connection:
// a deadline through sqlite3_progress_handler, a cap on any one value through
// SQLITE_LIMIT_LENGTH, and row and byte caps while the result is collected.
// Private to results/; Store::query installs one per statement.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <vector>

#include "results/sqlite_util.hpp"
#include "results/store.hpp"

namespace archbench::results {

class QueryBounds {
 public:
  // Installs the deadline and the value cap on `db`; the destructor lifts both.
  QueryBounds(sqlite3* db, const QueryLimits& limits);
  ~QueryBounds();
  QueryBounds(const QueryBounds&) = delete;
  QueryBounds& operator=(const QueryBounds&) = delete;

  // sql::collect within the row and byte caps; past one -> InputError.
  QueryResult collect(sql::Stmt& st, const std::vector<Cell>& params) const;
  // After sqlite stopped the statement with an error: throws the InputError
  // naming the bound that stopped it, if one did; otherwise returns.
  void explain_stop() const;

 private:
  static int past_deadline(void* self);
  sqlite3* db_;
  QueryLimits limits_;
  std::chrono::steady_clock::time_point deadline_;
  int previous_length_ = -1;
  mutable bool deadline_hit_ = false;
};

}  // namespace archbench::results
