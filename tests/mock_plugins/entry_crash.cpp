// Mock: a plugin whose entry point segfaults. Loading it must cost only this
// plugin (refused in one line after a probe process crashed), never `list
// plugins` or `run` (issue 13).
#include <archbench/plugin_abi.h>

#include <csignal>

extern "C" __attribute__((visibility("default"))) ab_status archbench_plugin_entry(const ab_host*,
                                                                                  ab_plugin_info*) {
  std::raise(SIGSEGV);
  return AB_ERR_INTERNAL;
}
