// The harness side of contract mixer.qkv/1 (include/archbench/contracts/
// mixer_qkv.h): the problem a task's prefill runs, made by the variant's own
// adapter, so neither the planner nor the task executor names a parameter.
#pragma once

#include "harness/problem.hpp"

#include <archbench/contracts/mixer_qkv.h>

#include <optional>
#include <string>

namespace archbench {

const ab_mixer_qkv* qkv_adapter(const ab_variant& variant);

struct ContextProblem {
  std::optional<Problem> problem;  // absent when the variant cannot run the task
  uint32_t context_param = 0;      // the schema index carrying the token count
  std::string why;                 // why not, "needs contract mixer.qkv/1" and the like
  bool crashed = false;            // the adapter crashed or hung in its child (plugin_calls.hpp): `why` says how
};

// `base` as one prefill over `tokens` tokens; tokens = 0 keeps the context
// `base` already has (a replayed row). Out-of-range results are input errors
// (InputError naming `where`), as for any problem.
ContextProblem problem_at_context(const Problem& base, int64_t tokens, const std::string& where);

}  // namespace archbench
