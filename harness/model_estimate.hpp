// Whole-model estimates from measured layers (`archbench model`, issue 17).
//
// A preset lists each layer type's parts with their widths only. plan_model
// places every part at the requested workload (workload.hpp): a prefill of N
// tokens and a decode step at context C, for B sequences. Parts are measured
// once each (a part shared by layer types, or by presets, once), as ordinary
// results of one run; compose_estimate then adds them up:
//
//   prefill seconds = sum over layer types of layers x (sum of its parts' times)
//                     + embedding lookup + LM head on the last token of each sequence
//   decode seconds  = the same at one token per sequence, context C
//   tokens/s        = B x N / prefill seconds, and B / decode seconds
//
// The embedding lookup and the LM head are modelled from the machine's
// calibrated peaks (bytes / bandwidth, max with flops / peak), not measured,
// and the estimate says so. A part too big for this machine's memory is
// measured with its REDUCIBLE counts divided (workload.hpp) and its time scaled
// by the ratio of the two problems' roofline costs. A part that cannot be
// measured (its variant not loaded, no workload roles, a failed check) is left
// out and named in the notes: the estimate is then marked incomplete, never
// silently short. Residual additions and the final norm are not counted in
// the sum; each layer type is also measured as ONE block problem (its parts and
// residual additions in sequence, block_variant.hpp), and the estimate notes
// the blocks' total beside the parts' sum: the data movement between
// sublayers, on record. A block that cannot be measured leaves a note, not a gap.
#pragma once

#include "harness/executor.hpp"
#include "harness/model_parameters.hpp"
#include "harness/preset.hpp"
#include "harness/workload.hpp"
#include "results/store.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace archbench {

struct ModelWorkload {
  int64_t batch = 1;
  int64_t prefill = 512;   // prompt tokens per sequence; 0: no prefill estimate (decode only)
  int64_t context = 4096;  // tokens held when the decode step runs
  ab_dtype dtype = AB_DTYPE_F32;
};

struct PlannedPart {
  std::string layer_type, part;      // as the preset names them; a block: its variant, block/<preset>.<layer>
  bool block = false;                // the whole layer type as one problem (block_variant.hpp): measured
                                     // beside its parts and reported against their sum, never added to it
  int64_t layers = 0;
  Workload::Mode mode = Workload::Mode::prefill;
  std::optional<Problem> problem;    // what is measured; nullopt: left out (see why)
  int reduction = 1;                 // workload.hpp's factor
  ParameterCount full, measured;     // the full part's and the measured problem's cost
  std::string why;                   // why it is left out
};

struct ModelPlan {
  Preset preset;
  PresetCount count;
  ModelWorkload workload;
  std::vector<PlannedPart> parts;    // every layer type's parts, prefill then decode
};

// Plans one preset's parts. `part_budget_bytes` bounds one measured problem's
// tensors (a bigger part is reduced). Bad input (a part string that no longer
// parses) -> InputError naming the preset's line.
ModelPlan plan_model(const Preset& preset, const ModelWorkload& workload, const Registry& registry,
                     double part_budget_bytes);

// Tensors one measured part may allocate on this machine: a sixth of its
// memory, at most 4 GB (the measuring child also holds the double reference's copies).
double default_part_budget_bytes();

struct MeasuredPart {
  std::string outcome;               // the result's outcome
  std::optional<double> median_s;
  std::string reason;
};

// Whether an estimate's part is a layer type's block (block/...), not a part.
bool is_block_entry(const results::ModelEstimatePart& part);

// The estimate of `plan` on `backend` from this run's results, keyed by canonical string.
results::ModelEstimateRecord compose_estimate(const ModelPlan& plan, ab_backend backend,
                                              const std::map<std::string, MeasuredPart>& measured,
                                              const Peaks& peaks);

}  // namespace archbench
