// Provenance of a run: host, CPU, oneDNN, build, git revision, command line.
#pragma once

#include "results/store.hpp"

#include <string>

namespace archbench {

class Registry;

results::RunInfo collect_provenance(const Registry& registry, int threads,
                                    const std::string& command_line,
                                    const std::string& suites);
std::string git_revision();  // "<sha>[-dirty]" of the source tree, or "unknown"
std::string host_name();

}  // namespace archbench
