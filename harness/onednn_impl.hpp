// Which oneDNN implementation each primitive of a result ran on, seen from the
// harness: oneDNN's verbose mode is switched on around one execute() in the
// measuring child, its lines (written to stdout) are captured in a temporary
// file, and the "exec" lines give each primitive's kind and implementation
// (the primitive descriptor's impl_info_str). No plugin or ABI change is needed,
// since plugins create their primitives with the process's one libdnnl.
#pragma once

#include <functional>
#include <string>

namespace archbench {

// Runs `call` and returns "<kind>:<impl>" of each primitive it executed, unique, in
// order, comma-separated ("matmul:brg:avx512_core,softmax:jit:avx512_common"); ""
// when none ran or the output could not be captured. Not thread-safe: it swaps fd 1.
std::string onednn_implementations(const std::function<void()>& call);

// The list as it is parsed from verbose output (exposed for tests).
std::string implementations_from_verbose(const std::string& verbose_output);

}  // namespace archbench
