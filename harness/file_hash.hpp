// A plugin library's identity beside its path: a content hash of the file, so
// results measured with different code under one variant name (a rebuilt or an
// impostor plugin) can be told apart in the database.
//
// SHA-1, from Boost (boost/uuid/detail/sha1.hpp): Debian 12's Boost 1.74 has no
// SHA-256 and the launcher's package list has no other hashing library. The
// value names its algorithm ("sha1:<40 hex digits>") so a later switch to
// SHA-256 leaves old rows readable. It identifies builds; it is not a defence
// against someone forging a collision.
#pragma once

#include <string>

namespace archbench {

// "sha1:<hex>" of the bytes; "" when the file cannot be read.
std::string file_sha1(const std::string& path);
// "sha1:<hex>" of `bytes` (the test hook: known vectors).
std::string sha1_of(const std::string& bytes);

}  // namespace archbench
