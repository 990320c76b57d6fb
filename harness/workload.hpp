// Setting a problem to a workload it was not written for: prefill N tokens, or
// decode one token at context C, for B sequences. Whole-model estimates
// (model_estimate.hpp) take a preset's parts, written with their widths only,
// and place each at the requested workload through the parameters' workload
// roles (AB_PARAM_FLAG_MODE / BATCH / CONTEXT, or ROWS), never by a parameter's
// name. A part too big for this machine is reduced along its REDUCIBLE counts.
#pragma once

#include "harness/problem.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace archbench {

struct Workload {
  enum class Mode { prefill, decode } mode = Mode::prefill;
  int64_t batch = 1;
  int64_t tokens = 512;  // prefill: the prompt's new tokens; decode: the context already held
};

const char* mode_name(Workload::Mode mode);

// `part` at `workload`, validated; or nullopt and `why` (a variant without
// workload roles, a value outside the schema, the variant's validate() refusing).
std::optional<Problem> at_workload(const Problem& part, const Workload& workload, std::string& why);

// The bytes one sequence holds between tokens at `problem`'s context: its decode
// form at batch 1 (the same context), summing its AB_TENSOR_STATE tensors (a KV
// cache, a recurrent state and conv window). nullopt for a variant without
// sequence roles (ffn, norm, moe hold nothing) or one whose decode form fails.
std::optional<double> sequence_bytes(const Problem& problem);

// `problem` with every REDUCIBLE count divided by `factor` (the same ratios in
// whole counts), validated; nullopt and `why` when one does not divide, the
// variant has none, or its validate() refuses.
std::optional<Problem> reduce_by(const Problem& problem, int factor, std::string& why);

// A problem that fits `budget_bytes` of tensors: `problem` itself, or it with
// every REDUCIBLE count divided by the smallest `factor` that fits and still
// validates. `problem` stays nullopt (with `why`) when nothing fits.
struct Reduced {
  std::optional<Problem> problem;
  int factor = 1;      // 1: measured as it is
  std::string why;
};
Reduced reduce_to_fit(const Problem& problem, double budget_bytes);

}  // namespace archbench
