// Presets: one TOML file per real architecture (presets/*.toml) saying which
// layer uses what, as problem strings of the loaded variants, with the model's
// own widths and the totals its authors publish. A preset is data: the harness
// reads its layer types and parts, never a tensor or parameter name.
//
//   name = "deepseek-v3"                   # default: the file name
//   title = "DeepSeek-V3"
//   source = "https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json"
//   not_confirmed = ["router"]             # values not confirmed from a primary source
//   notes = "..."                          # optional
//   [model]
//   layers = 61                            # transformer layers (MTP modules not included)
//   d_model = 7168
//   vocab = 129280
//   tied_embeddings = false                # the LM head shares the embedding matrix
//   mtp_layers = 1                         # optional: multi-token-prediction modules, left out of the totals
//   [published]                            # optional: the authors' totals, checked by the tests (3%)
//   total_params = 671e9
//   active_params = 37e9
//   active_without = ["embedding"]         # what their active count leaves out: embedding, lm_head
//   note = "..."
//   [[layer]]                              # one entry per layer type
//   name = "moe"
//   at = "3-60"                            # which layers: N, A-B, odd, even, all, every K from S, rest; comma lists
//   placement = "pre"                      # norms around the sublayers: pre | post | sandwich | none
//   residual_scale = 1.0                   # optional: x + residual_scale * sublayer(x)
//   branch_scale = 0.7071                  # optional: parallel bodies (Grok's MoE beside a dense FFN) are
//                                          #   summed, each times branch_scale, before the sublayer's post norm
//   capacity = 0.125                       # optional: mixture of depths, the top fraction of each sequence's
//                                          #   tokens by a router's score goes through the layer (prefill)
//   parts = ["norm/rmsnorm:dm7168", "attention/mla:h128.dm7168.qr1536", ...]
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace archbench {

class Registry;

struct PresetLayer {
  std::string name, at, placement;
  double residual_scale = 1.0, branch_scale = 1.0;  // see the header comment
  double capacity = 1.0;  // mixture of depths: the fraction of tokens the block processes
  std::vector<int> layers;          // the layer indices it covers, ascending
  std::vector<std::string> parts;   // problem strings (a variant and its non-default tokens)
  std::vector<std::string> part_positions;  // "FILE:LINE:COL" of each part, for errors
};

struct Preset {
  std::string path, name, title, source, notes;
  std::vector<std::string> not_confirmed;
  int layers = 0, mtp_layers = 0;
  double d_model = 0, vocab = 0;
  bool tied_embeddings = false;
  std::optional<double> published_total, published_active;
  std::vector<std::string> active_without;  // "embedding", "lm_head"
  std::string published_note;
  std::vector<PresetLayer> layer_types;
};

// Where presets are looked up: $ARCHBENCH_PRESET_PATH (colon-separated), then
// the source tree's presets/.
std::vector<std::string> preset_search_path();

// A preset by name (presets/NAME.toml on the path) or file. Bad input ->
// InputError "FILE:LINE:COL: what was expected".
Preset load_preset(const std::string& name_or_path);

// Every preset file on the path (first of a name wins), sorted by name.
std::vector<std::string> preset_names();

// Layer indices of an `at` selection over `layers` layers; "rest" is left to the
// caller (returns nullopt for it). Throws std::invalid_argument with the reason.
std::optional<std::vector<int>> select_layers(const std::string& at, int layers);

// The whole model's parameter counts from its parts (model_parameters.hpp) and
// its embeddings. Parts whose variant is not loaded are left out and named.
struct PresetCount {
  double total = 0, active = 0;                   // all weights; those each token uses (with both embedding matrices)
  double embedding = 0, lm_head = 0;              // included above
  double kv_cache_bytes_per_token = 0;            // summed over layers, bf16, from each part's describe()
  std::vector<std::string> missing;               // "ssm/mamba (not loaded)" ...
  std::vector<std::string> failures;              // parts whose count failed (a crashed plugin)
  // The active count the way the preset's publisher counts it (without `active_without`).
  double active_as_published = 0;
};
PresetCount count_preset(const Preset& preset, const Registry& registry);

}  // namespace archbench
