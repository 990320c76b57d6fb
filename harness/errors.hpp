// Error types shared by the harness and its libraries.
//
// InputError is bad input from the user (a flag, a file, a value): the CLI prints
// its one-line message and exits with code 2. Library code throws; only main()
// decides how the process ends (no exit() deep in library code).
#pragma once

#include <stdexcept>
#include <string>

namespace archbench {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace archbench
