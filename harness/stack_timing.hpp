// The check of a whole-model estimate (`archbench model --check-stack`): a
// decode step of the whole model as it runs, every layer in layer order as its
// type's block (block_variant.hpp: its parts and residual additions; every
// layer's parts where a block is not planned at full width), each with its own
// weights and cache (seeded per layer, so no layer reuses another's memory),
// timed together. Unlike the estimate, which times one
// layer's parts repeatedly and multiplies, the stack sees each layer's weights
// come cold from memory after the others. Only the layers are timed: the
// estimate's modelled embedding and LM head are left out of both sides of the
// comparison. Every block (or part) is the very problem the estimate measured
// and checked against its reference; the stack itself needs no reference.
#pragma once

#include "harness/model_estimate.hpp"

#include <optional>
#include <string>

namespace archbench {

struct StackTiming {
  std::optional<double> decode_s;  // the median of the repetitions: all layers, one token per sequence
  std::string failure;             // why there is no time
  size_t instances = 0;            // blocks (one per layer) or parts created
  bool blocks = false;             // whether the layers ran as blocks
};

// Runs in an isolated child (a plugin that crashes costs the check, not the
// command). Refuses a plan with a part left out or reduced: the stack must be
// the whole model at full width, in this machine's memory.
StackTiming time_decode_stack(const ModelPlan& plan, ab_backend backend, const ab_host& host, int repetitions,
                              double timeout_s);

// The layers' share of an estimate's decode step: its parts' seconds times their layers.
double estimated_layer_decode_s(const results::ModelEstimateRecord& estimate);

}  // namespace archbench
