// Store's write path: runs, results (+samples, problem parameters, task cells)
// and calibrations, and the calibration lookup that goes with them.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "harness/errors.hpp"
#include "results/run_liveness.hpp"
#include "results/run_uid.hpp"
#include "results/sqlite_util.hpp"
#include "results/store.hpp"
#include "results/store_rows.hpp"
#include "results/task_views.hpp"

namespace archbench::results {
namespace {

// SQL expression for "now" as UTC ISO-8601 with milliseconds, e.g. 2024-05-01T12:00:00.123Z.
constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

// Calibrations are per machine: a peak measured elsewhere must not scale this
// machine's results, so they are keyed (and looked up) by hostname.
std::string this_host() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

void require_writable(bool readonly, const std::string& path, const char* what) {
  // Programming error (the CLI opens read-write to record), hence not InputError.
  if (readonly) throw std::logic_error(std::string(what) + " on read-only store " + path);
}

}  // namespace

void write_problem_params(sqlite3* db, int64_t problem_id, const std::vector<ProblemParam>& params) {
  sql::Stmt clear(db, "DELETE FROM problem_params WHERE problem_id = ?1");
  clear.bind(1, problem_id);
  clear.run();
  sql::Stmt ins(db, "INSERT INTO problem_params (problem_id, position, name, key, type, value, text, token, design)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  for (size_t i = 0; i < params.size(); ++i) {
    const ProblemParam& p = params[i];
    const bool number = p.type != "enum";
    ins.bind(1, problem_id).bind(2, int64_t(i)).bind(3, p.name).bind(4, p.key).bind(5, p.type);
    ins.bind(6, number ? Cell{p.value} : Cell{}).bind(7, number ? Cell{} : Cell{p.text});
    ins.bind(8, p.token).bind(9, int64_t{p.design});
    ins.run();
    sqlite3_reset(ins.get());
  }
}

int64_t Store::begin_run(const RunInfo& i) {
  require_writable(readonly_, path_, "begin_run");
  sql::Stmt st(db_, std::string("INSERT INTO runs (started_at, status, host, cpu_model, cpu_flags, "
                                "threads, onednn_version, onednn_isa, git_sha, build_type, "
                                "command_line, plugins_json, suites, vulkan_device, pid, pid_host, pid_start, uid, shard, plan_hash,"
                                " quick, load_average, busy_processes, calibration_json)"
                                " VALUES (") +
                        kNow + ", 'running', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
                               " ?19, ?20, ?21, ?22)");
  st.bind(1, i.host).bind(2, i.cpu_model).bind(3, i.cpu_flags).bind(4, int64_t{i.threads});
  st.bind(5, i.onednn_version).bind(6, i.onednn_isa).bind(7, i.git_sha).bind(8, i.build_type);
  st.bind(9, i.command_line).bind(10, i.plugins_json.empty() ? "[]" : i.plugins_json);
  st.bind(11, i.suites).bind(12, i.vulkan_device);
  const ProcessIdentity me = this_process();  // who to ask later whether the run still lives
  st.bind(13, me.pid).bind(14, me.host).bind(15, me.start);
  st.bind(16, new_run_uid()).bind(17, i.shard).bind(18, i.plan_hash);
  st.bind(19, int64_t{i.quick}).bind_opt(20, i.load_average);
  st.bind(21, i.busy_processes ? Cell{*i.busy_processes} : Cell{});
  st.bind(22, i.calibration_json.empty() ? "{}" : i.calibration_json);
  st.run();
  return sqlite3_last_insert_rowid(db_);
}

std::optional<StoredRun> Store::stored_run(int64_t run_id) const {
  sql::Stmt st(db_, "SELECT uid, status, shard, plan_hash, command_line, host, cpu_model, vulkan_device FROM runs WHERE id = ?1");
  st.bind(1, run_id);
  if (!st.step()) return std::nullopt;
  StoredRun run;
  run.id = run_id;
  run.uid = std::get<std::string>(st.column(0));
  run.status = std::get<std::string>(st.column(1));
  run.shard = std::get<std::string>(st.column(2));
  run.plan_hash = std::get<std::string>(st.column(3));
  run.command_line = std::get<std::string>(st.column(4));
  run.host = std::get<std::string>(st.column(5));
  run.cpu_model = std::get<std::string>(st.column(6));
  run.vulkan_device = std::get<std::string>(st.column(7));
  sql::Stmt rows(db_, "SELECT p.canonical || '|' || r.backend || '|' || r.task FROM results r"
                      " JOIN problems p ON p.id = r.problem_id WHERE r.run_id = ?1 ORDER BY r.id");
  rows.bind(1, run_id);
  while (rows.step()) run.finished.push_back(std::get<std::string>(rows.column(0)));
  return run;
}

void Store::resume_run(int64_t run_id) {
  require_writable(readonly_, path_, "resume_run");
  const ProcessIdentity me = this_process();
  sql::Stmt st(db_, "UPDATE runs SET status = 'running', finished_at = NULL, pid = ?2, pid_host = ?3,"
                    " pid_start = ?4 WHERE id = ?1");
  st.bind(1, run_id).bind(2, me.pid).bind(3, me.host).bind(4, me.start);
  st.run();
  if (sqlite3_changes(db_) != 1)
    throw std::invalid_argument("resume_run: no run with id " + std::to_string(run_id));
}

std::vector<int64_t> Store::abandoned_runs() const {
  std::vector<int64_t> gone;
  sql::Stmt st(db_, "SELECT id, pid, pid_host, pid_start FROM runs WHERE status = 'running' ORDER BY id");
  while (st.step()) {
    const ProcessIdentity recorded{st.column_int(1), std::get<std::string>(st.column(2)),
                                   std::get<std::string>(st.column(3))};
    if (liveness(recorded) == Liveness::gone) gone.push_back(st.column_int(0));
  }
  return gone;
}

void Store::mark_abandoned(const std::vector<int64_t>& run_ids) {
  require_writable(readonly_, path_, "mark_abandoned");
  if (run_ids.empty()) return;
  sql::Transaction tx(db_);
  // Only while still 'running': a run that finished meanwhile keeps its status.
  // finished_at stays NULL: when the process died is not known.
  sql::Stmt st(db_, "UPDATE runs SET status = 'abandoned' WHERE id = ?1 AND status = 'running'");
  for (const int64_t id : run_ids) {
    st.bind(1, id);
    st.run();
    sqlite3_reset(st.get());
  }
  tx.commit();
}

int64_t Store::record(int64_t run_id, const ResultRecord& r) {
  require_writable(readonly_, path_, "record");
  if (std::find_if(std::begin(kOutcomes), std::end(kOutcomes),
                   [&](const char* o) { return r.outcome == o; }) == std::end(kOutcomes))
    throw std::invalid_argument("record: unknown outcome '" + r.outcome + "' for " + r.canonical);

  sql::Transaction tx(db_);
  {
    // The canonical string is the problem's identity; the other columns are derived
    // from it, so refreshing them on conflict only matters if their spelling changed.
    sql::Stmt up(db_,
                 "INSERT INTO problems (canonical, variant, kind, dtype, params_json, workload, design, shape, design_short) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(canonical) DO UPDATE SET "
                 "design_short = CASE WHEN excluded.design_short <> '' THEN excluded.design_short ELSE design_short END, "
                 "variant = excluded.variant, kind = excluded.kind, dtype = excluded.dtype, "
                 "params_json = excluded.params_json, workload = excluded.workload, "
                 "design = excluded.design, shape = excluded.shape");
    up.bind(1, r.canonical).bind(2, r.variant).bind(3, r.kind).bind(4, r.dtype);
    up.bind(5, r.params_json.empty() ? "{}" : r.params_json);
    up.bind(6, r.workload).bind(7, r.design).bind(8, r.shape).bind(9, r.design_short);
    up.run();
  }
  int64_t problem_id = 0;
  {
    sql::Stmt get(db_, "SELECT id FROM problems WHERE canonical = ?1");
    get.bind(1, r.canonical);
    get.step();
    problem_id = get.column_int(0);
  }
  if (!r.params.empty()) write_problem_params(db_, problem_id, r.params);
  sql::Stmt ins(db_, std::string(
      "INSERT INTO results (run_id, problem_id, backend, suite, outcome, reason, median_s, "
      "mean_s, stddev_s, cv, min_s, iterations, repetitions, gflops, gbps, tokens_per_s, "
      "frac_peak_compute, frac_peak_bandwidth, nmse, max_abs, max_rel, flops, bytes, tokens, "
      "kv_cache_bytes_per_token, peak_memory_bytes, task, task_kind, task_label, task_headline, "
      "task_workload, plugin_path, plugin_hash, impl, sequence_bytes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
      "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, "
      "?29, ?30, ?31, ?32, ?33, ?34, ?35, ") +
      kNow + ")");
  ins.bind(1, run_id).bind(2, problem_id).bind(3, r.backend).bind(4, r.suite);
  ins.bind(5, r.outcome).bind(6, r.reason);
  ins.bind_opt(7, r.median_s).bind_opt(8, r.mean_s).bind_opt(9, r.stddev_s);
  ins.bind_opt(10, r.cv).bind_opt(11, r.min_s);
  ins.bind(12, r.iterations).bind(13, r.repetitions);
  ins.bind_opt(14, r.gflops).bind_opt(15, r.gbps).bind_opt(16, r.tokens_per_s);
  ins.bind_opt(17, r.frac_peak_compute).bind_opt(18, r.frac_peak_bandwidth);
  ins.bind_opt(19, r.nmse).bind_opt(20, r.max_abs).bind_opt(21, r.max_rel);
  ins.bind(22, r.flops).bind(23, r.bytes).bind(24, r.tokens);
  ins.bind(25, r.kv_cache_bytes_per_token).bind(26, r.peak_memory_bytes).bind(27, r.task);
  ins.bind(28, r.task_kind).bind(29, r.task_label).bind(30, int64_t{r.task_headline});
  ins.bind(31, r.task_workload).bind(32, r.plugin_path).bind(33, r.plugin_hash).bind(34, r.impl);
  ins.bind_opt(35, r.sequence_bytes);
  ins.run();
  const int64_t result_id = sqlite3_last_insert_rowid(db_);

  sql::Stmt fig(db_, "INSERT INTO result_figures (result_id, name, value) VALUES (?1, ?2, ?3)");
  for (const auto& [name, value] : r.figures) {
    fig.bind(1, result_id).bind(2, name).bind(3, value);
    fig.run();
    sqlite3_reset(fig.get());
  }
  sql::Stmt smp(db_, "INSERT INTO samples (result_id, repetition, seconds, round) VALUES (?1, ?2, ?3, ?4)");
  for (size_t k = 0; k < r.samples.size(); ++k) {
    const int64_t round = k < r.sample_rounds.size() ? r.sample_rounds[k] : 0;
    smp.bind(1, result_id).bind(2, static_cast<int64_t>(k)).bind(3, r.samples[k]).bind(4, round);
    smp.run();
    sqlite3_reset(smp.get());
  }
  if (!r.cells.empty()) {
    // The kind and axis come from the harness's task registry; a new kind gets
    // its view here, with its first row.
    ensure_task_view(db_, r.task_kind, r.task_axis);
    sql::Stmt cell(db_, "INSERT INTO task_cells (result_id, kind, context, axis, coordinate, trials, successes, "
                        "accuracy, chance, canonical) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    for (const TaskCell& c : r.cells) {
      cell.bind(1, result_id).bind(2, r.task_kind).bind(3, c.context).bind(4, r.task_axis);
      cell.bind(5, c.coordinate).bind(6, c.trials).bind(7, c.successes);
      cell.bind(8, c.trials ? double(c.successes) / double(c.trials) : 0.0).bind(9, c.chance);
      cell.bind(10, c.canonical);
      cell.run();
      sqlite3_reset(cell.get());
    }
  }
  tx.commit();  // durable now: a crash in the next problem keeps this one
  return result_id;
}

void Store::declare_task(const std::string& kind, const std::string& axis) {
  require_writable(readonly_, path_, "declare_task");
  {
    sql::Stmt known(db_, "SELECT 1 FROM task_kinds WHERE kind = ?1 AND axis = ?2");
    known.bind(1, kind).bind(2, axis);
    if (known.step()) return;  // nothing to write
  }
  sql::Transaction tx(db_);
  ensure_task_view(db_, kind, axis);
  tx.commit();
}

void Store::finish_run(int64_t run_id, const std::string& status) {
  require_writable(readonly_, path_, "finish_run");
  sql::Stmt st(db_, std::string("UPDATE runs SET finished_at = ") + kNow +
                        ", status = ?2 WHERE id = ?1");
  st.bind(1, run_id).bind(2, status);
  st.run();
  if (sqlite3_changes(db_) != 1)
    throw std::invalid_argument("finish_run: no run with id " + std::to_string(run_id));
}

void Store::record_calibration(int64_t run_id_or_0, const Calibration& c) {
  require_writable(readonly_, path_, "record_calibration");
  sql::Stmt st(db_, std::string("INSERT INTO calibrations (run_id, created_at, host, backend, "
                                "metric, unit, value, details) VALUES (?1, ") +
                        kNow + ", ?2, ?3, ?4, ?5, ?6, ?7)");
  st.bind(1, run_id_or_0 > 0 ? Cell{run_id_or_0} : Cell{});
  st.bind(2, this_host()).bind(3, c.backend).bind(4, c.metric).bind(5, c.unit);
  st.bind(6, c.value).bind(7, c.details);
  st.run();
}

std::optional<double> Store::latest_calibration(const std::string& backend,
                                                const std::string& metric) const {
  sql::Stmt st(db_, "SELECT value FROM calibrations WHERE host = ?1 AND backend = ?2 "
                    "AND metric = ?3 ORDER BY id DESC LIMIT 1");
  st.bind(1, this_host()).bind(2, backend).bind(3, metric);
  if (!st.step()) return std::nullopt;
  return sqlite3_column_double(st.get(), 0);
}

}  // namespace archbench::results
