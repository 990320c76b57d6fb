// The server's shared, cached Site (see live_site.hpp).
#include "web/live_site.hpp"

namespace archbench::web {

LiveSite::LiveSite(const std::string& db_path) : store_(results::Store::open_readonly(db_path)), site_(store_, true) {}

Response LiveSite::get(std::string_view target) {
  std::lock_guard lock(mutex_);
  const results::QueryResult version = store_.query("PRAGMA data_version");
  const int64_t now = version.rows.empty() ? -1 : std::get<int64_t>(version.rows[0][0]);
  if (now != data_version_) {
    cache_.clear();
    data_version_ = now;
  }
  if (auto it = cache_.find(target); it != cache_.end()) return it->second;
  Response r = site_.get(target);
  if (r.status == 200) {
    if (cache_.size() >= kMaxCached) cache_.clear();
    cache_.emplace(std::string(target), r);
  }
  return r;
}

}  // namespace archbench::web
