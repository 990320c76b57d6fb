// Ranking by a reported figure across kinds (see figure_board.hpp).
#include "results/figure_board.hpp"

#include "harness/errors.hpp"

namespace archbench::results {

QueryResult figure_leaderboard(const Store& store, const FigureBoardOptions& o) {
  const bool named = !o.figure.empty() && o.figure.size() < 32 &&
                     o.figure.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
  if (!named) throw InputError("--per: '" + o.figure + "' is not a figure name (1-31 characters of [a-z0-9_])");
  const std::string rate = o.figure + "_tokens_per_s";
  // ?1 figure, ?2 kind, ?3 backend, ?4 run id; NULL means "no filter".
  const std::string sql =
      "WITH latest AS ("
      " SELECT r.*, p.kind, p.dtype,"
      "  CASE WHEN p.design <> '' THEN p.design ELSE p.variant END AS design,"
      "  CASE WHEN p.workload <> '' THEN p.workload ELSE p.shape END AS shape,"
      "  f.value AS figure,"
      "  ROW_NUMBER() OVER (PARTITION BY r.problem_id, r.backend ORDER BY r.run_id DESC, r.id DESC) AS recency"
      " FROM results r JOIN problems p ON p.id = r.problem_id"
      " JOIN result_figures f ON f.result_id = r.id AND f.name = ?1"
      " WHERE r.task = '' AND (?2 IS NULL OR p.kind = ?2) AND (?3 IS NULL OR r.backend = ?3)"
      "  AND (?4 IS NULL OR r.run_id = ?4)"
      "), ranked AS ("
      " SELECT *, tokens_per_s * figure AS rate,"
      "  RANK() OVER (PARTITION BY backend, dtype, tokens ORDER BY tokens_per_s * figure DESC) AS rank"
      " FROM latest WHERE recency = 1 AND outcome = 'passed' AND tokens_per_s IS NOT NULL"
      ")"
      " SELECT backend, dtype, CAST(tokens AS INTEGER) AS tokens, rank, kind, design, shape,"
      "  figure AS \"" + o.figure + "\", tokens_per_s, rate AS \"" + rate + "\","
      "  median_s * 1000.0 AS median_ms, run_id"
      " FROM ranked ORDER BY backend, dtype, tokens, rank, design";
  auto opt = [](const std::string& s) { return s.empty() ? Cell{} : Cell{s}; };
  return store.query(sql, {Cell{o.figure}, opt(o.kind), opt(o.backend), o.run_id ? Cell{*o.run_id} : Cell{}});
}

}  // namespace archbench::results
