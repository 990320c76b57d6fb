// Loading presets and counting a model's parameters (see preset.hpp).
#include "harness/preset.hpp"

#include "harness/errors.hpp"
#include "harness/model_parameters.hpp"
#include "harness/problem.hpp"
#include "harness/registry.hpp"
#include "harness/toml_input.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#ifndef ARCHBENCH_PRESETS_DIR
#define ARCHBENCH_PRESETS_DIR "presets"
#endif

namespace archbench {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxLayers = 10000;

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

int layer_index(const std::string& text, int layers) {
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty()) throw std::invalid_argument("'" + text + "' is not a layer number");
  if (value < 0 || value >= layers)
    throw std::invalid_argument("layer " + text + " is outside 0.." + std::to_string(layers - 1));
  return value;
}

// A positive number in [low, high] at table[key] (required).
double number(const std::string& path, const toml::table& table, const char* key, double low, double high,
              const char* where) {
  const toml::node* node = table.get(key);
  if (!node) fail(path, table, std::string(where) + " needs '" + key + "'");
  const auto value = node->value<double>();
  if (!value || !std::isfinite(*value) || *value < low || *value > high) {
    std::ostringstream range;
    range << "'" << key << "' expects a number in [" << low << ", " << high << "]";
    fail(path, *node, range.str());
  }
  return *value;
}

std::string text(const std::string& path, const toml::table& table, const char* key, bool required) {
  const toml::node* node = table.get(key);
  if (!node) {
    if (required) fail(path, table, std::string("the preset needs '") + key + "'");
    return {};
  }
  const auto value = node->value_exact<std::string>();
  if (!value) fail(path, *node, std::string("'") + key + "' expects a string");
  return *value;
}

}  // namespace

std::vector<std::string> preset_search_path() { return search_path("ARCHBENCH_PRESET_PATH", ARCHBENCH_PRESETS_DIR); }

std::vector<std::string> preset_names() {
  std::set<std::string> names;
  for (const std::string& dir : preset_search_path()) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error))
      if (entry.is_regular_file() && entry.path().extension() == ".toml") names.insert(entry.path().stem().string());
  }
  return {names.begin(), names.end()};
}

std::optional<std::vector<int>> select_layers(const std::string& at, int layers) {
  std::set<int> chosen;
  std::stringstream in(at);
  std::string item;
  bool any = false;
  while (std::getline(in, item, ',')) {
    item = trim(item);
    any = true;
    if (item == "rest") {
      if (at.find(',') != std::string::npos) throw std::invalid_argument("'rest' stands alone");
      return std::nullopt;
    }
    if (item == "all" || item == "odd" || item == "even") {
      for (int i = item == "odd" ? 1 : 0; i < layers; i += item == "all" ? 1 : 2) chosen.insert(i);
    } else if (item.rfind("every ", 0) == 0) {
      // "every K from S": S, S+K, S+2K, ...
      std::istringstream words(item);
      std::string every, from, k_text, s_text, extra;
      words >> every >> k_text >> from >> s_text;
      if (from != "from" || (words >> extra)) throw std::invalid_argument("'" + item + "' is not 'every K from S'");
      const int k = layer_index(k_text, layers + 1), s = layer_index(s_text, layers);
      if (k < 1) throw std::invalid_argument("'" + item + "': K must be at least 1");
      for (int i = s; i < layers; i += k) chosen.insert(i);
    } else if (const size_t dash = item.find('-'); dash != std::string::npos) {
      const int a = layer_index(trim(item.substr(0, dash)), layers), b = layer_index(trim(item.substr(dash + 1)), layers);
      if (b < a) throw std::invalid_argument("'" + item + "' runs backwards");
      for (int i = a; i <= b; ++i) chosen.insert(i);
    } else {
      chosen.insert(layer_index(item, layers));
    }
  }
  if (!any) throw std::invalid_argument("no layers selected");
  return std::vector<int>(chosen.begin(), chosen.end());
}

Preset load_preset(const std::string& name_or_path) {
  const std::string path = find_toml(name_or_path, preset_search_path());
  if (path.empty())
    throw InputError("preset: no preset file '" + name_or_path + "' and no " + name_or_path +
                     ".toml on the preset path (see `archbench list presets`)");
  const toml::table document = parse_document(path);
  only_keys(path, document, {"name", "title", "source", "not_confirmed", "notes", "model", "published", "layer"},
            "the preset");
  Preset p;
  p.path = path;
  p.name = document["name"].value_or(fs::path(path).stem().string());
  p.title = text(path, document, "title", true);
  p.source = text(path, document, "source", true);
  p.notes = text(path, document, "notes", false);
  p.not_confirmed = string_list(path, document, "not_confirmed");

  const toml::table* model = document["model"].as_table();
  if (!model) fail(path, document, "the preset needs a [model] table");
  only_keys(path, *model, {"layers", "d_model", "vocab", "tied_embeddings", "mtp_layers"}, "[model]");
  p.layers = int(number(path, *model, "layers", 1, kMaxLayers, "[model]"));
  p.d_model = number(path, *model, "d_model", 1, 1e6, "[model]");
  p.vocab = number(path, *model, "vocab", 0, 1e8, "[model]");
  if (const toml::node* tied = model->get("tied_embeddings")) {
    const auto value = tied->value_exact<bool>();
    if (!value) fail(path, *tied, "'tied_embeddings' expects true or false");
    p.tied_embeddings = *value;
  }
  if (model->get("mtp_layers")) p.mtp_layers = int(number(path, *model, "mtp_layers", 0, 64, "[model]"));

  if (const toml::node* node = document.get("published")) {
    const toml::table* published = node->as_table();
    if (!published) fail(path, *node, "'published' expects a table");
    only_keys(path, *published, {"total_params", "active_params", "active_without", "note"}, "[published]");
    if (published->get("total_params")) p.published_total = number(path, *published, "total_params", 1, 1e15, "[published]");
    if (published->get("active_params"))
      p.published_active = number(path, *published, "active_params", 1, 1e15, "[published]");
    p.active_without = string_list(path, *published, "active_without");
    for (const std::string& w : p.active_without)
      if (w != "embedding" && w != "lm_head")
        fail(path, *published->get("active_without"), "'active_without' lists embedding and/or lm_head, not '" + w + "'");
    p.published_note = text(path, *published, "note", false);
  }

  const toml::array* layer_list = document["layer"].as_array();
  if (!layer_list || layer_list->empty()) fail(path, document, "the preset needs [[layer]] entries");
  std::vector<int> owner(size_t(p.layers), -1);
  int rest = -1;
  for (const toml::node& entry : *layer_list) {
    const toml::table* t = entry.as_table();
    if (!t) fail(path, entry, "each [[layer]] expects a table");
    only_keys(path, *t, {"name", "at", "placement", "parts", "residual_scale", "branch_scale", "capacity"}, "[[layer]]");
    PresetLayer layer;
    layer.name = text(path, *t, "name", true);
    layer.at = text(path, *t, "at", true);
    layer.placement = t->get("placement") ? text(path, *t, "placement", false) : "pre";
    if (layer.placement != "pre" && layer.placement != "post" && layer.placement != "sandwich" && layer.placement != "none")
      fail(path, *t->get("placement"), "'placement' expects pre, post, sandwich or none, not '" + layer.placement + "'");
    if (t->get("residual_scale")) layer.residual_scale = number(path, *t, "residual_scale", 1e-6, 1e6, "[[layer]]");
    if (t->get("branch_scale")) layer.branch_scale = number(path, *t, "branch_scale", 1e-6, 1e6, "[[layer]]");
    if (t->get("capacity")) layer.capacity = number(path, *t, "capacity", 1e-6, 1, "[[layer]]");
    const toml::array* parts = (*t)["parts"].as_array();
    if (!parts || parts->empty()) fail(path, *t, "[[layer]] '" + layer.name + "' needs 'parts', a list of problem strings");
    for (const toml::node& part : *parts) {
      const auto s = part.value_exact<std::string>();
      if (!s || s->find(':') == std::string::npos)
        fail(path, part, "a part is a problem string 'variant:tokens', e.g. \"ffn/swiglu:dm4096.dff14336\"");
      layer.parts.push_back(*s);
      layer.part_positions.push_back(position(path, part.source()));
    }
    const int index = int(p.layer_types.size());
    try {
      const auto chosen = select_layers(layer.at, p.layers);
      if (!chosen) {
        if (rest >= 0) fail(path, *t->get("at"), "only one [[layer]] may be 'rest'");
        rest = index;
      } else {
        for (int i : *chosen) {
          if (owner[size_t(i)] >= 0)
            fail(path, *t->get("at"), "layer " + std::to_string(i) + " is also '" + p.layer_types[size_t(owner[size_t(i)])].name + "'");
          owner[size_t(i)] = index;
        }
        layer.layers = *chosen;
      }
    } catch (const std::invalid_argument& e) {
      fail(path, *t->get("at"), std::string("'at': ") + e.what());
    }
    p.layer_types.push_back(std::move(layer));
  }
  for (int i = 0; i < p.layers; ++i) {
    if (owner[size_t(i)] >= 0) continue;
    if (rest < 0) fail(path, document, "layer " + std::to_string(i) + " has no [[layer]] (add one with at = \"rest\")");
    p.layer_types[size_t(rest)].layers.push_back(i);
  }
  if (rest >= 0 && p.layer_types[size_t(rest)].layers.empty())
    fail(path, document, "the 'rest' [[layer]] '" + p.layer_types[size_t(rest)].name + "' covers no layer");
  return p;
}

PresetCount count_preset(const Preset& preset, const Registry& registry) {
  PresetCount out;
  std::set<std::string> missing;
  for (const PresetLayer& layer : preset.layer_types) {
    const double count = double(layer.layers.size());
    for (size_t i = 0; i < layer.parts.size(); ++i) {
      const std::string& part = layer.parts[i];
      const std::string variant = part.substr(0, part.find(':'));
      if (!registry.find(variant)) {
        missing.insert(variant + " (not loaded)");
        continue;
      }
      Problem problem;
      try {
        // KV bytes at bf16, the dtype models are served in; weights count the same in any dtype.
        problem = parse_problem(part + ".bf16", registry);
      } catch (const InputError& e) {
        throw InputError(layer.part_positions[i] + ": " + e.what());
      }
      const ParameterCount c = count_parameters(problem);
      if (!c.failure.empty()) {
        out.failures.push_back(part + ": " + c.failure);
        continue;
      }
      out.total += count * c.total;
      out.active += count * c.active;
      out.kv_cache_bytes_per_token += count * c.kv_cache_bytes_per_token;
    }
  }
  out.missing.assign(missing.begin(), missing.end());
  out.embedding = preset.vocab * preset.d_model;
  out.lm_head = preset.tied_embeddings ? 0 : preset.vocab * preset.d_model;
  const double final_norm = preset.d_model;
  out.total += out.embedding + out.lm_head + final_norm;
  out.active += out.embedding + out.lm_head + final_norm;
  out.active_as_published = out.active;
  for (const std::string& w : preset.active_without) {
    if (w == "embedding") out.active_as_published -= out.embedding;
    // A tied head is the embedding matrix: leaving the head out leaves that one matrix out.
    if (w == "lm_head") out.active_as_published -= preset.tied_embeddings ? 0 : out.lm_head;
  }
  return out;
}

}  // namespace archbench
