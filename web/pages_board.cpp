// The leaderboard, runs and run-compare pages: the CLI's queries
// (results/leaderboard) rendered as sortable tables with links.
#include <cmath>
#include <cstdio>
#include <map>

#include "results/compare.hpp"
#include "results/leaderboard.hpp"
#include "tasks/task.hpp"
#include "web/pages.hpp"

namespace archbench::web::pages {
namespace {

struct ProblemKey {
  int64_t id = 0;
  std::string dtype;
};

// (design, workload) as the leaderboard prints them -> the problem, so a row
// can link to its page and be filtered by dtype (the workload names the dtype
// too, but a filter per dtype reads better).
std::map<std::pair<std::string, std::string>, ProblemKey> problems_by_design(const results::Store& store) {
  std::map<std::pair<std::string, std::string>, ProblemKey> out;
  const results::QueryResult rows = store.query(
      "SELECT id, CASE WHEN design <> '' THEN design ELSE variant END,"
      " CASE WHEN workload <> '' THEN workload ELSE shape END, dtype FROM problems");
  for (const auto& row : rows.rows)
    out[{text_of(row[1]), text_of(row[2])}] = {std::get<int64_t>(row[0]), text_of(row[3])};
  return out;
}

}  // namespace

std::string leaderboard(const Context& c) {
  results::LeaderboardOptions options;
  options.headline_task = tasks::headline_kind();
  results::QueryResult board = results::leaderboard(c.store, options);
  const auto lookup = problems_by_design(c.store);
  const size_t design = column(board, "design"), shape = column(board, "shape"), backend = column(board, "backend");
  if (shape < board.columns.size()) board.columns[shape] = "workload";
  // dtype beside the backend, from the problem each row measures.
  std::vector<int64_t> ids;
  board.columns.insert(board.columns.begin() + long(backend + 1), "dtype");
  for (auto& row : board.rows) {
    auto it = lookup.find({text_of(row[design]), text_of(row[shape])});
    ids.push_back(it == lookup.end() ? 0 : it->second.id);
    row.insert(row.begin() + long(backend + 1), it == lookup.end() ? results::Cell{} : results::Cell{it->second.dtype});
  }
  const size_t design_at = design > backend ? design + 1 : design;
  TableOptions table_options;
  table_options.filters = {"kind", "backend", "dtype", "workload"};
  table_options.empty_note = "No timed results stored yet: run `archbench run` into this database.";
  table_options.link = [&](size_t r, size_t col) {
    return col == design_at && ids[r] ? "problem-" + std::to_string(ids[r]) + ".html" : std::string();
  };
  std::string body =
      "<p>The latest result of each problem and backend, ranked by tokens/s within its kind, backend and workload "
      "(as <code>archbench leaderboard</code>). Click a column to sort; a design opens its problem page.</p>\n";
  body += table(board, table_options);
  return page(c, "Leaderboard", "index.html", body);
}

std::string runs(const Context& c) {
  results::QueryResult listed = results::list_runs(c.store);
  const size_t id = column(listed, "id");
  // Each run beside the one before it: the static report holds these pairs.
  listed.columns.push_back("compare");
  std::vector<std::string> compare_links;
  int64_t previous = 0;
  for (auto& row : listed.rows) {
    const int64_t run = std::get<int64_t>(row[id]);
    compare_links.push_back(previous ? "compare-" + std::to_string(previous) + "-" + std::to_string(run) + ".html" : "");
    row.push_back(previous ? results::Cell{"vs run " + std::to_string(previous)} : results::Cell{});
    previous = run;
  }
  TableOptions options;
  options.id = "runs";
  options.empty_note = "No runs stored yet.";
  options.link = [&](size_t r, size_t col) { return col == listed.columns.size() - 1 ? compare_links[r] : std::string(); };
  std::string body = table(listed, options);
  if (c.live && listed.rows.size() >= 2) {
    const auto select = [&](const char* name, size_t preselect) {
      std::string out = "<select name=\"" + std::string(name) + "\">";
      for (size_t i = 0; i < listed.rows.size(); ++i) {
        const std::string run = text_of(listed.rows[i][id]);
        out += "<option" + std::string(i == preselect ? " selected" : "") + ">" + escape(run) + "</option>";
      }
      return out + "</select>";
    };
    body += "<h2>Compare any two runs</h2><form action=\"compare\" method=\"get\">run A " +
            select("a", listed.rows.size() - 2) + " against run B " + select("b", listed.rows.size() - 1) +
            " <button type=\"submit\">compare</button></form>\n";
  }
  return page(c, "Runs", "runs.html", body);
}

std::string compare(const Context& c, int64_t a, int64_t b) {
  // The statistics module's comparison, as `archbench compare` prints it: a
  // Mann-Whitney U test per problem, Holm's correction, the geo-mean interval
  // (its summary carries the runs' load and --quick warnings too).
  const results::Comparison comparison = results::compare_runs(c.store, a, b);  // an unknown run -> InputError (400)
  const results::QueryResult& rows = comparison.rows;
  std::map<std::string, int64_t> ids;
  for (const auto& row : c.store.query("SELECT canonical, id FROM problems").rows)
    ids[text_of(row[0])] = std::get<int64_t>(row[1]);
  const size_t problem = column(rows, "problem");
  std::string body = "<p>Run " + std::to_string(a) + " (A) against run " + std::to_string(b) +
                     " (B), problem by problem (as <code>archbench compare " + std::to_string(a) + " " +
                     std::to_string(b) + "</code>). speedup = median A / median B: above 1, B is faster.</p>\n";
  body += "<ul>";
  for (const std::string& line : comparison.summary()) body += "<li>" + escape(line) + "</li>";
  body += "</ul>\n";
  TableOptions options;
  options.id = "compare";
  options.filters = {"backend"};
  options.empty_note = "The two runs have no problem in common.";
  options.link = [&](size_t r, size_t col) {
    if (col != problem) return std::string();
    auto it = ids.find(text_of(rows.rows[r][problem]));
    return it == ids.end() ? std::string() : "problem-" + std::to_string(it->second) + ".html";
  };
  body += table(rows, options);
  return page(c, "Run " + std::to_string(a) + " vs run " + std::to_string(b), "runs.html", body);
}

}  // namespace archbench::web::pages
