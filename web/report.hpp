// `archbench report -o DIR`: the web leaderboard's pages written as static
// files (asv publish style), for sharing without a server. It renders
// index.html through the same Site the server uses and follows every relative
// link and picture from there, so every page a link reaches is written and a
// link that reaches nothing is an error, not a broken page.
#pragma once

#include <cstddef>
#include <string>

namespace archbench::web {

struct ReportSummary {
  size_t pages = 0, pictures = 0;
};

// Opens `db_path` read-only and writes the report into `out_dir` (created if
// missing; the files it writes are replaced, others are left alone). A page
// that does not render (a link to nothing) -> std::runtime_error naming it;
// a folder that cannot be written -> InputError.
ReportSummary write_report(const std::string& db_path, const std::string& out_dir);

}  // namespace archbench::web
