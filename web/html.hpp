// HTML building blocks of the web pages (archbench serve / report): escaping,
// URL query parsing, the page frame (inline CSS and the small sort/filter
// script, so a page needs nothing from the network) and tables rendered from a
// QueryResult. Every string that reaches a page goes through escape().
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "results/store.hpp"

namespace archbench::web {

// Text made safe for HTML content and attribute values (& < > " ' escaped;
// control characters other than tab and newline dropped).
std::string escape(std::string_view text);

// Percent-encoding of a query value (unreserved characters kept).
std::string url_encode(std::string_view text);
// Percent-decoding ('+' is a space); nullopt for a malformed escape or a NUL.
std::optional<std::string> url_decode(std::string_view text);

// "/path?a=1&b=2" split into the path and its decoded parameters (a repeated
// name keeps its last value). nullopt when an escape is malformed.
struct Target {
  std::string path;
  std::map<std::string, std::string> params;
};
std::optional<Target> parse_target(std::string_view target);

// A number as a table or a label shows it (results::display_cell's rules).
std::string display(const results::Cell& cell);

// One link of the navigation bar.
struct NavLink {
  std::string href, label;
};

// A whole HTML5 document: title, the navigation bar (the link whose href is
// `active` marked), then `body` as given (already escaped HTML).
std::string document(const std::string& title, const std::vector<NavLink>& nav, const std::string& active,
                     const std::string& body);

// A sortable table of `result` (click a header; ?sort=COLUMN[&order=descending]
// in the page's URL sorts at load). `filters` names columns that get a select
// box above the table (the script hides rows; ?column=value in the page's URL
// preselects one). `link`, when set, may return an href for a cell (or "").
// A result without rows renders as a paragraph with class "empty" saying
// `empty_note`, never as an empty table.
struct TableOptions {
  std::string id = "board";
  std::vector<std::string> filters;
  std::function<std::string(size_t row, size_t column)> link;
  std::string empty_note = "nothing stored yet";
};
std::string table(const results::QueryResult& result, const TableOptions& options);

}  // namespace archbench::web
