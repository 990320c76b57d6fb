// The needle task's string, its suite options and its registry entry (see needle.hpp).
#include "tasks/needle.hpp"
#include "tasks/task_text.hpp"

#include <algorithm>
#include <cstdio>

namespace archbench::tasks {
namespace {

const std::vector<std::string> kForms = {"single", "multi-key", "multi-value", "multi-query"};
const std::vector<std::string> kContents = {kContentNames[0], kContentNames[1]};

class NeedleTask : public Task {
 public:
  explicit NeedleTask(NeedleSpec spec) : spec_(spec) {}
  const TaskEntry& entry() const override;
  std::string canonical() const override { return spec_.canonical(); }
  std::string label() const override { return std::string(form_name(spec_.form)) + "." + content_name(spec_.content); }
  // Single-needle rows go beside speed; low-freq first: it is the content a
  // trained RoPE model can match on, so it says what the design can still use.
  int headline() const override {
    if (spec_.form != NeedleForm::single) return 0;
    return spec_.content == Content::low_freq ? 2 : 1;
  }
  std::string cell_token(double depth_percent) const override { return ".cell-d" + real_token(depth_percent); }
  TaskOutcome run(const QkvLayout& layout, uint64_t seed, const RunVariant& run) const override {
    return run_needle(spec_, layout, seed, run);
  }

 private:
  NeedleSpec spec_;
};

TaskPtr parse(const std::string& text) { return std::make_shared<NeedleTask>(parse_needle(text)); }

// One task per form x content; the other options apply to all of them.
std::vector<TaskPtr> expand(const TaskOptions& options) {
  NeedleSpec base;
  base.trials = option_int(options, "trials", 1, 100000, base.trials);
  base.beta = option_real(options, "beta", 0, 1000, base.beta);
  base.count = option_int(options, "count", 1, 64, base.count);
  base.depth_step = option_int(options, "depth_step", 1, 100, base.depth_step);
  std::vector<TaskPtr> out;
  for (const std::string& form : option_choices(options, "form", kForms, {"single"}))
    for (const std::string& content : option_choices(options, "content", kContents, {"spread"})) {
      NeedleSpec spec = base;
      spec.form = NeedleForm(std::find(kForms.begin(), kForms.end(), form) - kForms.begin());
      spec.content = parse_content(content);
      out.push_back(std::make_shared<NeedleTask>(spec));
    }
  return out;
}

std::string depth_label(double depth_percent) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f%%", depth_percent);
  return text;
}

}  // namespace

const TaskEntry& needle_entry() {
  static const TaskEntry entry = {
      /* .name = */ "needle",
      /* .contract = */ "mixer.qkv/1",
      /* .axis = */ "depth",
      /* .summary = */ "needle in a haystack: context x depth, single/multi-key/multi-value/multi-query",
      /* .options = */ {"form", "content", "trials", "beta", "count", "depth_step"},
      /* .headline_rows = */ true,
      /* .parse = */ parse,
      /* .expand = */ expand,
      /* .plot = */ PlotKind::heatmap,
      /* .plot_axis = */ "needle depth (0% = start of the haystack)",
      /* .coordinate_label = */ depth_label,
  };
  return entry;
}

const TaskEntry& NeedleTask::entry() const { return needle_entry(); }

const char* form_name(NeedleForm form) { return kForms[size_t(form)].c_str(); }

std::string NeedleSpec::canonical() const {
  std::string text = std::string("needle.") + form_name(form) + "." + content_name(content) + ".beta" +
                     real_token(beta) + ".t" + std::to_string(trials);
  if (form != NeedleForm::single) text += ".k" + std::to_string(count);
  return text + ".ds" + std::to_string(depth_step);
}

std::vector<double> NeedleSpec::depths_percent() const {
  std::vector<double> out;
  for (int64_t d = 0; d <= 100; d += depth_step) out.push_back(double(d));
  if (out.back() != 100) out.push_back(100);
  return out;
}

NeedleSpec parse_needle(const std::string& text) {
  const std::vector<std::string> tokens = task_tokens(text);
  if (tokens.empty() || tokens[0] != "needle")
    throw std::invalid_argument("task '" + text + "': expected it to start with needle");
  NeedleSpec spec;
  std::string cell;  // the cell token, checked once the row's depths are known
  for (size_t i = 1; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    std::string rest;
    if (auto f = std::find(kForms.begin(), kForms.end(), token); f != kForms.end()) {
      spec.form = NeedleForm(f - kForms.begin());
    } else if (std::find(kContents.begin(), kContents.end(), token) != kContents.end()) {
      spec.content = parse_content(token);
    } else if (token_has_key(token, "beta", rest)) {
      spec.beta = token_real(token, rest);
      if (spec.beta <= 0 || spec.beta > 1000)
        throw std::invalid_argument("task token '" + token + "': expected beta in (0, 1000]");
    } else if (token_has_key(token, "t", rest)) {
      spec.trials = token_int(token, rest, 1, 100000);
    } else if (token_has_key(token, "k", rest)) {
      spec.count = token_int(token, rest, 1, 64);
    } else if (token_has_key(token, "ds", rest)) {
      spec.depth_step = token_int(token, rest, 1, 100);
    } else if (token_has_key(token, "cell-", rest)) {
      cell = token;  // one cell of the row: the row is what runs
    } else {
      throw std::invalid_argument("task token '" + token + "' in '" + text +
                                  "': expected single|multi-key|multi-value|multi-query, spread|low-freq, "
                                  "beta<B>, t<trials>, k<count> or ds<depth step %>");
    }
  }
  // A cell must be one of the row's: a replayed string names what it measured.
  if (!cell.empty()) {
    const std::vector<double> depths = spec.depths_percent();
    std::string rest;
    const bool depth_token = token_has_key(cell, "cell-d", rest);
    if (!depth_token || std::find(depths.begin(), depths.end(), token_real(cell, rest)) == depths.end())
      throw std::invalid_argument("task token '" + cell + "': expected cell-d<depth> with a depth of this row (0, " +
                                  std::to_string(spec.depth_step) + ", ... 100 %)");
  }
  return spec;
}

}  // namespace archbench::tasks
