// Thin RAII helpers over the sqlite3 C API, private to results/.
//
// Store, migrations and leaderboard share them so that statement lifetime, error
// wording and Cell <-> column conversion live in one place.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/store.hpp"

namespace archbench::results::sql {

// Throws std::runtime_error "<what>: <sqlite message>" unless rc is one of the ok codes.
// Failures here are environment problems (disk full, locked too long), not user input.
void check(sqlite3* db, int rc, const std::string& what);

// Runs one or more statements that return no rows we care about.
void exec(sqlite3* db, const std::string& sql);

// A prepared statement, finalized on destruction.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql);
  Stmt(sqlite3* db, sqlite3_stmt* adopted);  // takes ownership of an already prepared one
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int index, const Cell& value);  // 1-based, like sqlite
  Stmt& bind_opt(int index, const std::optional<double>& value);  // nullopt -> NULL
  bool step();   // true while a row is available
  void run();    // step once, expect no row
  Cell column(int index) const;
  int64_t column_int(int index) const;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Binds positional parameters (?1, ?2, ...), steps to the end, returns every row.
QueryResult collect(Stmt& st, const std::vector<Cell>& params);

// An explicit write transaction that rolls back unless commit() was reached,
// so an exception half-way leaves nothing behind.
class Transaction {
 public:
  explicit Transaction(sqlite3* db);  // BEGIN IMMEDIATE: take the write lock up front
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  sqlite3* db_;
  bool done_ = false;
};

// "file:///abs/path?immutable=1": sqlite reads the file as it is, with no locks
// and no -shm. Only for a file without a -wal (every commit is in the file).
std::string immutable_uri(const std::string& path);

// Whether `path` has a -wal beside it.
bool wal_mode_file(const std::string& path);

}  // namespace archbench::results::sql
