// Private to web/: the page builders Site::get dispatches to, and what they
// share. Each returns a finished body (HTML document, SVG or JSON); bad input
// throws PageError with the status to answer.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/store.hpp"
#include "web/html.hpp"

namespace archbench::web::pages {

struct PageError : std::runtime_error {
  PageError(int status_code, const std::string& what) : std::runtime_error(what), status(status_code) {}
  int status;
};

struct Context {
  const results::Store& store;
  bool live;
  const Target& target;
};

// The navigation bar: the fixed pages, one per stored accuracy task, the API (live).
std::vector<NavLink> nav(const Context& c);
std::string page(const Context& c, const std::string& title, const std::string& active, const std::string& body);

// 16 hex digits naming a group of rows in a picture's path (FNV-1a of its key).
std::string key_of(const std::string& text);
// "archbench run --problem '<canonical>' --backend B", quoted for a POSIX shell.
std::string repro_command(const std::string& canonical, const std::string& backend);
// A cell as text ("" for NULL).
std::string text_of(const results::Cell& cell);
std::optional<double> number_of(const results::Cell& cell);
size_t column(const results::QueryResult& r, const std::string& name);  // r.columns.size() when absent

std::string leaderboard(const Context& c);
std::string runs(const Context& c);
std::string compare(const Context& c, int64_t a, int64_t b);
std::string problem(const Context& c, int64_t id);
std::string problem_samples_svg(const Context& c, int64_t id);
std::string problem_history_svg(const Context& c, int64_t id);
std::string task(const Context& c, const std::string& kind);
std::string task_svg(const Context& c, const std::string& kind, const std::string& key);
std::string pareto(const Context& c);
std::string pareto_svg(const Context& c, const std::string& key);

// JSON API; `name` is the part after "api/".
std::string api(const Context& c, const std::string& name);

}  // namespace archbench::web::pages
