// Filling v5's structure into rows written before it (see backfill.hpp).
#include "results/backfill.hpp"

#include <map>
#include <utility>
#include <vector>

#include "results/sqlite_util.hpp"
#include "results/store_rows.hpp"

namespace archbench::results {
namespace {

struct Missing {
  std::vector<std::pair<int64_t, std::string>> problems;  // id, canonical
  struct TaskRow {
    int64_t result_id;
    std::string canonical, task;
  };
  std::vector<TaskRow> task_rows;
};

Missing find_missing(sqlite3* db) {
  Missing out;
  sql::Stmt problems(db, "SELECT id, canonical FROM problems p"
                         " WHERE NOT EXISTS (SELECT 1 FROM problem_params q WHERE q.problem_id = p.id) ORDER BY id");
  while (problems.step())
    out.problems.emplace_back(problems.column_int(0), std::get<std::string>(problems.column(1)));
  // Every described task row has a group key (it holds at least the dtype).
  sql::Stmt rows(db, "SELECT r.id, p.canonical, r.task FROM results r JOIN problems p ON p.id = r.problem_id"
                     " WHERE r.task <> '' AND r.task_workload = '' ORDER BY r.id");
  while (rows.step())
    out.task_rows.push_back({rows.column_int(0), std::get<std::string>(rows.column(1)),
                             std::get<std::string>(rows.column(2))});
  return out;
}

}  // namespace

int backfill(sqlite3* db, const Describer& describer) {
  Missing missing = find_missing(db);
  if (missing.problems.empty() && missing.task_rows.empty()) return 0;
  std::map<std::pair<std::string, std::string>, std::optional<ResultRecord>> described;
  auto describe = [&](const std::string& canonical, const std::string& task) -> const std::optional<ResultRecord>& {
    auto key = std::pair(canonical, task);
    auto it = described.find(key);
    if (it == described.end()) it = described.emplace(key, describer.describe(canonical, task)).first;
    return it->second;
  };

  // Describe first, write after: a file with nothing describable is not written.
  std::vector<std::pair<int64_t, const ResultRecord*>> problems, task_rows;
  for (const auto& [id, canonical] : missing.problems)
    if (const auto& record = describe(canonical, ""); record && !record->params.empty())
      problems.emplace_back(id, &*record);
  for (const auto& row : missing.task_rows)
    if (const auto& record = describe(row.canonical, row.task);
        record && !record->task_kind.empty() && !record->task_workload.empty())
      task_rows.emplace_back(row.result_id, &*record);
  if (problems.empty() && task_rows.empty()) return 0;

  sql::Transaction tx(db);
  for (const auto& [id, record] : problems) {
    write_problem_params(db, id, record->params);
    // v1 rows have no workload or design yet; later ones keep theirs.
    sql::Stmt up(db, "UPDATE problems SET shape = ?2,"
                     " workload = CASE WHEN workload = '' THEN ?3 ELSE workload END,"
                     " design = CASE WHEN design = '' THEN ?4 ELSE design END WHERE id = ?1");
    up.bind(1, id).bind(2, record->shape).bind(3, record->workload).bind(4, record->design);
    up.run();
  }
  for (const auto& [id, record] : task_rows) {
    // The kind the migration found for rows with cells stays; rows without
    // cells (a failed or crashed row) get theirs from the registry.
    sql::Stmt up(db, "UPDATE results SET task_kind = CASE WHEN task_kind = '' THEN ?2 ELSE task_kind END,"
                     " task_label = ?3, task_headline = ?4, task_workload = ?5 WHERE id = ?1");
    up.bind(1, id).bind(2, record->task_kind).bind(3, record->task_label);
    up.bind(4, int64_t{record->task_headline}).bind(5, record->task_workload);
    up.run();
  }
  tx.commit();
  return int(problems.size() + task_rows.size());
}

}  // namespace archbench::results
