// SHA-1 of files and strings through Boost's implementation (see file_hash.hpp).
#include "harness/file_hash.hpp"

#include <boost/uuid/detail/sha1.hpp>

#include <cstdio>
#include <fstream>

namespace archbench {
namespace {

std::string hex_digest(boost::uuids::detail::sha1& hash) {
  boost::uuids::detail::sha1::digest_type digest;  // five 32-bit words, most significant first
  hash.get_digest(digest);
  char text[48] = {};
  for (int i = 0; i < 5; ++i) std::snprintf(text + 8 * i, 9, "%08x", unsigned(digest[i]));
  return std::string("sha1:") + text;
}

}  // namespace

std::string sha1_of(const std::string& bytes) {
  boost::uuids::detail::sha1 hash;
  hash.process_bytes(bytes.data(), bytes.size());
  return hex_digest(hash);
}

std::string file_sha1(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  boost::uuids::detail::sha1 hash;
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof buffer);
    if (in.gcount() > 0) hash.process_bytes(buffer, size_t(in.gcount()));
  }
  if (in.bad()) return {};
  return hex_digest(hash);
}

}  // namespace archbench
