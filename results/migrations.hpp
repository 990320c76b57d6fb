// The schema as an ordered list of forward migrations.
//
// PRAGMA user_version holds how many of them a database has had applied. To change
// the schema, APPEND a migration to the list in migrations.cpp; never edit a
// released one (existing databases already ran it and would not run it again).
// A migration is a script, optionally followed by a C++ step for what SQL alone
// cannot do (v5 moves rows out of tables it finds by name).
#pragma once

#include <sqlite3.h>

#include <span>
#include <string>
#include <string_view>

namespace archbench::results {

struct Migration {
  std::string_view sql;
  void (*step)(sqlite3* db) = nullptr;  // runs after `sql`, in the same transaction
  constexpr Migration(std::string_view script, void (*code)(sqlite3*) = nullptr) : sql(script), step(code) {}
  constexpr Migration(const char* script) : sql(script) {}
};

// Every migration this build knows, in order; element i brings version i to i+1.
std::span<const Migration> migrations();

// The version a fully migrated database has: migrations().size().
int latest_schema_version();

// Reads PRAGMA user_version.
int read_user_version(sqlite3* db);

// Applies scripts[user_version..] in one transaction and sets user_version to
// scripts.size(). A database newer than scripts.size(), or with a negative
// version, is refused with InputError naming `path`. A database already at
// scripts.size() is not written at all.
// Taking the list as a parameter is the test hook: tests build a database with
// only a prefix of the list, or with an extra migration appended.
void migrate(sqlite3* db, const std::string& path, std::span<const Migration> scripts);

}  // namespace archbench::results
