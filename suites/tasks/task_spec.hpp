// What an accuracy task asks of a variant, and its canonical string.
//
//   needle.<form>.<content>.beta<B>.t<T>[.k<K>].ds<step>
//   multihop.<content>.beta<B>.t<T>.hops<h1>-<h2>-...
//
// It follows the problem string after '@', so a task row reads
//   attention/mha:prefill.b1.s4096.h2.hd64.vhd32...f32@needle.single.spread.beta32.t8.ds10
// and one cell of it appends ".cell-d30" (needle depth 30%) or ".cell-h4" (4 hops):
// `archbench run --problem` accepts all three and replays the whole row (a row is
// one haystack per context; its cells are measured together).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace archbench::tasks {

enum class TaskKind { needle, multihop };
// single: one needle; multi_key: plus `count` distractor keys at cosine 0.5-0.9
// to the needle's; multi_value: `count` values under one key, all to be
// recovered; multi_query: `count` needles, each asked for, all to be found.
enum class NeedleForm { single, multi_key, multi_value, multi_query };
// spread: keys over every dimension; low_freq: the needle's key and the query
// in the lowest-frequency rotary pairs (see haystack.hpp).
enum class Content { spread, low_freq };

struct TaskSpec {
  TaskKind kind = TaskKind::needle;
  NeedleForm form = NeedleForm::single;
  Content content = Content::spread;
  double beta = 32;          // the needle's logit q.k/sqrt(d) before positions
  int64_t trials = 8;        // per cell (rounded up so every head serves each cell alike)
  int64_t count = 4;         // K of the multi forms
  int64_t depth_step = 10;   // needle depths 0, step, ..., 100 percent
  std::vector<int64_t> hops = {1, 2, 4, 8};

  std::string canonical() const;
  std::vector<double> depths_percent() const;
  int64_t max_hops() const;
};

const char* task_kind_name(TaskKind kind);
const char* form_name(NeedleForm form);
const char* content_name(Content content);

// Parses a task string (canonical or partial: missing tokens keep defaults; a
// trailing cell token is accepted and ignored). Throws std::invalid_argument
// whose message names the bad token and what was expected.
TaskSpec parse_task(const std::string& text);

// Cell tokens: ".cell-d30" / ".cell-h4".
std::string needle_cell_token(double depth_percent);
std::string multihop_cell_token(int64_t hops);

}  // namespace archbench::tasks
