// The SQLite results store: opening (with migrations), recording runs/results/
// calibrations, and running queries.
//
// Every record() is its own committed transaction so an interrupted or crashed run
// keeps everything measured before the interruption. A Store is one connection and
// is meant for one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

struct sqlite3;

namespace archbench::results {

// Provenance of one `archbench run`.
struct RunInfo {
  std::string host, cpu_model, cpu_flags, onednn_version, onednn_isa, git_sha, build_type,
      command_line, plugins_json /*JSON array of {name,version,path}*/, suites /*comma list*/,
      vulkan_device /*"llvmpipe (...), driver ..." or "" without the Vulkan backend*/;
  int threads = 0;
  // Schema v8: the part of the plan this run measures ("I/N", "" for all of it)
  // and a digest of its planned rows (run --resume checks it).
  std::string shard, plan_hash;
  // Schema v10: a --quick smoke run; the machine's load when the run started
  // (1-minute load average, runnable processes besides this one; unset = unknown);
  // the calibration it used, as JSON {"backend/metric": value}.
  bool quick = false;
  std::optional<double> load_average;
  std::optional<int64_t> busy_processes;
  std::string calibration_json = "{}";
};

// What `run --resume` needs of a stored run.
struct StoredRun {
  int64_t id = 0;
  std::string uid, status, shard, plan_hash, command_line, host, cpu_model, vulkan_device;
  // "canonical|backend|task" of every result it recorded: the rows it finished.
  std::vector<std::string> finished;
};

// One cell of an accuracy task row: a point on the task's axis at one context.
struct TaskCell {
  int64_t context = 0;
  double coordinate = 0;  // on the row's axis (ResultRecord::task_axis)
  int64_t trials = 0, successes = 0;
  double chance = 0;
  std::string canonical;  // the row's string plus the cell token
};

// One parameter of a problem as the harness knows it from the variant's schema,
// so nothing here has to read it back out of a canonical string. The dtype and
// the seed come last, as they are printed.
struct ProblemParam {
  std::string name;     // "seq", ..., "dtype", "seed"
  std::string key;      // the canonical key ("s"); "" where the value is printed bare
  std::string type;     // "int" | "real" | "enum"
  double value = 0;     // int and real; unused for enums
  std::string text;     // enums (and the dtype): the choice
  std::string token;    // as printed in the canonical string; "" when not printed (the default seed)
  bool design = false;  // a design parameter (AB_PARAM_FLAG_DESIGN): part of `design`, not `workload`
};

// One problem on one backend in one run.
struct ResultRecord {
  std::string canonical, variant, kind, params_json, dtype;  // canonical is the problem's key
  std::string workload, design;  // the canonical tokens split (Problem::workload/design)
  std::string design_short;      // v10: the design's non-default tokens only (Problem::design_compact), for tables
  std::string shape;             // the canonical string without "variant:" (Problem::shape)
  std::vector<ProblemParam> params;  // schema order, then dtype and seed (harness: describe_record)
  std::string backend, suite, outcome, reason;  // outcome: see kOutcomes
  // The plugin library that provided the variant, so results from different code
  // under one variant name can be told apart: its path when loaded and a content
  // hash ("sha1:<hex>", see harness/file_hash.hpp). Set by the parent from its
  // registry, never by the measuring child.
  std::string plugin_path, plugin_hash;
  // Schema v10: the implementations the result ran on, "<primitive>:<impl>" of each
  // oneDNN primitive executed in its first checked run, comma-separated
  // ("matmul:brg:avx512_core,softmax:jit:avx2"); "" for Vulkan (the run names its
  // device) and for plugins that run no oneDNN primitive. An impl starting with
  // "ref" is oneDNN's reference fallback.
  std::string impl;
  std::optional<double> median_s, mean_s, stddev_s, cv, min_s;
  int64_t iterations = 0, repetitions = 0;
  std::optional<double> gflops, gbps, tokens_per_s, frac_peak_compute, frac_peak_bandwidth;
  std::optional<double> nmse, max_abs, max_rel;
  double flops = 0, bytes = 0, tokens = 0, kv_cache_bytes_per_token = 0;
  // v13: the bytes one sequence holds between tokens at the problem's context (its
  // decode form's state tensors: a KV cache, a recurrent state and conv window);
  // nullopt where the variant declares no workload roles. Set by the harness.
  std::optional<double> sequence_bytes;
  int64_t peak_memory_bytes = 0;
  std::vector<double> samples;  // raw per-repetition seconds
  // v11: the measurement round (child process) of each sample, 0-based, parallel
  // to `samples`; empty when all came from one process (round 0).
  std::vector<int64_t> sample_rounds;
  // Named figures the variant reported (extra "figures/1"): active parameters,
  // load imbalance, ... Stored in result_figures; the harness knows no names.
  std::vector<std::pair<std::string, double>> figures;
  // Accuracy task rows, all filled by the harness from the task registry (the
  // task executor; the runner for rows that crashed): empty for timing/fidelity
  // results. The store routes and labels rows by these, never by the task string.
  std::string task;           // the task string, replayable after '@'
  std::string task_kind;      // the registry name: the cells' kind and their view's name
  std::string task_axis;      // the cells' coordinate, a column of that view
  std::string task_label;     // short label for leaderboards and plots
  int task_headline = 0;      // > 0: may show beside speed in the perf leaderboard; higher preferred
  std::string task_workload;  // the group key: the workload with its context parameter printed '*'
  std::vector<TaskCell> cells;
};

// A whole-model estimate (schema v12; harness/model_estimate.hpp): a preset's
// figures at one workload, composed from its parts' measured times in the same
// run. The store keeps what the harness composed; it knows no preset or part.
struct ModelEstimatePart {
  std::string layer_type;  // the preset's name for the layer type
  int64_t layers = 0;      // how many layers of the model are of this type
  std::string part;        // as the preset writes it
  std::string mode;        // "prefill" | "decode"
  std::string measured;    // canonical string of the problem measured; "" when it was not
  int64_t reduction = 1;   // its REDUCIBLE counts were divided by this to fit memory
  double scale = 1;        // the measured time times this is the full part's (cost model)
  std::optional<double> seconds;  // one layer's part at full size; nullopt: left out
  std::string note;        // why left out, or how it was scaled
};
struct ModelEstimateRecord {
  std::string preset, title, backend, dtype;
  int64_t batch = 1, prefill_tokens = 0, context = 0;
  double total_params = 0, active_params = 0, weight_bytes = 0;
  double kv_bytes_per_token = 0;  // cache growth per token of one sequence, all layers
  double cache_bytes = 0;         // what the decode step holds at `context`, all sequences and layers
  std::optional<double> prefill_s, decode_s, prefill_tokens_per_s, decode_tokens_per_s;
  bool complete = false;          // every part measured; else `notes` say what is left out
  // `model --check-stack`: the layers' decode step measured end to end (every layer
  // in sequence, harness/stack_timing.hpp) and the estimate's layer share over it.
  std::optional<double> stack_decode_s, stack_ratio;
  std::string notes;              // "; "-separated
  std::vector<ModelEstimatePart> parts;
};

inline constexpr const char* kOutcomes[] = {"passed",  "failed",  "unimplemented",
                                            "skipped", "crashed", "timed-out"};

// A measured machine peak, e.g. metric "matmul_f32_gflops", "matmul_bf16_gflops",
// "memory_bandwidth_gbps".
struct Calibration {
  std::string backend, metric, unit;
  double value = 0;
  std::string details;
};

using Cell = std::variant<std::monostate, int64_t, double, std::string>;

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

// Bounds on one ad-hoc query (`archbench query`): a runaway statement (an
// endless recursive CTE, a cross join of everything) ends with a one-line
// InputError instead of running forever or until memory runs out. 0 = no bound.
struct QueryLimits {
  double timeout_s = 0;   // wall clock, checked every few thousand VM steps
  int64_t max_rows = 0;   // rows of the result
  int64_t max_bytes = 0;  // the collected cells, and any one value sqlite builds
};

class Describer;  // backfill.hpp
class MergeInput;  // merge.hpp
struct MergeReport;

class Store {
 public:
  // Creates the file if missing, applies missing migrations, WAL, foreign keys,
  // busy timeout. Takes only a new or empty file or an archbench database:
  // another SQLite file (tables of its own at schema version 0), a negative or
  // newer schema version, a corrupt file (PRAGMA quick_check), an unopenable
  // path or not a database -> InputError naming the path, and nothing of the
  // file is written before that decision (it stays byte-identical).
  // With a describer (the harness's), rows written before schema v5 get the
  // structure they lack (see backfill.hpp).
  static Store open_readwrite(const std::string& path, const Describer* describer = nullptr);
  // SQLITE_OPEN_READONLY. Missing file, not an archbench database, or a schema
  // version other than this build's -> InputError naming the path.
  static Store open_readonly(const std::string& path);

  Store(Store&& other) noexcept;
  Store& operator=(Store&& other) noexcept;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // Inserts a runs row with started_at = now (UTC ISO-8601) and status 'running',
  // and this process's identity (pid, host, start; see run_liveness.hpp).
  // Also gives the run a fresh uid (schema v8; see run_uid.hpp).
  int64_t begin_run(const RunInfo& info);
  // The run `run_id`, or nullopt when there is none.
  std::optional<StoredRun> stored_run(int64_t run_id) const;
  // Takes up a stored run again (run --resume): status 'running', no finished_at,
  // and this process as its recorder, so its liveness is judged by us now.
  void resume_run(int64_t run_id);
  // Upserts the problem (and its problem_params when r.params is given), inserts
  // the result, its samples and its task cells (creating the kind's view with
  // its first row); one transaction, committed before returning. Returns the
  // results row id. A task kind or axis that is not an identifier, or that
  // clashes with what is stored -> std::invalid_argument (a harness bug).
  int64_t record(int64_t run_id, const ResultRecord& r);
  // Makes sure a task kind has its view (with `axis` as its coordinate column),
  // so a query on it answers, empty, before its first row is recorded. The
  // harness declares its registered tasks; writes only what is missing.
  // Names as in record() -> std::invalid_argument.
  void declare_task(const std::string& kind, const std::string& axis);
  // Sets finished_at = now and status ('completed', 'interrupted', ...).
  void finish_run(int64_t run_id, const std::string& status);
  // Runs still 'running' whose recording process is gone: recorded on this
  // host (and pid namespace) by a process that no longer exists. Reads only, so
  // a read-only store can answer too. Runs from before v6 or from another host
  // are never in it: whether their process lives cannot be seen from here.
  std::vector<int64_t> abandoned_runs() const;
  // Sets status 'abandoned' on those of `run_ids` still 'running' (finished_at
  // stays NULL: when the process died is not known). One transaction.
  void mark_abandoned(const std::vector<int64_t>& run_ids);

  // A whole-model estimate of run `run_id` and its parts; one transaction. Returns its id.
  int64_t record_model_estimate(int64_t run_id, const ModelEstimateRecord& e);

  // run_id 0 = not tied to a run. The host stored is this machine's hostname.
  void record_calibration(int64_t run_id_or_0, const Calibration& c);
  // The newest calibration of this backend/metric measured on this host.
  std::optional<double> latest_calibration(const std::string& backend,
                                           const std::string& metric) const;

  // Runs ONE statement. On a read-only store any statement that could write
  // (including ATTACH/DETACH) is refused with InputError("query is read-only: ...").
  // SQL errors -> InputError carrying sqlite's message.
  QueryResult query(const std::string& sql) const;
  // Same, with positional parameters bound to ?1, ?2, ... (used by leaderboard).
  QueryResult query(const std::string& sql, const std::vector<Cell>& params) const;
  // Same, within `limits`; past one -> InputError saying which (see QueryLimits).
  QueryResult query(const std::string& sql, const QueryLimits& limits) const;

  int schema_version() const;  // PRAGMA user_version
  const std::string& path() const { return path_; }
  bool readonly() const { return readonly_; }

 private:
  friend MergeReport merge_into(Store& out, const std::vector<MergeInput>& inputs);
  Store(sqlite3* db, std::string path, bool readonly);
  QueryResult run_query(const std::string& sql, const std::vector<Cell>& params, const QueryLimits& limits) const;
  sqlite3* db_ = nullptr;
  std::string path_;
  bool readonly_ = false;
};

}  // namespace archbench::results
