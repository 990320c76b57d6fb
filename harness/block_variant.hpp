// Blocks: one preset layer measured as ONE problem, `block/<preset>.<layer>`
// (issue 17). The harness builds the variant from the preset's parts: their
// tensors joined under numbered prefixes ("2.w_q"), each part's hidden input
// bound to the previous step's output through contract sublayer/1
// (contracts/sublayer.h), the residual additions between sublayers done by the
// block itself. The timed path runs every part and addition in order (a loop
// on the CPU; one command buffer with barriers on Vulkan), so the data movement
// between sublayers is on record, not only the sum of the parts. The double
// reference chains the parts' own references: the residual stream stays in
// double, and each part's input is rounded to the problem's dtype as the fast
// path stores it.
//
// Problem: block/<preset>.<layer>:<prefill|decode>.b<batch>.s<tokens>.div<K>.<dtype>
//   s    prefill: the new tokens; decode: the tokens already held
//   div  divides every part's REDUCIBLE counts (experts, FFN width) by K to fit
//        this machine; 1 keeps the model's widths
#pragma once

#include "harness/block_layout.hpp"
#include "harness/preset.hpp"
#include "harness/problem.hpp"

#include <archbench/plugin_abi.h>

#include <memory>
#include <string>

namespace archbench {

class Registry;

// "block/<preset>.<layer>" for a preset's layer type.
std::string block_variant_name(const Preset& preset, const PresetLayer& layer);

// The block variant for `name` ("block/<preset>.<layer>", the preset found as
// load_preset finds it), or nullptr when `name` is not a block's. Bad input (no
// such preset or layer, a part that does not parse, parts that break the
// placement or lack contract sublayer/1) -> InputError naming the preset.
// The variant keeps `registry` for its parts; both live as long as the process.
class BlockVariantHolder {
 public:
  virtual ~BlockVariantHolder() = default;
  virtual const ab_variant* table() const = 0;
  virtual const std::string& preset_path() const = 0;
};
std::unique_ptr<BlockVariantHolder> make_block_variant(const std::string& name, const Registry& registry);
// The block of one layer type of an already loaded preset (a file off the path too).
std::unique_ptr<BlockVariantHolder> make_block_variant(const Preset& preset, const PresetLayer& layer,
                                                       const Registry& registry);

}  // namespace archbench
