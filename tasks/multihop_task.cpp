// The multihop task's string, its suite options and its registry entry (see multihop.hpp).
#include "tasks/multihop.hpp"
#include "tasks/task_text.hpp"

#include <algorithm>
#include <sstream>

namespace archbench::tasks {
namespace {

const std::vector<std::string> kContents = {kContentNames[0], kContentNames[1]};

class MultihopTask : public Task {
 public:
  explicit MultihopTask(MultihopSpec spec) : spec_(std::move(spec)) {}
  const TaskEntry& entry() const override;
  std::string canonical() const override { return spec_.canonical(); }
  std::string label() const override { return content_name(spec_.content); }
  int headline() const override { return 0; }
  std::string cell_token(double hops) const override { return ".cell-h" + std::to_string(int64_t(hops)); }
  TaskOutcome run(const QkvLayout& layout, uint64_t seed, const RunVariant& run) const override {
    return run_multihop(spec_, layout, seed, run);
  }

 private:
  MultihopSpec spec_;
};

TaskPtr parse(const std::string& text) { return std::make_shared<MultihopTask>(parse_multihop(text)); }

// One task per content; the other options apply to all of them.
std::vector<TaskPtr> expand(const TaskOptions& options) {
  MultihopSpec base;
  base.trials = option_int(options, "trials", 1, 100000, base.trials);
  base.beta = option_real(options, "beta", 0, 1000, base.beta);
  base.hops = option_ints(options, "hops", 1, 64, base.hops);
  std::vector<TaskPtr> out;
  for (const std::string& content : option_choices(options, "content", kContents, {"spread"})) {
    MultihopSpec spec = base;
    spec.content = parse_content(content);
    out.push_back(std::make_shared<MultihopTask>(spec));
  }
  return out;
}

std::string hops_label(double hops) {
  return std::to_string(int64_t(hops)) + (hops == 1 ? " hop" : " hops");
}

}  // namespace

const TaskEntry& multihop_entry() {
  static const TaskEntry entry = {
      /* .name = */ "multihop",
      /* .contract = */ "mixer.qkv/1",
      /* .axis = */ "hops",
      /* .summary = */ "multi-hop variable tracking: context x hops",
      /* .options = */ {"content", "trials", "beta", "hops"},
      /* .headline_rows = */ false,
      /* .parse = */ parse,
      /* .expand = */ expand,
      /* .plot = */ PlotKind::lines,
      /* .plot_axis = */ "chains followed to the end",
      /* .coordinate_label = */ hops_label,
  };
  return entry;
}

const TaskEntry& MultihopTask::entry() const { return multihop_entry(); }

std::string MultihopSpec::canonical() const {
  std::string text = std::string("multihop.") + content_name(content) + ".beta" + real_token(beta) + ".t" +
                     std::to_string(trials) + ".hops";
  for (size_t i = 0; i < hops.size(); ++i) {
    if (i) text += '-';
    text += std::to_string(hops[i]);
  }
  return text;
}

int64_t MultihopSpec::max_hops() const {
  int64_t most = 0;
  for (int64_t h : hops) most = std::max(most, h);
  return most;
}

MultihopSpec parse_multihop(const std::string& text) {
  const std::vector<std::string> tokens = task_tokens(text);
  if (tokens.empty() || tokens[0] != "multihop")
    throw std::invalid_argument("task '" + text + "': expected it to start with multihop");
  MultihopSpec spec;
  std::string cell;  // the cell token, checked once the row's hop counts are known
  for (size_t i = 1; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    std::string rest;
    if (std::find(kContents.begin(), kContents.end(), token) != kContents.end()) {
      spec.content = parse_content(token);
    } else if (token_has_key(token, "beta", rest)) {
      spec.beta = token_real(token, rest);
      if (spec.beta <= 0 || spec.beta > 1000)
        throw std::invalid_argument("task token '" + token + "': expected beta in (0, 1000]");
    } else if (token_has_key(token, "t", rest)) {
      spec.trials = token_int(token, rest, 1, 100000);
    } else if (token_has_key(token, "hops", rest)) {
      spec.hops.clear();
      std::stringstream list(rest);
      for (std::string h; std::getline(list, h, '-');) spec.hops.push_back(token_int(token, h, 1, 64));
    } else if (token_has_key(token, "cell-", rest)) {
      cell = token;  // one cell of the row: the row is what runs
    } else {
      throw std::invalid_argument("task token '" + token + "' in '" + text +
                                  "': expected spread|low-freq, beta<B>, t<trials> or hops<h1>-<h2>-...");
    }
  }
  // A cell must be one of the row's: a replayed string names what it measured.
  if (!cell.empty()) {
    std::string rest;
    const bool hops_token = token_has_key(cell, "cell-h", rest);
    if (!hops_token || std::find(spec.hops.begin(), spec.hops.end(), token_int(cell, rest, 1, 64)) == spec.hops.end())
      throw std::invalid_argument("task token '" + cell + "': expected cell-h<hops> with a hop count of this row");
  }
  return spec;
}

}  // namespace archbench::tasks
