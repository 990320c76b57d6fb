// Task strings: printing and parsing (see task_spec.hpp).
#include "suites/tasks/task_spec.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace archbench::tasks {
namespace {

constexpr const char* kForms[] = {"single", "multi-key", "multi-value", "multi-query"};
constexpr const char* kContents[] = {"spread", "low-freq"};

std::string real(double value) {
  std::ostringstream out;
  out << value;
  std::string text = out.str();
  for (char& c : text)
    if (c == '.') c = 'p';
  return text;
}

double parse_real(const std::string& token, const std::string& text) {
  std::string number = text;
  for (char& c : number)
    if (c == 'p') c = '.';
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != number.size() || !std::isfinite(value))
    throw std::invalid_argument("task token '" + token + "': expected a number after its key");
  return value;
}

int64_t parse_int(const std::string& token, const std::string& text, int64_t low, int64_t high) {
  const double value = parse_real(token, text);
  if (value != std::floor(value) || value < double(low) || value > double(high))
    throw std::invalid_argument("task token '" + token + "': expected an integer in [" +
                                std::to_string(low) + ", " + std::to_string(high) + "]");
  return int64_t(value);
}

bool starts(const std::string& token, const char* key, std::string& rest) {
  const std::string k = key;
  if (token.size() <= k.size() || token.compare(0, k.size(), k) != 0) return false;
  rest = token.substr(k.size());
  return true;
}

}  // namespace

const char* task_kind_name(TaskKind kind) { return kind == TaskKind::needle ? "needle" : "multihop"; }
const char* form_name(NeedleForm form) { return kForms[int(form)]; }
const char* content_name(Content content) { return kContents[int(content)]; }

std::string TaskSpec::canonical() const {
  std::string text = task_kind_name(kind);
  if (kind == TaskKind::needle) text += std::string(".") + form_name(form);
  text += std::string(".") + content_name(content) + ".beta" + real(beta) + ".t" + std::to_string(trials);
  if (kind == TaskKind::needle) {
    if (form != NeedleForm::single) text += ".k" + std::to_string(count);
    text += ".ds" + std::to_string(depth_step);
  } else {
    text += ".hops";
    for (size_t i = 0; i < hops.size(); ++i) {
      if (i) text += '-';
      text += std::to_string(hops[i]);
    }
  }
  return text;
}

std::vector<double> TaskSpec::depths_percent() const {
  std::vector<double> out;
  for (int64_t d = 0; d <= 100; d += depth_step) out.push_back(double(d));
  if (out.back() != 100) out.push_back(100);
  return out;
}

int64_t TaskSpec::max_hops() const {
  int64_t most = 0;
  for (int64_t h : hops) most = std::max(most, h);
  return most;
}

std::string needle_cell_token(double depth_percent) { return ".cell-d" + real(depth_percent); }
std::string multihop_cell_token(int64_t hops) { return ".cell-h" + std::to_string(hops); }

TaskSpec parse_task(const std::string& text) {
  std::vector<std::string> tokens;
  std::stringstream in(text);
  for (std::string token; std::getline(in, token, '.');) tokens.push_back(token);
  if (tokens.empty() || (tokens[0] != "needle" && tokens[0] != "multihop"))
    throw std::invalid_argument("task '" + text + "': expected it to start with needle or multihop");
  TaskSpec spec;
  spec.kind = tokens[0] == "needle" ? TaskKind::needle : TaskKind::multihop;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    std::string rest;
    bool known = false;
    for (int f = 0; f < 4; ++f)
      if (token == kForms[f] && spec.kind == TaskKind::needle) spec.form = NeedleForm(f), known = true;
    for (int c = 0; c < 2; ++c)
      if (token == kContents[c]) spec.content = Content(c), known = true;
    if (known) continue;
    if (starts(token, "beta", rest)) {
      spec.beta = parse_real(token, rest);
      if (spec.beta <= 0 || spec.beta > 1000)
        throw std::invalid_argument("task token '" + token + "': expected beta in (0, 1000]");
    } else if (starts(token, "t", rest)) {
      spec.trials = parse_int(token, rest, 1, 100000);
    } else if (starts(token, "k", rest) && spec.kind == TaskKind::needle) {
      spec.count = parse_int(token, rest, 1, 64);
    } else if (starts(token, "ds", rest) && spec.kind == TaskKind::needle) {
      spec.depth_step = parse_int(token, rest, 1, 100);
    } else if (starts(token, "hops", rest) && spec.kind == TaskKind::multihop) {
      spec.hops.clear();
      std::stringstream list(rest);
      for (std::string h; std::getline(list, h, '-');) spec.hops.push_back(parse_int(token, h, 1, 64));
    } else if (starts(token, "cell-", rest)) {
      // one cell of the row: the row is what runs
    } else {
      throw std::invalid_argument(
          "task token '" + token + "' in '" + text + "': expected " +
          (spec.kind == TaskKind::needle
               ? "single|multi-key|multi-value|multi-query, spread|low-freq, beta<B>, t<trials>, k<count> or ds<depth step %>"
               : "spread|low-freq, beta<B>, t<trials> or hops<h1>-<h2>-..."));
    }
  }
  return spec;
}

}  // namespace archbench::tasks
