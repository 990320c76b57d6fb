// `archbench list presets`: each preset on the preset path with its layer types,
// the parameters counted from its parts beside the totals its authors publish,
// and its KV cache per token.
#pragma once

namespace archbench {
class Registry;
}

namespace archbench::cli {

void list_presets(const Registry& registry);

}  // namespace archbench::cli
