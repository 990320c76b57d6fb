// The context block of json and jsonl output (as Google Benchmark's "context"):
// which runs the rows come from and what a reader needs to judge them: host,
// CPU, Vulkan device, git sha, build, threads, --quick, the machine's load when
// each run started and the calibration it was measured against.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/store.hpp"

namespace archbench::results {

// {"runs": [{"id", "uid", "started_at", "status", "host", "cpu_model", "vulkan_device",
//  "git_sha", "build_type", "threads", "quick", "load_average", "busy_processes",
//  "calibration"}...]} for the given run ids (unknown ids are left out).
nlohmann::ordered_json run_context(const Store& store, std::vector<int64_t> run_ids);

// The run ids a result table's `run_id` column names (none without that column).
std::vector<int64_t> run_ids_of(const QueryResult& result, const std::string& column = "run_id");

// json: {"context": context, "rows": [...]}; jsonl: the context as the first line
// ({"context": ...}), then one row per line. Other formats: as format() prints them.
std::string format_with_context(const QueryResult& result, const nlohmann::ordered_json& context, bool lines);

}  // namespace archbench::results
