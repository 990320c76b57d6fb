// The web leaderboard's pages and JSON API as one function of a request
// target: Site::get("/problem-3.html") -> status, content type, body. The
// server (http_server) and the static report (report) both render through it,
// so a page and its links are the same in both. Page paths look like files
// ("index.html", "problem-3.html", "task-needle.html", "pareto-<key>.svg"),
// which is what lets a report's relative links work from a folder.
//
// Pages: index.html (leaderboard, sortable, filters for kind, backend, dtype
// and workload), runs.html, compare-A-B.html, problem-ID.html (+ its
// samples and history SVGs), task-KIND.html (every group's heatmap or lines
// side by side), pareto.html (speed x effective context x memory per token).
// API (served only): api/leaderboard, api/runs, api/problem?id=N,
// api/compare?a=A&b=B, api/tasks?kind=K.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "results/store.hpp"

namespace archbench::web {

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::string location;  // for a redirect (303)
};

class Site {
 public:
  // `live`: served over HTTP (the JSON API and the compare form are offered);
  // otherwise the pages of a static report. The store must outlive the Site;
  // get() uses it from one thread at a time (the caller's lock).
  Site(const results::Store& store, bool live) : store_(store), live_(live) {}

  // Any target, as received (path and query). Never throws for bad input: an
  // unknown page is 404, a bad parameter 400, a failure of the database 500.
  Response get(std::string_view target) const;

 private:
  const results::Store& store_;
  bool live_;
};

}  // namespace archbench::web
