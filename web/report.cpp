// The static report (see report.hpp): a crawl of the Site from index.html.
#include "web/report.hpp"

#include <deque>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <stdexcept>

#include "harness/errors.hpp"
#include "results/store.hpp"
#include "web/site.hpp"

namespace archbench::web {
namespace {

// The relative links and pictures of a page: href="..." and src="..." that
// name a file of the report (no scheme, no query, no fragment, no folder).
std::vector<std::string> local_links(const std::string& html) {
  static const std::regex link(R"re((?:href|src)="([^"]*)")re");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), link); it != std::sregex_iterator(); ++it) {
    const std::string target = (*it)[1];
    if (target.empty() || target.find_first_of(":?#/") != std::string::npos) continue;
    out.push_back(target);
  }
  return out;
}

}  // namespace

ReportSummary write_report(const std::string& db_path, const std::string& out_dir) {
  const results::Store store = results::Store::open_readonly(db_path);
  const Site site(store, false);
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir)) throw InputError("-o: cannot create the folder '" + out_dir + "'" + (ec ? " (" + ec.message() + ")" : ""));
  ReportSummary summary;
  std::set<std::string> seen{"index.html"};
  std::deque<std::string> queue{"index.html"};
  while (!queue.empty()) {
    const std::string name = queue.front();
    queue.pop_front();
    const Response r = site.get("/" + name);
    if (r.status != 200)
      throw std::runtime_error("report: the page '" + name + "' is linked but does not render (" + std::to_string(r.status) + ")");
    const fs::path file = fs::path(out_dir) / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out || !(out << r.body) || !out.flush()) throw InputError("-o: cannot write '" + file.string() + "'");
    if (r.content_type.rfind("text/html", 0) != 0) {
      ++summary.pictures;
      continue;
    }
    ++summary.pages;
    for (const std::string& link : local_links(r.body))
      if (seen.insert(link).second) queue.push_back(link);
  }
  return summary;
}

}  // namespace archbench::web
