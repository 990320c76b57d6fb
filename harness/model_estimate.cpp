// Planning a preset's parts at a workload and composing its whole-model estimate
// (see model_estimate.hpp).
#include "harness/model_estimate.hpp"

#include "harness/block_variant.hpp"
#include "harness/errors.hpp"
#include "harness/registry.hpp"

#include <archbench/sdk.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace archbench {
namespace {

// Roofline seconds of a cost on these peaks; with no peaks, a unitless cost
// that still orders problems of one variant (their flops, else their bytes).
double roofline(const ParameterCount& c, const Peaks& peaks) {
  if (peaks.compute_gflops && peaks.bandwidth_gbps)
    return std::max(c.flops / (*peaks.compute_gflops * 1e9), c.bytes / (*peaks.bandwidth_gbps * 1e9));
  return c.flops > 0 ? c.flops : c.bytes;
}

std::string compact(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

// A layer type as one block problem at `at`: with its own widths where it
// fits the budget (the block holds all its parts at once), else with every
// part's REDUCIBLE counts divided by the smallest `div` that fits and validates.
PlannedPart plan_block(const Preset& preset, const PresetLayer& layer, const Workload& at, ab_dtype dtype,
                       const Registry& registry, double budget_bytes) {
  PlannedPart planned;
  planned.block = true;
  planned.layer_type = layer.name;
  planned.part = block_variant_name(preset, layer);
  planned.layers = int64_t(layer.layers.size());
  planned.mode = at.mode;
  const std::string shape = std::string(":") + mode_name(at.mode) + ".b" + std::to_string(at.batch) + ".s" +
                            std::to_string(at.tokens) + "." + dtype_name(dtype);
  std::optional<Problem> full;
  try {
    registry.block(preset, layer);  // known by name from here on, wherever the preset's file is
    full = parse_problem(planned.part + shape, registry);
  } catch (const std::exception& e) {  // a part not loaded, a part at this workload refused
    planned.why = e.what();
    return planned;
  }
  planned.full = count_parameters(*full);
  if (!planned.full.failure.empty()) {
    planned.why = planned.full.failure;
    return planned;
  }
  for (int div = 1; div <= 1024; ++div) {
    std::optional<Problem> candidate;
    try {
      candidate = div == 1 ? full : parse_problem(planned.part + shape + ".div" + std::to_string(div), registry);
    } catch (const std::exception&) {
      continue;  // not a whole division of every part's counts
    }
    const ParameterCount c = div == 1 ? planned.full : count_parameters(*candidate);
    if (!c.failure.empty() || c.tensor_bytes > budget_bytes) continue;
    planned.problem = candidate;
    planned.reduction = div;
    planned.measured = c;
    return planned;
  }
  planned.why = "no division of its parts' reducible counts fits " + compact(budget_bytes / 1e9) + " GB";
  return planned;
}

}  // namespace

double default_part_budget_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  const double memory = pages > 0 && page > 0 ? double(pages) * double(page) : 8e9;
  return std::min(4e9, memory / 6);
}

ModelPlan plan_model(const Preset& preset, const ModelWorkload& workload, const Registry& registry,
                     double part_budget_bytes) {
  ModelPlan plan;
  plan.preset = preset;
  plan.workload = workload;
  plan.count = count_preset(preset, registry);
  for (const Workload::Mode mode : {Workload::Mode::prefill, Workload::Mode::decode}) {
    if (mode == Workload::Mode::prefill && workload.prefill == 0) continue;  // a decode-only estimate
    const Workload at{mode, workload.batch, mode == Workload::Mode::prefill ? workload.prefill : workload.context};
    for (const PresetLayer& layer : preset.layer_types) {
      for (size_t i = 0; i < layer.parts.size(); ++i) {
        PlannedPart planned;
        planned.layer_type = layer.name;
        planned.part = layer.parts[i];
        planned.layers = int64_t(layer.layers.size());
        planned.mode = mode;
        const std::string variant = planned.part.substr(0, planned.part.find(':'));
        if (!registry.find(variant)) {
          planned.why = variant + " is not loaded";
          plan.parts.push_back(std::move(planned));
          continue;
        }
        Problem written;
        try {
          written = parse_problem(planned.part + "." + dtype_name(workload.dtype), registry);
        } catch (const InputError& e) {
          throw InputError(layer.part_positions[i] + ": " + e.what());
        }
        const std::optional<Problem> placed = at_workload(written, at, planned.why);
        if (placed) {
          planned.full = count_parameters(*placed);
          if (!planned.full.failure.empty()) {
            planned.why = planned.full.failure;
          } else {
            const Reduced reduced = reduce_to_fit(*placed, part_budget_bytes);
            planned.problem = reduced.problem;
            planned.reduction = reduced.factor;
            planned.why = reduced.why;
            planned.measured = reduced.factor == 1 ? planned.full : count_parameters(*reduced.problem);
          }
        }
        plan.parts.push_back(std::move(planned));
      }
      plan.parts.push_back(plan_block(preset, layer, at, workload.dtype, registry, part_budget_bytes));
    }
  }
  return plan;
}

bool is_block_entry(const results::ModelEstimatePart& part) { return part.part.rfind("block/", 0) == 0; }

results::ModelEstimateRecord compose_estimate(const ModelPlan& plan, ab_backend backend,
                                              const std::map<std::string, MeasuredPart>& measured,
                                              const Peaks& peaks) {
  const ModelWorkload& w = plan.workload;
  const double element = double(sdk::dtype_size(w.dtype));
  results::ModelEstimateRecord e;
  e.preset = plan.preset.name;
  e.title = plan.preset.title;
  e.backend = backend_name(backend);
  e.dtype = dtype_name(w.dtype);
  e.batch = w.batch;
  e.prefill_tokens = w.prefill;
  e.context = w.context;
  e.total_params = plan.count.total;
  e.active_params = plan.count.active;
  e.weight_bytes = plan.count.total * element;

  std::vector<std::string> notes;
  std::set<std::string> left_out;
  double seconds[2] = {0, 0};
  bool any[2] = {false, false};
  bool complete = plan.count.missing.empty() && plan.count.failures.empty();
  double block_seconds[2] = {0, 0}, parts_of_blocks[2] = {0, 0};
  std::map<std::pair<int, std::string>, double> part_seconds;  // (mode, layer type) -> its parts' sum
  std::vector<std::string> blocks_missing;
  for (const PlannedPart& p : plan.parts) {
    const int m = p.mode == Workload::Mode::prefill ? 0 : 1;
    results::ModelEstimatePart out;
    out.layer_type = p.layer_type;
    out.layers = p.layers;
    out.part = p.part;
    out.mode = mode_name(p.mode);
    out.reduction = p.reduction;
    if (m == 1 && p.problem && !p.block) {  // what the decode step holds: the full part's cache or state
      e.kv_bytes_per_token += double(p.layers) * p.full.kv_cache_bytes_per_token;
      e.cache_bytes += double(p.layers) * p.full.state_bytes;
    }
    if (!p.problem) {
      out.note = p.why;
    } else {
      out.measured = p.problem->canonical();
      const auto found = measured.find(out.measured);
      if (found == measured.end() || found->second.outcome != "passed" || !found->second.median_s) {
        out.note = found == measured.end() ? "not measured on " + e.backend
                                           : found->second.outcome +
                                                 (found->second.reason.empty() ? "" : ": " + found->second.reason);
      } else {
        out.scale = p.reduction == 1 ? 1 : roofline(p.full, peaks) / roofline(p.measured, peaks);
        out.seconds = *found->second.median_s * out.scale;
        if (p.reduction > 1)
          out.note = "measured with its reducible counts / " + std::to_string(p.reduction) + ", time x" +
                     compact(out.scale) + " by the roofline cost";
        if (p.block) {
          block_seconds[m] += double(p.layers) * *out.seconds;
          parts_of_blocks[m] += double(p.layers) * part_seconds[{m, p.layer_type}];
        } else {
          seconds[m] += double(p.layers) * *out.seconds;
          part_seconds[{m, p.layer_type}] += *out.seconds;
          any[m] = true;
        }
      }
    }
    if (p.block) {
      if (!out.seconds) blocks_missing.push_back(p.part + " " + out.mode + " (" + out.note + ")");
      e.parts.push_back(std::move(out));
      continue;
    }
    if (!out.seconds) {
      complete = false;
      left_out.insert(p.part + " " + out.mode + " (" + out.note + ")");
    }
    e.parts.push_back(std::move(out));
  }
  for (const std::string& l : left_out) notes.push_back("left out: " + l);
  // The layers measured as whole blocks beside the sum of their parts (only
  // when every part and every block of the mode was measured, so both sides
  // cover all layers).
  for (int m = 0; m < 2; ++m) {
    const char* mode = m == 0 ? "prefill" : "decode";
    bool all = any[m];
    for (const PlannedPart& p : plan.parts)
      if (p.block && int(p.mode == Workload::Mode::decode) == m && !p.problem) all = false;
    for (const std::string& missing : blocks_missing)
      if (missing.find(std::string(" ") + mode + " (") != std::string::npos) all = false;
    if (complete && all && block_seconds[m] > 0 && parts_of_blocks[m] > 0)
      notes.push_back(std::string("layers as whole blocks, ") + mode + ": " + compact(block_seconds[m] * 1e3) +
                      " ms, x" + compact(block_seconds[m] / parts_of_blocks[m]) + " the sum of their parts");
  }
  for (const std::string& b : blocks_missing) notes.push_back("block not measured: " + b);
  for (const std::string& m : plan.count.missing) notes.push_back("parameters not counted: " + m);

  // The embedding lookup (each row read and written) and the LM head on one
  // token per sequence, from the calibrated peaks.
  if (peaks.compute_gflops && peaks.bandwidth_gbps) {
    const double d = plan.preset.d_model, vocab = plan.preset.vocab, bw = *peaks.bandwidth_gbps * 1e9;
    const double head = std::max(2.0 * double(w.batch) * d * vocab / (*peaks.compute_gflops * 1e9),
                                 (d * vocab * element + double(w.batch) * vocab * 4.0) / bw);
    if (any[0]) seconds[0] += 2.0 * double(w.batch * w.prefill) * d * element / bw + head;
    if (any[1]) seconds[1] += 2.0 * double(w.batch) * d * element / bw + head;
    notes.push_back("embedding lookup and LM head modelled from the calibrated peaks");
  } else {
    complete = false;
    notes.push_back("embedding lookup and LM head left out: no calibration (run `archbench calibrate`)");
  }
  if (plan.preset.mtp_layers > 0)
    notes.push_back(std::to_string(plan.preset.mtp_layers) + " multi-token-prediction module(s) not included");
  if (any[0]) {
    e.prefill_s = seconds[0];
    e.prefill_tokens_per_s = double(w.batch * w.prefill) / seconds[0];
  }
  if (any[1]) {
    e.decode_s = seconds[1];
    e.decode_tokens_per_s = double(w.batch) / seconds[1];
  }
  e.complete = complete;
  for (const std::string& n : notes) e.notes += (e.notes.empty() ? "" : "; ") + n;
  return e;
}

}  // namespace archbench
