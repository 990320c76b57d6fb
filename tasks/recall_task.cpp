// The recall task's string, its suite options and its registry entry (see recall.hpp).
#include "tasks/recall.hpp"
#include "tasks/task_text.hpp"

#include <algorithm>
#include <sstream>

namespace archbench::tasks {
namespace {

const std::vector<std::string> kContents = {kContentNames[0], kContentNames[1]};
const std::vector<std::string> kFillers = {"noise", "blank"};
constexpr int64_t kMostPairs = 65536;

class RecallTask : public Task {
 public:
  explicit RecallTask(RecallSpec spec) : spec_(std::move(spec)) {}
  const TaskEntry& entry() const override;
  std::string canonical() const override { return spec_.canonical(); }
  std::string label() const override { return std::string(content_name(spec_.content)) + "." + filler_name(spec_.filler); }
  int headline() const override { return 0; }
  std::string cell_token(double pairs) const override { return ".cell-n" + std::to_string(int64_t(pairs)); }
  TaskOutcome run(const QkvLayout& layout, uint64_t seed, const RunVariant& run) const override {
    return run_recall(spec_, layout, seed, run);
  }

 private:
  RecallSpec spec_;
};

TaskPtr parse(const std::string& text) { return std::make_shared<RecallTask>(parse_recall(text)); }

// One task per content x filler; the other options apply to all of them.
std::vector<TaskPtr> expand(const TaskOptions& options) {
  RecallSpec base;
  base.trials = option_int(options, "trials", 1, 100000, base.trials);
  base.beta = option_real(options, "beta", 0, 1000, base.beta);
  base.pairs = option_ints(options, "pairs", 1, kMostPairs, base.pairs);
  std::vector<TaskPtr> out;
  for (const std::string& content : option_choices(options, "content", kContents, {"spread"}))
    for (const std::string& filler : option_choices(options, "filler", kFillers, {"noise"})) {
      RecallSpec spec = base;
      spec.content = parse_content(content);
      spec.filler = Filler(std::find(kFillers.begin(), kFillers.end(), filler) - kFillers.begin());
      out.push_back(std::make_shared<RecallTask>(spec));
    }
  return out;
}

std::string pairs_label(double pairs) {
  return std::to_string(int64_t(pairs)) + (pairs == 1 ? " pair" : " pairs");
}

}  // namespace

const TaskEntry& recall_entry() {
  static const TaskEntry entry = {
      /* .name = */ "recall",
      /* .contract = */ "mixer.qkv/1",
      /* .axis = */ "pairs",
      /* .summary = */ "associative recall (MQAR): context x key-value pairs, all pairs queried",
      /* .options = */ {"content", "filler", "trials", "beta", "pairs"},
      /* .headline_rows = */ false,
      /* .parse = */ parse,
      /* .expand = */ expand,
      /* .plot = */ PlotKind::heatmap,
      /* .plot_axis = */ "key-value pairs held (all queried)",
      /* .coordinate_label = */ pairs_label,
  };
  return entry;
}

const TaskEntry& RecallTask::entry() const { return recall_entry(); }

const char* filler_name(Filler filler) { return kFillers[size_t(filler)].c_str(); }

std::string RecallSpec::canonical() const {
  std::string text = std::string("recall.") + content_name(content) + "." + filler_name(filler) + ".beta" +
                     real_token(beta) + ".t" + std::to_string(trials) + ".n";
  for (size_t i = 0; i < pairs.size(); ++i) text += (i ? "-" : "") + std::to_string(pairs[i]);
  return text;
}

RecallSpec parse_recall(const std::string& text) {
  const std::vector<std::string> tokens = task_tokens(text);
  if (tokens.empty() || tokens[0] != "recall")
    throw std::invalid_argument("task '" + text + "': expected it to start with recall");
  RecallSpec spec;
  std::string cell;  // the cell token, checked once the row's pair counts are known
  for (size_t i = 1; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    std::string rest;
    if (std::find(kContents.begin(), kContents.end(), token) != kContents.end()) {
      spec.content = parse_content(token);
    } else if (auto f = std::find(kFillers.begin(), kFillers.end(), token); f != kFillers.end()) {
      spec.filler = Filler(f - kFillers.begin());
    } else if (token_has_key(token, "beta", rest)) {
      spec.beta = token_real(token, rest);
      if (spec.beta <= 0 || spec.beta > 1000)
        throw std::invalid_argument("task token '" + token + "': expected beta in (0, 1000]");
    } else if (token_has_key(token, "t", rest)) {
      spec.trials = token_int(token, rest, 1, 100000);
    } else if (token_has_key(token, "n", rest)) {
      spec.pairs.clear();
      std::stringstream list(rest);
      for (std::string n; std::getline(list, n, '-');) spec.pairs.push_back(token_int(token, n, 1, kMostPairs));
    } else if (token_has_key(token, "cell-", rest)) {
      cell = token;  // one cell of the row: the row is what runs
    } else {
      throw std::invalid_argument("task token '" + token + "' in '" + text +
                                  "': expected spread|low-freq, noise|blank, beta<B>, t<trials> or n<n1>-<n2>-...");
    }
  }
  // A cell must be one of the row's: a replayed string names what it measured.
  if (!cell.empty()) {
    std::string rest;
    const bool pairs_token = token_has_key(cell, "cell-n", rest);
    if (!pairs_token ||
        std::find(spec.pairs.begin(), spec.pairs.end(), token_int(cell, rest, 1, kMostPairs)) == spec.pairs.end())
      throw std::invalid_argument("task token '" + cell + "': expected cell-n<pairs> with a pair count of this row");
  }
  return spec;
}

}  // namespace archbench::tasks
