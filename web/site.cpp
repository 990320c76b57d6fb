// Site::get: the routing of page paths to the builders in pages_*.cpp, and
// the helpers they share (see pages.hpp).
#include "web/site.hpp"

#include <charconv>
#include <cstdio>

#include "harness/errors.hpp"
#include "tasks/task.hpp"
#include "web/pages.hpp"

namespace archbench::web {
namespace pages {

std::vector<NavLink> nav(const Context& c) {
  std::vector<NavLink> links = {{"index.html", "Leaderboard"}, {"runs.html", "Runs"}, {"pareto.html", "Pareto"}};
  const results::QueryResult kinds =
      c.store.query("SELECT DISTINCT task_kind FROM results WHERE task_kind <> '' ORDER BY task_kind");
  for (const auto& row : kinds.rows)
    if (tasks::find_task(text_of(row[0]))) links.push_back({"task-" + text_of(row[0]) + ".html", text_of(row[0])});
  if (c.live) links.push_back({"api/", "JSON API"});
  return links;
}

std::string page(const Context& c, const std::string& title, const std::string& active, const std::string& body) {
  return document(title, nav(c), active,
                  body + "<p class=\"muted\">" + escape(c.store.path()) + " · schema v" +
                      std::to_string(c.store.schema_version()) + (c.live ? " · read-only" : " · static report") + "</p>");
}

std::string key_of(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : text) h = (h ^ ch) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string repro_command(const std::string& canonical, const std::string& backend) {
  const auto quoted = [](const std::string& s) {
    std::string out = "'";
    for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return out + "'";
  };
  return "archbench run --problem " + quoted(canonical) + " --backend " + quoted(backend);
}

std::string text_of(const results::Cell& cell) {
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  if (std::holds_alternative<std::monostate>(cell)) return "";
  return display(cell);
}

std::optional<double> number_of(const results::Cell& cell) {
  if (const auto* i = std::get_if<int64_t>(&cell)) return double(*i);
  if (const auto* d = std::get_if<double>(&cell)) return *d;
  return std::nullopt;
}

size_t column(const results::QueryResult& r, const std::string& name) {
  size_t i = 0;
  while (i < r.columns.size() && r.columns[i] != name) ++i;
  return i;
}

}  // namespace pages

namespace {

using pages::PageError;

// A run or problem id in a path or parameter: digits only, at most 18 of them.
int64_t id_from(std::string_view text, const char* what) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text.size() > 18 || ec != std::errc() || end != text.data() + text.size() || value < 0)
    throw PageError(404, std::string("no such ") + what);
  return value;
}

bool starts(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool ends(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "problem-12-history.svg" with prefix "problem-" and suffix "-history.svg" -> "12".
std::optional<std::string_view> middle(std::string_view path, std::string_view prefix, std::string_view suffix) {
  if (path.size() <= prefix.size() + suffix.size() || !starts(path, prefix) || !ends(path, suffix)) return std::nullopt;
  return path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
}

const char* kSvg = "image/svg+xml";

Response route(const pages::Context& c, std::string_view path) {
  Response r;
  auto svg = [&](std::string body) {
    r.content_type = kSvg;
    r.body = std::move(body);
    return r;
  };
  if (path.empty() || path == "index.html") return r.body = pages::leaderboard(c), r;
  if (path == "runs.html") return r.body = pages::runs(c), r;
  if (path == "pareto.html") return r.body = pages::pareto(c), r;
  if (auto key = middle(path, "pareto-", ".svg")) return svg(pages::pareto_svg(c, std::string(*key)));
  if (auto id = middle(path, "problem-", "-samples.svg")) return svg(pages::problem_samples_svg(c, id_from(*id, "problem")));
  if (auto id = middle(path, "problem-", "-history.svg")) return svg(pages::problem_history_svg(c, id_from(*id, "problem")));
  if (auto id = middle(path, "problem-", ".html")) return r.body = pages::problem(c, id_from(*id, "problem")), r;
  if (auto pair = middle(path, "compare-", ".html")) {
    const size_t dash = pair->find('-');
    if (dash == std::string_view::npos) throw PageError(404, "no such page");
    return r.body = pages::compare(c, id_from(pair->substr(0, dash), "run"), id_from(pair->substr(dash + 1), "run")), r;
  }
  if (path == "compare" && c.live) {  // the runs page's form: GET compare?a=1&b=2
    const auto a = c.target.params.find("a"), b = c.target.params.find("b");
    if (a == c.target.params.end() || b == c.target.params.end()) throw PageError(400, "compare: expected ?a=RUN&b=RUN");
    r.status = 303;
    r.location = "compare-" + std::to_string(id_from(a->second, "run")) + "-" + std::to_string(id_from(b->second, "run")) + ".html";
    r.body = "<a href=\"" + escape(r.location) + "\">" + escape(r.location) + "</a>\n";
    return r;
  }
  if (auto rest = middle(path, "task-", ".svg")) {
    const size_t dash = rest->rfind('-');
    if (dash == std::string_view::npos) throw PageError(404, "no such picture");
    return svg(pages::task_svg(c, std::string(rest->substr(0, dash)), std::string(rest->substr(dash + 1))));
  }
  if (auto kind = middle(path, "task-", ".html")) return r.body = pages::task(c, std::string(*kind)), r;
  if (c.live && starts(path, "api/")) {
    r.content_type = "application/json";
    r.body = pages::api(c, std::string(path.substr(4)));
    return r;
  }
  throw PageError(404, "no such page");
}

Response error_page(int status, const std::string& message, bool json) {
  Response r;
  r.status = status;
  if (json) {
    r.content_type = "application/json";
    std::string quoted;
    for (char ch : message)
      if (ch == '"' || ch == '\\') quoted += std::string("\\") + ch;
      else if (static_cast<unsigned char>(ch) >= 0x20) quoted += ch;
    r.body = "{\"error\": \"" + quoted + "\"}\n";
    return r;
  }
  r.body = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>" +
           std::to_string(status) + "</title></head><body><h1>" + std::to_string(status) + "</h1><p>" + escape(message) +
           "</p><p><a href=\"index.html\">leaderboard</a></p></body></html>\n";
  return r;
}

}  // namespace

Response Site::get(std::string_view target) const {
  const std::optional<Target> parsed = parse_target(target);
  const bool json = target.substr(0, 5) == "/api/";
  if (!parsed || parsed->path.empty() || parsed->path[0] != '/') return error_page(400, "malformed request target", json);
  const pages::Context c{store_, live_, *parsed};
  try {
    return route(c, std::string_view(parsed->path).substr(1));
  } catch (const PageError& e) {
    return error_page(e.status, e.what(), json);
  } catch (const InputError& e) {  // a bad filter or id, as the CLI would say it
    return error_page(400, printable(e.what()), json);
  } catch (const std::exception& e) {
    return error_page(500, std::string("internal error: ") + printable(e.what()), json);
  }
}

}  // namespace archbench::web
