// Rendering a QueryResult for the terminal or for other tools:
// table (aligned text), csv (RFC 4180 quoting), json (array of objects), jsonl (one
// object per line), md (GitHub table).
#pragma once

#include <string>

#include "results/store.hpp"

namespace archbench::results {

enum class Format { table, csv, json, jsonl, md };

// "table" | "csv" | "json" | "jsonl" | "md"; anything else -> InputError naming --format.
Format parse_format(const std::string& name);

// The whole rendering, every line ending in '\n'.
std::string format(const QueryResult& result, Format fmt);

// How table and md print one cell: integers plain, reals with ~4 significant
// digits (large ones without a fraction), NULL as "". Exposed for tests and for
// callers printing one value the same way.
std::string display_cell(const Cell& cell);

}  // namespace archbench::results
