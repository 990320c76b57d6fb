// The Site as the server uses it: one read-only connection shared by the
// server's threads (one request at a time on it), and a cache of rendered
// responses that is dropped whenever another connection (a running
// `archbench run`) has committed since: sqlite's PRAGMA data_version tells.
// Under a load of repeated pages the database is asked once per change.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "results/store.hpp"
#include "web/site.hpp"

namespace archbench::web {

class LiveSite {
 public:
  // Store::open_readonly (its InputErrors included).
  explicit LiveSite(const std::string& db_path);
  Response get(std::string_view target);  // thread-safe
  const std::string& path() const { return store_.path(); }

 private:
  static constexpr size_t kMaxCached = 512;  // entries; the cache starts over when full
  std::mutex mutex_;
  results::Store store_;
  Site site_;
  int64_t data_version_ = -1;
  std::map<std::string, Response, std::less<>> cache_;
};

}  // namespace archbench::web
