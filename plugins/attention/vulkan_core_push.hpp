// Push constants of the attention core shaders (prefill.comp, decode.comp,
// decode_combine.comp; shaders/README.md), shared by every Vulkan instance
// that dispatches them (vulkan.cpp, mla_vulkan.cpp): one layout per shader,
// so the C++ side cannot drift from the GLSL in one user but not the other.
#pragma once

#include <cstdint>

namespace archbench::plugins::attention::vulkan_core {

struct PrefillPush {
  int32_t tokens, heads, kv_heads, span;
  float softcap;
  int32_t kv_rows;
};
struct DecodePush {
  int32_t seq, heads, kv_heads, span;
  float softcap;
  int32_t slots, splits, chunk;
};
struct CombinePush {
  int32_t heads, splits;
};

}  // namespace archbench::plugins::attention::vulkan_core
