// Mock: a plugin built for ABI 0 only, older than any host speaks.
#include <archbench/plugin_abi.h>

extern "C" __attribute__((visibility("default"))) ab_status archbench_plugin_entry(
    const ab_host* host, ab_plugin_info* info) {
  info->abi_min = 0;
  info->abi_max = 0;
  info->name = "old_abi";
  info->version = "0.0.1";
  if (host->abi_min > 0) return AB_ERR_INCOMPATIBLE_ABI;
  info->abi_version = 0;
  return AB_OK;
}
