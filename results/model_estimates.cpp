// Writing and ranking whole-model estimates (see model_estimates.hpp).
#include "results/model_estimates.hpp"

#include "harness/errors.hpp"
#include "results/sqlite_util.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace archbench::results {

int64_t Store::record_model_estimate(int64_t run_id, const ModelEstimateRecord& e) {
  if (readonly_) throw std::logic_error("record_model_estimate on read-only store " + path_);
  sql::Transaction tx(db_);
  sql::Stmt ins(db_,
                "INSERT INTO model_estimates (run_id, preset, title, backend, dtype, batch, prefill_tokens, context, "
                "total_params, active_params, weight_bytes, kv_bytes_per_token, cache_bytes, prefill_s, decode_s, "
                "prefill_tokens_per_s, decode_tokens_per_s, complete, notes, stack_decode_s, stack_ratio, created_at) VALUES "
                "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
                "strftime('%Y-%m-%dT%H:%M:%fZ','now'))");
  ins.bind(1, run_id).bind(2, e.preset).bind(3, e.title).bind(4, e.backend).bind(5, e.dtype).bind(6, e.batch);
  ins.bind(7, e.prefill_tokens).bind(8, e.context).bind(9, e.total_params).bind(10, e.active_params);
  ins.bind(11, e.weight_bytes).bind(12, e.kv_bytes_per_token).bind(13, e.cache_bytes);
  ins.bind_opt(14, e.prefill_s).bind_opt(15, e.decode_s).bind_opt(16, e.prefill_tokens_per_s);
  ins.bind_opt(17, e.decode_tokens_per_s).bind(18, int64_t(e.complete)).bind(19, e.notes);
  ins.bind_opt(20, e.stack_decode_s).bind_opt(21, e.stack_ratio);
  ins.run();
  const int64_t id = sqlite3_last_insert_rowid(db_);
  sql::Stmt part(db_,
                 "INSERT INTO model_estimate_parts (estimate_id, position, layer_type, layers, part, mode, measured, "
                 "reduction, scale, seconds, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  for (size_t i = 0; i < e.parts.size(); ++i) {
    const ModelEstimatePart& p = e.parts[i];
    part.bind(1, id).bind(2, int64_t(i)).bind(3, p.layer_type).bind(4, p.layers).bind(5, p.part).bind(6, p.mode);
    part.bind(7, p.measured).bind(8, p.reduction).bind(9, p.scale).bind_opt(10, p.seconds).bind(11, p.note);
    part.run();
    sqlite3_reset(part.get());
  }
  tx.commit();
  return id;
}

QueryResult model_board(const Store& store, const ModelBoardOptions& options) {
  const auto& metrics = model_metrics();
  if (std::find(metrics.begin(), metrics.end(), options.metric) == metrics.end())
    throw InputError("--metric: '" + options.metric + "' is not one of decode, prefill, memory (with --models)");
  // The ranked value and its direction: tokens/s high first, memory low first.
  const std::string value = options.metric == "decode"    ? "decode_tokens_per_s"
                            : options.metric == "prefill" ? "prefill_tokens_per_s"
                                                          : "-(weight_bytes + cache_bytes)";
  const std::string sql =
      "WITH latest AS (SELECT * FROM model_estimates WHERE id IN (SELECT max(id) FROM model_estimates"
      " WHERE (?1 = '' OR backend = ?1) AND (?2 = '' OR dtype = ?2) AND (?3 = '' OR preset GLOB ?3)"
      " AND (?4 IS NULL OR run_id = ?4) AND (?5 IS NULL OR context = ?5)"
      " GROUP BY preset, backend, dtype, batch, prefill_tokens, context)),"
      " ranked AS (SELECT *, " + value + " AS ranked_value FROM latest)"
      " SELECT CASE WHEN ranked_value IS NULL THEN NULL ELSE rank() OVER (PARTITION BY backend, dtype, batch,"
      " prefill_tokens, context, ranked_value IS NULL ORDER BY ranked_value DESC) END AS rank,"
      " preset AS model, backend, dtype, batch, prefill_tokens AS prefill, context,"
      " round(total_params / 1e9, 2) AS params_b, round(active_params / 1e9, 2) AS active_b,"
      " round(weight_bytes / 1e9, 2) AS weights_gb, round(kv_bytes_per_token / 1024.0, 1) AS kv_kib_per_token,"
      " round(cache_bytes / 1e9, 3) AS cache_gb, round(prefill_tokens_per_s, 1) AS prefill_tok_s,"
      " round(decode_tokens_per_s, 2) AS decode_tok_s, complete, round(stack_ratio, 3) AS stack_check,"
      " run_id AS run, id AS estimate, notes"
      " FROM ranked ORDER BY backend, dtype, batch, prefill_tokens, context, ranked_value IS NULL, rank, preset";
  return store.query(sql, {Cell{options.backend}, Cell{options.dtype}, Cell{options.preset},
                           options.run_id ? Cell{*options.run_id} : Cell{},
                           options.context ? Cell{*options.context} : Cell{}});
}

QueryResult model_estimate_parts(const Store& store, int64_t estimate_id) {
  return store.query(
      "SELECT layer_type, layers, part, mode, measured, reduction, round(scale, 3) AS scale,"
      " seconds * 1e3 AS ms_per_layer, note FROM model_estimate_parts WHERE estimate_id = ?1 ORDER BY position",
      {Cell{estimate_id}});
}

}  // namespace archbench::results
