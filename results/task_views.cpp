// Per-kind task views (see task_views.hpp).
#include "results/task_views.hpp"

#include <stdexcept>

#include "results/sqlite_util.hpp"

namespace archbench::results {
namespace {

// The view's columns besides the axis; an axis may not reuse one of them.
constexpr const char* kViewColumns[] = {"run_id", "result_id", "backend", "variant", "design", "dtype", "task",
                                        "context", "trials", "successes", "accuracy", "chance",
                                        "kv_cache_bytes_per_token", "canonical"};

}  // namespace

bool task_identifier(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

void ensure_task_view(sqlite3* db, const std::string& kind, const std::string& axis) {
  if (!task_identifier(kind)) throw std::invalid_argument("task kind '" + kind + "' is not an identifier ([a-z][a-z0-9_]*)");
  if (!task_identifier(axis)) throw std::invalid_argument("task axis '" + axis + "' is not an identifier ([a-z][a-z0-9_]*)");
  for (const char* column : kViewColumns)
    if (axis == column) throw std::invalid_argument("task axis '" + axis + "' is already a column of the task views");
  {
    sql::Stmt known(db, "SELECT axis FROM task_kinds WHERE kind = ?1");
    known.bind(1, kind);
    if (known.step()) {
      const Cell stored = known.column(0);
      if (std::get<std::string>(stored) != axis)
        throw std::invalid_argument("task kind '" + kind + "' is stored with the axis '" +
                                    std::get<std::string>(stored) + "', not '" + axis + "'");
      return;
    }
  }
  {
    sql::Stmt taken(db, "SELECT type FROM sqlite_master WHERE name = ?1");
    taken.bind(1, kind);
    if (taken.step())
      throw std::invalid_argument("task kind '" + kind + "' would need a view of that name, but a " +
                                  std::get<std::string>(taken.column(0)) + " has it");
  }
  // Both names are identifiers (checked above), so quoting them is enough.
  sql::exec(db, "CREATE VIEW \"" + kind + "\" AS"
                " SELECT r.run_id, r.id AS result_id, r.backend, p.variant, p.design, p.dtype, r.task,"
                "  c.context, c.coordinate AS \"" + axis + "\", c.trials, c.successes, c.accuracy, c.chance,"
                "  r.kv_cache_bytes_per_token, c.canonical"
                " FROM task_cells c JOIN results r ON r.id = c.result_id JOIN problems p ON p.id = r.problem_id"
                " WHERE c.kind = '" + kind + "'");
  sql::Stmt add(db, "INSERT INTO task_kinds (kind, axis) VALUES (?1, ?2)");
  add.bind(1, kind).bind(2, axis);
  add.run();
}

}  // namespace archbench::results
