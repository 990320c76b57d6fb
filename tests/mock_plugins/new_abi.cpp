// Mock: a plugin from the future. It speaks ABI 4..6 — refused by a host that
// speaks 1..3 — unless MOCK_NEW_ABI_MIN=1 widens its range to 1..6, in which
// case negotiation must settle on 3.
#include <archbench/plugin_abi.h>

#include <cstdlib>

extern "C" __attribute__((visibility("default"))) ab_status archbench_plugin_entry(
    const ab_host* host, ab_plugin_info* info) {
  const char* widened = std::getenv("MOCK_NEW_ABI_MIN");
  info->abi_min = widened ? uint32_t(std::atoi(widened)) : 4;
  info->abi_max = 6;
  info->name = "new_abi";
  info->version = "9.0.0";
  const uint32_t newest = host->abi_max < info->abi_max ? host->abi_max : info->abi_max;
  const uint32_t oldest = host->abi_min > info->abi_min ? host->abi_min : info->abi_min;
  if (newest < oldest) return AB_ERR_INCOMPATIBLE_ABI;
  info->abi_version = newest;
  info->variants = nullptr;
  info->variant_count = 0;
  return AB_OK;
}
