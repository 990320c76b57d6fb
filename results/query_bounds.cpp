// QueryBounds (see query_bounds.hpp). The messages name the `archbench query`
// flag that raises each bound, since that command is where the limits come from.
#include "results/query_bounds.hpp"

#include <climits>
#include <cstdio>
#include <string>

#include "harness/errors.hpp"

namespace archbench::results {
namespace {

// How many virtual-machine steps pass between deadline checks: a few
// microseconds of work, so the clock costs nothing and a stop is prompt.
constexpr int kStepsPerCheck = 10000;

std::string mebibytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%g MiB", double(bytes) / (1024.0 * 1024.0));
  return text;
}

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", s);
  return text;
}

// What a cell costs in memory once collected.
size_t cell_bytes(const Cell& cell) {
  const auto* text = std::get_if<std::string>(&cell);
  return sizeof(Cell) + (text ? text->size() : 0);
}

}  // namespace

QueryBounds::QueryBounds(sqlite3* db, const QueryLimits& limits) : db_(db), limits_(limits) {
  if (limits_.timeout_s > 0) {
    deadline_ = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(limits_.timeout_s));
    sqlite3_progress_handler(db_, kStepsPerCheck, &QueryBounds::past_deadline, this);
  }
  // One value (a zeroblob, a printf padding, a group_concat) is built inside
  // sqlite before the byte cap below could see it; this caps it there.
  if (limits_.max_bytes > 0)
    previous_length_ = sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, int(std::min<int64_t>(limits_.max_bytes, INT_MAX)));
}

QueryBounds::~QueryBounds() {
  if (limits_.timeout_s > 0) sqlite3_progress_handler(db_, 0, nullptr, nullptr);
  if (previous_length_ >= 0) sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, previous_length_);
}

int QueryBounds::past_deadline(void* self) {
  auto* bounds = static_cast<QueryBounds*>(self);
  if (std::chrono::steady_clock::now() < bounds->deadline_) return 0;
  bounds->deadline_hit_ = true;
  return 1;  // sqlite stops the statement with SQLITE_INTERRUPT
}

void QueryBounds::explain_stop() const {
  if (deadline_hit_)
    throw InputError("query: stopped at the time limit of " + seconds(limits_.timeout_s) +
                     "; narrow the query or add a LIMIT, or raise the limit with --timeout");
  if (limits_.max_bytes > 0 && sqlite3_errcode(db_) == SQLITE_TOOBIG)
    throw InputError("query: a value would exceed the memory limit of " + mebibytes(limits_.max_bytes) +
                     "; raise it with --max-mb");
}

QueryResult QueryBounds::collect(sql::Stmt& st, const std::vector<Cell>& params) const {
  for (size_t i = 0; i < params.size(); ++i) st.bind(static_cast<int>(i + 1), params[i]);
  QueryResult out;
  const int n = sqlite3_column_count(st.get());
  for (int c = 0; c < n; ++c) out.columns.emplace_back(sqlite3_column_name(st.get(), c));
  size_t bytes = 0;
  while (st.step()) {
    if (limits_.max_rows > 0 && int64_t(out.rows.size()) >= limits_.max_rows)
      throw InputError("query: more than " + std::to_string(limits_.max_rows) +
                       " rows; add a LIMIT or a WHERE, or raise the limit with --max-rows");
    auto& row = out.rows.emplace_back();
    row.reserve(size_t(n));
    bytes += sizeof row;
    for (int c = 0; c < n; ++c) bytes += cell_bytes(row.emplace_back(st.column(c)));
    if (limits_.max_bytes > 0 && int64_t(bytes) > limits_.max_bytes)
      throw InputError("query: the result exceeds the memory limit of " + mebibytes(limits_.max_bytes) +
                       " after " + std::to_string(out.rows.size()) +
                       " rows; select fewer rows or columns, or raise the limit with --max-mb");
  }
  return out;
}

}  // namespace archbench::results
