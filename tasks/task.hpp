// The accuracy tasks and their registry: what the harness and the CLI know of a
// task. A task is an entry here (its name, the contract it needs, the axis of its
// cells, how its strings parse and how a suite's [task] table expands into it);
// needle and multihop are two entries, each defined in its own file and listed
// once in registry.cpp. Nothing outside tasks/ switches on a task's name.
//
// A task string follows the problem string after '@', so a task row reads
//   attention/mha:prefill.b1.s4096.h2.hd64.vhd32...f32@needle.single.spread.beta32.t8.ds10
// and one cell of it appends the task's cell token (".cell-d30"): `archbench run
// --problem` accepts all three and replays the whole row (a row is one haystack
// per context; its cells are measured together).
#pragma once

#include "tasks/haystack.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace archbench::tasks {

// One cell of a task row: a point on the task's axis (a needle depth, a hop count).
struct Cell {
  double coordinate = 0;
  int64_t trials = 0, successes = 0;
  double chance = 0;  // the probability that a trial succeeds by guessing
  double accuracy() const { return trials ? double(successes) / double(trials) : 0.0; }
};

struct TaskOutcome {
  std::vector<Cell> cells;
  int64_t prefills = 0;  // variant runs it took
};

struct TaskEntry;

// One parsed task string: the options of one task, ready to run.
class Task {
 public:
  virtual ~Task() = default;
  virtual const TaskEntry& entry() const = 0;
  // The canonical task string; parses back to an equal task.
  virtual std::string canonical() const = 0;
  // A short label for leaderboards and plot titles ("single.low-freq").
  virtual std::string label() const = 0;
  // 0: the row is not shown beside speed in the perf leaderboard; above 0 it
  // may be, and a higher value is preferred over a lower one for a design.
  virtual int headline() const = 0;
  // Appended to the row's string to name one cell (".cell-d30").
  virtual std::string cell_token(double coordinate) const = 0;
  // Runs the row through a variant's real implementation (the mixer.qkv/1 form).
  // Throws std::invalid_argument, saying why, when the layout cannot host the task.
  virtual TaskOutcome run(const QkvLayout& layout, uint64_t seed, const RunVariant& run) const = 0;
};
using TaskPtr = std::shared_ptr<const Task>;

// A suite's [task] table beyond kind and contexts: each key's values in file
// order (a scalar is a list of one). Which keys a task takes is its own business.
using OptionValue = std::variant<int64_t, double, std::string>;
using TaskOptions = std::map<std::string, std::vector<OptionValue>>;

// A bad suite option: `key` lets the suite loader point at the value in the file.
struct OptionError : std::invalid_argument {
  OptionError(std::string bad_key, const std::string& what) : std::invalid_argument(what), key(std::move(bad_key)) {}
  std::string key;
};

// How `archbench plot <task>` draws one row group.
enum class PlotKind {
  heatmap,  // context x coordinate, coloured by accuracy
  lines,    // accuracy against context, one line per coordinate
};

struct TaskEntry {
  std::string name;      // first token of its strings; the stored kind and its view's name
  std::string contract;  // what it needs of a variant, e.g. "mixer.qkv/1"
  std::string axis;      // its cells' coordinate, a column of its view ("depth", "hops")
  std::string summary;   // one line for `archbench list tasks`
  std::vector<std::string> options;  // the keys a suite's [task] table may set
  bool headline_rows;                // some of its tasks have headline() > 0
  // A task string (canonical or partial; missing tokens keep defaults; a trailing
  // cell token is accepted and ignored). Throws std::invalid_argument naming the bad token.
  TaskPtr (*parse)(const std::string& text);
  // A suite's options -> the tasks of one entry (lists may form a grid). Throws OptionError.
  std::vector<TaskPtr> (*expand)(const TaskOptions& options);
  PlotKind plot;
  std::string plot_axis;                     // heatmap: the coordinate axis; lines: the accuracy axis
  std::string (*coordinate_label)(double);   // a tick or a line's name: "30%", "4 hops"
};

// Every registered task, in registry order.
const std::vector<const TaskEntry*>& task_entries();
// The entry called `name`, or nullptr.
const TaskEntry* find_task(const std::string& name);
// "needle or multihop": the names for error messages.
std::string task_names();
// The first entry with headline rows: the kind whose rows show beside speed in
// the perf leaderboard and name those columns ("" if no entry has any).
std::string headline_kind();

// Parses any registered task's string by its first token. Throws
// std::invalid_argument whose message names the bad token and what was expected.
TaskPtr parse_task(const std::string& text);

}  // namespace archbench::tasks
