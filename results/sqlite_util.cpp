// Implementation of the sqlite RAII helpers (see sqlite_util.hpp).
#include "results/sqlite_util.hpp"

#include <filesystem>
#include <stdexcept>

namespace archbench::results::sql {

void check(sqlite3* db, int rc, const std::string& what) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  throw std::runtime_error(what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw std::runtime_error("sqlite: " + msg + " (in: " + sql.substr(0, 80) + ")");
  }
}

Stmt::Stmt(sqlite3* db, const std::string& sql) : db_(db) {
  check(db, sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr),
        "sqlite prepare");
}

Stmt::Stmt(sqlite3* db, sqlite3_stmt* adopted) : db_(db), stmt_(adopted) {}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::bind(int index, const Cell& value) {
  int rc = SQLITE_OK;
  if (std::holds_alternative<std::monostate>(value)) {
    rc = sqlite3_bind_null(stmt_, index);
  } else if (auto* i = std::get_if<int64_t>(&value)) {
    rc = sqlite3_bind_int64(stmt_, index, *i);
  } else if (auto* d = std::get_if<double>(&value)) {
    rc = sqlite3_bind_double(stmt_, index, *d);
  } else {
    const auto& s = std::get<std::string>(value);
    rc = sqlite3_bind_text(stmt_, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  check(db_, rc, "sqlite bind");
  return *this;
}

Stmt& Stmt::bind_opt(int index, const std::optional<double>& value) {
  return value ? bind(index, Cell{*value}) : bind(index, Cell{});
}

bool Stmt::step() {
  int rc = sqlite3_step(stmt_);
  check(db_, rc, "sqlite step");
  return rc == SQLITE_ROW;
}

void Stmt::run() {
  while (step()) {
  }
}

Cell Stmt::column(int index) const {
  switch (sqlite3_column_type(stmt_, index)) {
    case SQLITE_INTEGER: return sqlite3_column_int64(stmt_, index);
    case SQLITE_FLOAT: return sqlite3_column_double(stmt_, index);
    case SQLITE_NULL: return std::monostate{};
    default: {  // TEXT, and BLOB passed through as raw bytes
      auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
      return std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
    }
  }
}

int64_t Stmt::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

QueryResult collect(Stmt& st, const std::vector<Cell>& params) {
  for (size_t i = 0; i < params.size(); ++i) st.bind(static_cast<int>(i + 1), params[i]);
  QueryResult out;
  int n = sqlite3_column_count(st.get());
  for (int c = 0; c < n; ++c) out.columns.emplace_back(sqlite3_column_name(st.get(), c));
  while (st.step()) {
    auto& row = out.rows.emplace_back();
    row.reserve(n);
    for (int c = 0; c < n; ++c) row.push_back(st.column(c));
  }
  return out;
}

Transaction::Transaction(sqlite3* db) : db_(db) { exec(db, "BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  exec(db_, "COMMIT");
  done_ = true;
}

// "file:///abs/path?immutable=1": sqlite then reads the file as it is, with no
// locks and no -shm. Used only where the file has no -wal (everything committed
// is in the main file); characters that mean something in a URI are escaped.
std::string immutable_uri(const std::string& path) {
  static const char hex[] = "0123456789ABCDEF";
  std::string uri = "file://";
  for (const char c : std::filesystem::absolute(path).string()) {
    if (c == '%' || c == '?' || c == '#') {
      uri += '%';
      uri += hex[(unsigned char)c >> 4];
      uri += hex[(unsigned char)c & 15];
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

// A -wal beside the file: commits may be there and not yet in the file.
bool wal_mode_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path + "-wal", ec);
}

}  // namespace archbench::results::sql
