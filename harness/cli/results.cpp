// Read-side subcommands: leaderboard (and its --by growth pivot), query, runs,
// compare. All open the database read-only, so none of them can change what is
// stored; `runs` alone then marks runs whose process is gone as abandoned.
#include "harness/cli/common.hpp"
#include "harness/errors.hpp"
#include "results/compare.hpp"
#include "results/figure_board.hpp"
#include "results/format.hpp"
#include "results/growth.hpp"
#include "results/leaderboard.hpp"
#include "results/model_estimates.hpp"
#include "results/pareto.hpp"
#include "results/run_context.hpp"
#include "results/table_view.hpp"
#include "results/task_summary.hpp"
#include "tasks/task.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace archbench::cli {
namespace {

std::string shown(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// list_runs with `gone` shown as 'abandoned', whether or not that could be stored.
void show_abandoned(results::QueryResult& listed, const std::vector<int64_t>& gone) {
  const auto column = [&](const char* name) {
    return size_t(std::find(listed.columns.begin(), listed.columns.end(), name) - listed.columns.begin());
  };
  const size_t id = column("id"), status = column("status");
  if (id >= listed.columns.size() || status >= listed.columns.size()) return;
  for (auto& row : listed.rows)
    if (const auto* value = std::get_if<int64_t>(&row[id]); value && std::count(gone.begin(), gone.end(), *value))
      row[status] = std::string("abandoned");
}

void print(const results::QueryResult& result, const std::string& format) {
  std::cout << results::format(result, results::parse_format(format));
}

// The speed leaderboard: csv and json whole; table and md fitted to 120 columns
// unless --columns picks them.
// json and jsonl carry `context` (run_context.hpp): the runs the rows come from.
void print_board(const results::QueryResult& board, const std::string& format, const std::string& columns,
                 const nlohmann::ordered_json& context) {
  const results::Format f = results::parse_format(format);
  const bool structured = f == results::Format::json || f == results::Format::jsonl;
  if (!columns.empty()) {
    const results::QueryResult picked = results::select_columns(board, columns);
    std::cout << (structured ? results::format_with_context(picked, context, f == results::Format::jsonl)
                             : results::format(picked, f));
    for (const std::string& line : results::board_warnings(board)) std::cerr << line << "\n";
    return;
  }
  const std::vector<std::string> warnings = results::board_warnings(board);
  if (f == results::Format::csv || structured) {
    std::cout << (structured ? results::format_with_context(board, context, f == results::Format::jsonl)
                             : results::format(board, f));
    for (const std::string& line : warnings) std::cerr << line << "\n";  // stdout stays parseable
    return;
  }
  const results::TableView view = results::fit_leaderboard(board);
  std::cout << results::format(view.table, f);
  if (!view.note().empty()) std::cout << view.note() << "\n";
  for (const std::string& line : warnings) std::cout << line << "\n";
}

}  // namespace

int leaderboard_command(const Context& context) {
  Globals globals;
  results::LeaderboardOptions board;
  std::string format = "table", by, per, columns, axes = "speed,fidelity,context,memory", weights;
  int64_t run = 0;
  results::TaskFilter task;
  po::options_description options("archbench leaderboard");
  options.add_options()
      ("models", po::bool_switch(), "rank whole-model estimates (`archbench model`) instead: decode tokens/s, or --metric prefill or memory, per backend, dtype and workload")
      ("context", po::value<int64_t>(), "with --models: only estimates at this decode context")
      ("task", po::value(&task.kind), (tasks::task_names() + ": rank designs by the accuracy task instead (accuracy over the grid, effective context, accuracy per context)").c_str())
      ("variant", po::value(&task.variant), "with --task: only variants or designs matching this glob")
      ("dtype", po::value(&task.dtype), "with --task or --models: only this dtype")
      ("options", po::value(&task.task), "with --task: only task strings matching this glob, e.g. 'needle.single.*'")
      ("kind", po::value(&board.kind), "only this op kind (attention, ffn, norm, ...)")
      ("backend", po::value(&board.backend), "only this backend (cpu, vulkan)")
      ("shape", po::value(&board.shape), "only workloads matching this glob, e.g. 'prefill.b1.s4096.*'")
      ("metric", po::value(&board.metric), "tokens_per_s (default), gflops, gbps, frac_peak_compute, median_s, kv_cache_bytes_per_token, nmse; with --by also max_abs, max_rel (default nmse)")
      ("by", po::value(&by), "pivot: one column per value of this parameter (e.g. seq, tokens, d_model), one row per series with it blanked to '*'")
      ("per", po::value(&per), "rank across kinds by tokens/s x this reported figure (e.g. active_params, weight_bytes), grouped by backend, dtype and tokens")
      ("run", po::value(&run), "only this run id (default: the latest result of each problem)")
      ("host", po::value(&board.host), "only runs on hosts matching this glob (a merged database holds many)")
      ("device", po::value(&board.device), "only results on devices matching this glob: the CPU model for cpu rows, the Vulkan device for vulkan rows")
      ("latest", po::bool_switch(), "the newest result of each problem even when it is from a --quick run (default: a careful run's result where there is one)")
      ("hosts", po::bool_switch(&board.by_machine), "rank machines side by side: the latest result per host and device, with host and device columns")
      ("pareto", po::bool_switch(), "only the designs no other design of their group beats on every axis (--axes)")
      ("axes", po::value(&axes), "with --pareto: a comma list of speed, fidelity, context, memory or metric names (default speed,fidelity,context,memory)")
      ("composite", po::bool_switch(), "rank by a composite score of speed, fidelity, effective context and memory per token (README: Composite score)")
      ("weights", po::value(&weights), "with --composite: NAME=WEIGHT,... over speed, fidelity, context, memory (default all 1; names left out weigh 0)")
      ("columns", po::value(&columns), "only these columns, a comma list in the order given (default: a table that fits 120 columns; csv and json keep all)")
      ("format", po::value(&format), "table | csv | json | md");
  add_globals(options, globals, false);
  po::variables_map values;
  if (!parse("leaderboard", "archbench leaderboard [--kind K] [--backend B] [--shape GLOB] [--metric M] [--by PARAM] [--run ID] [--host GLOB] [--device GLOB] [--hosts] [--format F] [--db PATH]\n       archbench leaderboard --per FIGURE [--kind K] [--backend B] [--run ID]\n       archbench leaderboard --models [--backend B] [--dtype D] [--metric decode|prefill|memory] [--context C] [--run ID]\n       archbench leaderboard --task TASK [--variant GLOB] [--backend B] [--dtype D] [--options GLOB] [--run ID]", context, options, values))
    return 0;
  results::parse_format(format);  // reject a bad --format before opening anything
  if (values.count("weights")) results::parse_weights(weights);
  if (values.count("axes")) results::parse_axes(axes, "--axes");
  if ((values.count("weights") && !values["composite"].as<bool>()) || (values.count("axes") && !values["pareto"].as<bool>()))
    throw InputError("archbench leaderboard: --weights applies with --composite, --axes with --pareto");
  if (values.count("run")) board.run_id = run;
  if (values["models"].as<bool>()) {
    for (const char* other : {"task", "variant", "options", "kind", "shape", "by", "per", "host", "device", "axes", "weights", "columns"})
      if (values.count(other))
        throw InputError(std::string("archbench leaderboard: --models ranks whole-model estimates; it takes no --") + other);
    for (const char* flag : {"hosts", "pareto", "composite", "latest"})
      if (values[flag].as<bool>())
        throw InputError(std::string("archbench leaderboard: --models ranks whole-model estimates; it takes no --") + flag);
    results::ModelBoardOptions models;
    models.backend = board.backend;
    models.dtype = task.dtype;
    models.run_id = board.run_id;
    if (values.count("context")) models.context = values["context"].as<int64_t>();
    if (values.count("metric")) models.metric = board.metric;
    const results::Store store = results::Store::open_readonly(database_path(globals));
    print(results::model_board(store, models), format);
    return 0;
  }
  if (values.count("context")) throw InputError("archbench leaderboard: --context applies with --models");
  board.prefer_careful = !values["latest"].as<bool>();
  if (!values.count("task") && !values["models"].as<bool>() && (values.count("variant") || values.count("dtype") || values.count("options")))
    throw InputError("archbench leaderboard: --variant, --dtype and --options apply with --task " + tasks::task_names());
  if (values.count("task") && !tasks::find_task(task.kind))
    throw InputError("--task: '" + task.kind + "' is not one of " + tasks::task_names());
  if ((values.count("task") || values.count("by")) && (values.count("host") || values.count("device") || board.by_machine))
    throw InputError("archbench leaderboard: --host, --device and --hosts apply to the speed leaderboard, not with --task or --by");
  if (values.count("task") && values.count("by"))
    throw InputError("archbench leaderboard: --by pivots the fidelity results; --task has its own per-context columns");
  if (values.count("per") && (values.count("task") || values.count("by") || values.count("metric") || values.count("shape") ||
                              values.count("host") || values.count("device") || board.by_machine))
    throw InputError("archbench leaderboard: --per ranks by tokens/s x the figure; it takes no --task, --by, --metric, --shape, --host, --device or --hosts");
  const results::Store store = results::Store::open_readonly(database_path(globals));
  if (values.count("per")) {
    print(results::figure_leaderboard(store, {per, board.kind, board.backend, board.run_id}), format);
    return 0;
  }
  if (values.count("task")) {
    task.backend = board.backend;
    task.run_id = board.run_id;
    print(results::task_leaderboard(store, task), format);
    return 0;
  }
  if (values.count("by")) {
    // Growth is about error, so nmse unless a metric was asked for.
    const results::GrowthOptions growth{by, board.kind, board.backend, board.shape,
                                        values.count("metric") ? board.metric : "nmse", board.run_id};
    print(results::growth(store, growth), format);
    return 0;
  }
  board.headline_task = tasks::headline_kind();
  results::QueryResult ranked = results::leaderboard(store, board);
  if (values["composite"].as<bool>())
    ranked = results::composite_board(ranked, results::parse_weights(weights.empty() ? "speed=1,fidelity=1,context=1,memory=1" : weights));
  if (values["pareto"].as<bool>()) {
    ranked = results::pareto_rows(ranked, results::parse_axes(axes, "--axes"));
    std::cerr << "note: the Pareto front of each kind, backend and workload over " << axes << "\n";
  }
  nlohmann::ordered_json shown = nlohmann::ordered_json::object();
  shown["command"] = "leaderboard";
  shown["metric"] = board.metric;
  shown["selection"] = board.run_id ? "run " + std::to_string(*board.run_id)
                         : board.prefer_careful ? "the newest careful result of each problem and backend (a --quick run's only where there is no careful one)"
                                                : "the newest result of each problem and backend";
  shown["runs"] = results::run_context(store, results::run_ids_of(ranked))["runs"];
  print_board(ranked, format, columns, shown);
  return 0;
}

int query_command(const Context& context) {
  Globals globals;
  std::string sql, format = "table";
  // Defaults that no useful query over a results database comes near, and that
  // end a runaway one (an endless recursive CTE, a cross join) in seconds.
  double timeout_s = 10, max_mb = 256;
  int64_t max_rows = 100000;
  po::options_description options("archbench query");
  options.add_options()("sql", po::value(&sql)->required(), "one SQL statement (read-only)")(
      "format", po::value(&format), "table | csv | json | md")(
      "timeout", po::value(&timeout_s), "stop the query after this many seconds (default 10)")(
      "max-rows", po::value(&max_rows), "refuse a result of more rows than this (default 100000)")(
      "max-mb", po::value(&max_mb), "refuse a result, or any one value, larger than this many MiB (default 256)");
  add_globals(options, globals, false);
  po::positional_options_description positional;
  positional.add("sql", 1);
  po::variables_map values;
  if (!parse("query", "archbench query \"SELECT ...\" [--format F] [--timeout S] [--max-rows N] [--max-mb M] [--db PATH]",
             context, options, values, &positional))
    return 0;
  results::parse_format(format);
  // Upper ends: a day, and what an int can carry (sqlite's own cap on one value).
  if (!(timeout_s > 0 && timeout_s <= 86400))
    throw InputError("--timeout: expected seconds in (0, 86400], got " + shown(timeout_s));
  if (max_rows < 1) throw InputError("--max-rows: expected a positive count, got " + std::to_string(max_rows));
  if (!(max_mb > 0 && max_mb <= 2047))
    throw InputError("--max-mb: expected MiB in (0, 2047], got " + shown(max_mb));
  const results::QueryLimits limits{timeout_s, max_rows, int64_t(max_mb * 1024 * 1024)};
  const results::Store store = results::Store::open_readonly(database_path(globals));
  print(store.query(sql, limits), format);
  return 0;
}

int runs_command(const Context& context) {
  Globals globals;
  std::string format = "table", host;
  po::options_description options("archbench runs");
  options.add_options()("format", po::value(&format), "table | csv | json | md")(
      "host", po::value(&host), "only runs on hosts matching this glob (one machine's history in a merged database)");
  add_globals(options, globals, false);
  po::variables_map values;
  if (!parse("runs", "archbench runs [--host GLOB] [--format F] [--db PATH]", context, options, values)) return 0;
  results::parse_format(format);
  const std::string path = database_path(globals);
  std::vector<int64_t> gone;
  results::QueryResult listed;
  {
    const results::Store store = results::Store::open_readonly(path);
    gone = store.abandoned_runs();
    listed = results::list_runs(store, host);
  }
  if (!gone.empty()) {
    // Runs whose archbench died without finishing: recorded as 'abandoned' when
    // this user may write the file, and listed so either way. Notes go to
    // stderr, so csv and json stay parseable.
    try {
      results::Store::open_readwrite(path).mark_abandoned(gone);
      std::fprintf(stderr, "note: %s\n", abandoned_note(gone).c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "note: %s (listed so; not recorded: %s)\n", abandoned_note(gone).c_str(), e.what());
    }
    show_abandoned(listed, gone);
  }
  print(listed, format);
  return 0;
}

int compare_command(const Context& context) {
  Globals globals;
  std::string format = "table";
  std::vector<int64_t> ids;
  po::options_description options("archbench compare");
  double alpha = 0.05, min_change = 0.05;
  options.add_options()("runs", po::value(&ids)->multitoken(), "RUN_A RUN_B")(
      "alpha", po::value(&alpha), "family-wise significance after Holm's correction (default 0.05)")(
      "min-change", po::value(&min_change), "smallest relative change of a median that counts as faster or slower (default 0.05)")(
      "format", po::value(&format), "table | csv | json | md");
  add_globals(options, globals, false);
  po::positional_options_description positional;
  positional.add("runs", 2);
  po::variables_map values;
  if (!parse("compare", "archbench compare RUN_A RUN_B [--alpha A] [--min-change R] [--format F] [--db PATH]", context, options, values, &positional))
    return 0;
  if (!(alpha > 0 && alpha < 1)) throw InputError("--alpha: expected a number in (0, 1), got " + shown(alpha));
  if (!(min_change >= 0 && min_change < 10)) throw InputError("--min-change: expected a relative change in [0, 10), got " + shown(min_change));
  if (ids.size() != 2) throw InputError("archbench compare: expected two run ids (RUN_A RUN_B), got " + std::to_string(ids.size()));
  results::parse_format(format);
  const results::Store store = results::Store::open_readonly(database_path(globals));
  const results::Comparison comparison = results::compare_runs(store, ids[0], ids[1], alpha, min_change);
  const results::Format f = results::parse_format(format);
  if (f == results::Format::jsonl) throw InputError("archbench compare: --format jsonl is for row streams; use json");
  if (f == results::Format::json) {
    // One object: the rows, and the summary a reader needs to trust them.
    nlohmann::ordered_json out;
    out["context"] = results::run_context(store, {ids[0], ids[1]});
    out["run_a"] = ids[0];
    out["run_b"] = ids[1];
    out["rows"] = nlohmann::json::parse(results::format(comparison.rows, f));
    out["correction"] = "holm";
    out["alpha"] = comparison.alpha;
    out["min_change"] = comparison.min_change;
    out["within_min_change"] = comparison.within;
    out["tested"] = comparison.tested;
    out["faster"] = comparison.faster;
    out["slower"] = comparison.slower;
    out["not_significant"] = comparison.not_significant;
    out["underpowered"] = comparison.underpowered;
    if (comparison.geomean)
      out["geomean_speedup"] = {{"value", comparison.geomean->geomean},
                                {"ci95_low", comparison.geomean->interval.low},
                                {"ci95_high", comparison.geomean->interval.high}};
    out["summary"] = comparison.summary();
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << results::format(comparison.rows, f);
  // csv stays one table for tools: the summary goes to stderr there.
  if (f != results::Format::csv) std::cout << "\n";
  for (const std::string& line : comparison.summary())
    (f == results::Format::csv ? std::cerr : std::cout) << line << "\n";
  return 0;
}

}  // namespace archbench::cli
