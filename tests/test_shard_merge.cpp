// Many machines (issue 19): `run --shard` splits a plan deterministically and
// by estimated cost, the shards together are the plan once, and `archbench
// merge` folds their databases into one without touching them: idempotent,
// in any order the same leaderboards byte for byte, newer schemas refused,
// older ones migrated in a private copy.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness/errors.hpp"
#include "harness/shard.hpp"
#include "results/format.hpp"
#include "results/migrations.hpp"
#include "results/store.hpp"
#include "test_support.hpp"

using archbench::assign_shards;
using archbench::InputError;
using archbench::parse_shard;
using archbench::Shard;
using archbench::results::Store;
using test_support::run_cli;
using test_support::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kSuite = std::string(ARCHBENCH_TEST_DATA) + "/many_machines.toml";

auto environment(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const char* name) -> const char* {
    const auto it = values.find(name);
    return it == values.end() ? nullptr : it->second.c_str();
  };
}

Shard parsed(const std::string& text, std::map<std::string, std::string> values = {}) {
  return parse_shard(text, environment(std::move(values)));
}

std::string refusal(const std::string& text, std::map<std::string, std::string> values = {}) {
  try {
    parsed(text, std::move(values));
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

// The plan lines of `run --dry-run` (canonical string, backend, suite).
std::vector<std::string> plan_lines(const std::string& arguments) {
  const auto result = run_cli("run --dry-run --backend cpu " + arguments);
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  std::vector<std::string> lines;
  std::istringstream in(result.output);
  for (std::string line; std::getline(in, line);)
    if (line.find("  cpu  ") != std::string::npos) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::set<std::string> files_in(const fs::path& folder) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.insert(entry.path().filename().string());
  return names;
}

void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

std::vector<std::string> column(const std::string& db, const std::string& sql) {
  std::vector<std::string> values;
  for (const auto& row : Store::open_readonly(db).query(sql).rows)
    values.push_back(archbench::results::display_cell(row[0]));
  return values;
}

std::string output_of(const std::string& arguments) {
  const auto result = run_cli(arguments);
  INFO(arguments << "\n" << result.output);
  REQUIRE(result.exit_code == 0);
  return result.output;
}

// Runs shard i of n of the tiny suite into `db`.
void run_shard(const std::string& db, int i, int n) {
  output_of("run --backend cpu --suite " + kSuite + " --shard " + std::to_string(i) + "/" + std::to_string(n) +
            " --db " + db);
}

}  // namespace

TEST_CASE("run --shard takes I/N, or a Slurm array task, or a Kubernetes completion index", "[shard]") {
  CHECK(parsed("0/4").index == 0);
  CHECK(parsed("3/4").index == 3);
  CHECK(parsed("3/4").count == 4);
  CHECK(parsed("0/1").whole());
  CHECK(parsed("2/5").label() == "2/5");
  for (const char* bad : {"4/4", "1/0", "-1/4", "a/b", "1/4x", "", "1", " 1/4", "1/+4", "1//4", "9999999999/2"})
    CHECK_THAT(refusal(bad), Catch::StartsWith("--shard") && Catch::Contains("expected I/N with 0 <= I < N"));

  // --array=0-3, 4-7 and 0-6:2 all number their four tasks 0..3.
  CHECK(parsed("slurm", {{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}).index == 2);
  CHECK(parsed("slurm", {{"SLURM_ARRAY_TASK_ID", "5"}, {"SLURM_ARRAY_TASK_COUNT", "4"}, {"SLURM_ARRAY_TASK_MIN", "4"}})
            .index == 1);
  const Shard stepped = parsed("slurm", {{"SLURM_ARRAY_TASK_ID", "6"}, {"SLURM_ARRAY_TASK_COUNT", "4"},
                                         {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_STEP", "2"}});
  CHECK((stepped.index == 3 && stepped.count == 4));
  CHECK_THAT(refusal("slurm"), Catch::Contains("SLURM_ARRAY_TASK_ID is not set"));
  CHECK_THAT(refusal("slurm", {{"SLURM_ARRAY_TASK_ID", "x"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}),
             Catch::Contains("SLURM_ARRAY_TASK_ID='x' is not a whole number"));
  CHECK_THAT(refusal("slurm", {{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}),
             Catch::Contains("expected I/N"));

  const Shard k8s = parsed("k8s", {{"JOB_COMPLETION_INDEX", "2"}, {"ARCHBENCH_SHARD_COUNT", "3"}});
  CHECK((k8s.index == 2 && k8s.count == 3));
  CHECK_THAT(refusal("k8s", {{"JOB_COMPLETION_INDEX", "2"}}), Catch::Contains("ARCHBENCH_SHARD_COUNT is not set"));
  CHECK_THAT(refusal("k8s", {{"JOB_COMPLETION_INDEX", "3"}, {"ARCHBENCH_SHARD_COUNT", "3"}}),
             Catch::Contains("expected I/N"));
}

TEST_CASE("shards are balanced by cost, and the split depends only on the rows, not their order", "[shard]") {
  // One row costs as much as the ten others: by count one shard would get 6 rows
  // and 15 units; by cost the big row goes alone.
  std::vector<std::string> keys;
  std::vector<double> costs;
  for (int i = 0; i < 11; ++i) {
    keys.push_back("row" + std::to_string(i));
    costs.push_back(i == 7 ? 10.0 : 1.0);
  }
  const std::vector<int> shard = assign_shards(keys, costs, 2);
  double load[2] = {0, 0};
  for (size_t i = 0; i < keys.size(); ++i) load[shard[i]] += costs[i];
  CHECK(load[0] == 10.0);
  CHECK(load[1] == 10.0);

  // The same rows in reverse order land in the same shards.
  std::vector<std::string> reversed_keys(keys.rbegin(), keys.rend());
  std::vector<double> reversed_costs(costs.rbegin(), costs.rend());
  const std::vector<int> again = assign_shards(reversed_keys, reversed_costs, 2);
  for (size_t i = 0; i < keys.size(); ++i) CHECK(again[keys.size() - 1 - i] == shard[i]);
}

TEST_CASE("the shards of a plan are disjoint and together the plan - whatever order plugins load in", "[shard][cli]") {
  const std::string mocks = std::string(ARCHBENCH_MOCK_DIR);
  // norm/dyt (new_norm) joins the suite's norm/* rows; mock/copy comes from --problem.
  const std::string dirs[2] = {"--plugin-dir " + mocks + "/new_norm --plugin-dir " + mocks + "/misbehaving",
                               "--plugin-dir " + mocks + "/misbehaving --plugin-dir " + mocks + "/new_norm"};
  const std::string plan = "--suite " + kSuite + " --problem mock/copy:n64 --problem mock/copy:n128 ";
  const std::vector<std::string> whole = plan_lines(plan + dirs[0]);
  REQUIRE(whole.size() > 8);
  CHECK(plan_lines(plan + dirs[1]) == whole);
  std::vector<std::string> together;
  for (int i = 0; i < 4; ++i) {
    const std::vector<std::string> part = plan_lines(plan + dirs[0] + " --shard " + std::to_string(i) + "/4");
    CHECK(!part.empty());
    CHECK(plan_lines(plan + dirs[1] + " --shard " + std::to_string(i) + "/4") == part);  // load order changes nothing
    together.insert(together.end(), part.begin(), part.end());
  }
  std::sort(together.begin(), together.end());
  CHECK(together == whole);  // each row once: none missing, none twice
}

TEST_CASE("merge: shards fold into one plan - idempotent - same leaderboards in any order - inputs untouched", "[merge][cli]") {
  TempDir tmp;
  const fs::path inputs = tmp.path / "in";
  fs::create_directory(inputs);
  const std::string s0 = (inputs / "s0.db").string(), s1 = (inputs / "s1.db").string();
  const std::string s2 = (inputs / "s2.db").string();
  run_shard(s0, 0, 3);
  run_shard(s1, 1, 3);
  run_shard(s2, 2, 3);
  const std::set<std::string> files = files_in(inputs);
  std::map<std::string, std::string> before;
  for (const std::string& name : files) before[name] = bytes_of((inputs / name).string());

  const std::string a = tmp.file("a.db"), b = tmp.file("b.db");
  CHECK_THAT(output_of("merge " + a + " " + s0 + " " + s1 + " " + s2),
             Catch::Contains("3 runs added, 0 updated, 0 already present"));
  output_of("merge " + b + " " + s2 + " " + s0 + " " + s1);
  const std::vector<std::string> boards = {"leaderboard --format csv", "leaderboard", "leaderboard --hosts",
                                           "leaderboard --kind norm --format json", "runs --format csv"};
  std::vector<std::string> first;
  for (const std::string& board : boards) {
    const std::string shown = output_of(board + " --db " + a);
    CHECK(shown == output_of(board + " --db " + b));
    first.push_back(shown);
  }
  // Again, the other way round, and one input twice: nothing is added.
  CHECK_THAT(output_of("merge " + a + " " + s1 + " " + s0 + " " + s2 + " " + s1),
             Catch::Contains("0 runs added, 0 updated, 4 already present; 0 results"));  // s1 counted twice
  for (size_t i = 0; i < boards.size(); ++i) CHECK(output_of(boards[i] + " --db " + a) == first[i]);

  // The merged plan is the unsharded plan: every row once.
  std::vector<std::string> merged = column(a, "SELECT p.canonical || '  ' || r.backend || '  ' || r.suite FROM results r"
                                              " JOIN problems p ON p.id = r.problem_id ORDER BY 1");
  const std::vector<std::string> whole = plan_lines("--suite " + kSuite);
  CHECK(merged == whole);
  CHECK(column(a, "SELECT group_concat(shard, ' ') FROM (SELECT shard FROM runs ORDER BY shard)") ==
        std::vector<std::string>{"0/3 1/3 2/3"});
  CHECK(column(a, "SELECT count(DISTINCT uid) FROM runs") == std::vector<std::string>{"3"});
  CHECK(column(a, "SELECT count(*) FROM samples") == column(a, "SELECT sum(repetitions) FROM results"));

  // The inputs: the same files, byte for byte (no -wal, -shm or journal added).
  CHECK(files_in(inputs) == files);
  for (const auto& [name, bytes] : before) CHECK(bytes_of((inputs / name).string()) == bytes);
}

TEST_CASE("merge ranks machines side by side and filters by host", "[merge][cli]") {
  TempDir tmp;
  const std::string here = tmp.file("here.db"), there = tmp.file("there.db"), out = tmp.file("out.db");
  run_shard(here, 0, 1);
  // Another machine's run of the same plan: a copy with its own host and uid.
  fs::copy_file(here, there);
  raw_exec(there, "UPDATE runs SET host = 'node-b', cpu_model = 'Other CPU', uid = 'other-machine'");
  output_of("merge " + out + " " + here + " " + there);
  const std::string hosts = output_of("leaderboard --hosts --kind ffn --format csv --db " + out);
  CHECK_THAT(hosts, Catch::StartsWith("kind,backend,shape,rank,design,host,device,"));
  CHECK_THAT(hosts, Catch::Contains(",ffn/swiglu,node-b,Other CPU,"));
  size_t rows = 0;  // csv rows; warnings (noisy timings) come on stderr, which run_cli merges
  std::istringstream lines(hosts);
  for (std::string line; std::getline(lines, line);) rows += line.rfind("ffn,", 0) == 0;
  CHECK(rows == 2 * 3);  // each of the 3 FFNs on both machines
  const std::string only_b = output_of("leaderboard --host node-b --kind ffn --format csv --db " + out);
  CHECK_THAT(only_b, Catch::Contains("ffn/swiglu"));
  CHECK(only_b == output_of("leaderboard --device 'Other*' --kind ffn --format csv --db " + out));
  CHECK(output_of("runs --host node-b --format csv --db " + out).find(",node-b,") != std::string::npos);
  CHECK_THAT(output_of("runs --host nowhere --format csv --db " + out), !Catch::Contains("node-b"));
}

TEST_CASE("merge refuses a newer schema and bad arguments in one line - migrates an older input in a copy", "[merge][cli]") {
  TempDir tmp;
  const std::string newer = tmp.file("newer.db"), out = tmp.file("out.db");
  run_shard(newer, 0, 2);
  const int version = archbench::results::latest_schema_version() + 1;
  raw_exec(newer, "PRAGMA journal_mode = DELETE; PRAGMA user_version = " + std::to_string(version));
  const std::string bytes = bytes_of(newer);
  const auto refused = run_cli("merge " + out + " " + newer);
  CHECK(refused.exit_code == 2);
  CHECK(refused.output == "archbench: " + newer + ": database schema version " + std::to_string(version) +
                              " is newer than this archbench (" + std::to_string(version - 1) +
                              "); upgrade archbench to merge it\n");
  CHECK_FALSE(fs::exists(out));  // refused before OUT was opened
  CHECK(bytes_of(newer) == bytes);

  for (const std::string& args : {std::string("merge ") + out, "merge " + out + " " + tmp.file("missing.db"),
                                  "merge " + newer + " " + newer}) {
    const auto bad = run_cli(args);
    INFO(args << "\n" << bad.output);
    CHECK(bad.exit_code == 2);
    CHECK(std::count(bad.output.begin(), bad.output.end(), '\n') == 1);
  }

  // The v4 fixture: migrated in a private copy, its runs keep stable uids.
  const std::string old = tmp.file("v4.db");
  fs::copy_file(std::string(ARCHBENCH_TEST_DATA) + "/schema_v4.db", old);
  const std::string old_bytes = bytes_of(old);
  const std::string added = output_of("merge " + out + " " + old);
  CHECK_THAT(output_of("merge " + out + " " + old), Catch::Contains("0 runs added"));
  CHECK(bytes_of(old) == old_bytes);
  CHECK(files_in(tmp.path).count("v4.db-wal") == 0);
  CHECK(column(out, "SELECT count(*) FROM results") != std::vector<std::string>{"0"});
  CHECK(Store::open_readonly(out).schema_version() == archbench::results::latest_schema_version());
  CHECK_THAT(added, Catch::Contains("runs added"));
}

TEST_CASE("schema v8 gives every run a uid: older runs a name-based one that every copy agrees on", "[results][merge]") {
  TempDir tmp;
  const std::string one = tmp.file("one.db"), two = tmp.file("two.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(one.c_str(), &db) == SQLITE_OK);
    archbench::results::migrate(db, one, archbench::results::migrations().first(7));
    sqlite3_close(db);
  }
  raw_exec(one, "INSERT INTO runs (started_at, status, host, pid, command_line) VALUES"
                " ('2026-01-01T00:00:00.000Z', 'completed', 'a', 10, 'archbench run'),"
                " ('2026-01-01T00:00:00.000Z', 'completed', 'a', 11, 'archbench run')");
  fs::copy_file(one, two);
  std::vector<std::string> uids[2];
  int i = 0;
  for (const std::string& path : {one, two}) {
    Store store = Store::open_readwrite(path);
    for (const auto& row : store.query("SELECT uid FROM runs ORDER BY id").rows)
      uids[i].push_back(archbench::results::display_cell(row[0]));
    ++i;
  }
  REQUIRE(uids[0].size() == 2);
  CHECK(uids[0] == uids[1]);          // both copies, migrated apart, agree
  CHECK(uids[0][0] != uids[0][1]);    // runs that differ only in pid differ
  CHECK(uids[0][0].size() == 36);     // a UUID
  Store store = Store::open_readwrite(one);
  const int64_t fresh = store.begin_run({});
  const std::string uid = archbench::results::display_cell(
      store.query("SELECT uid FROM runs WHERE id = ?1", {archbench::results::Cell{fresh}}).rows.at(0).at(0));
  CHECK(uid.size() == 36);
  CHECK(uid[14] == '4');  // random (version 4)
  // uids are unique in a database (merge looks runs up by them).
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(one.c_str(), &db) == SQLITE_OK);
  const std::string duplicate = "UPDATE runs SET uid = '" + uids[0][0] + "' WHERE id = " + std::to_string(fresh);
  CHECK(sqlite3_exec(db, duplicate.c_str(), nullptr, nullptr, nullptr) == SQLITE_CONSTRAINT);
  sqlite3_close(db);
}
