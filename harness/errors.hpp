// Error types shared by the harness and its libraries.
//
// InputError is bad input from the user (a flag, a file, a value): the CLI prints
// its one-line message and exits with code 2. Library code throws; only main()
// decides how the process ends (no exit() deep in library code).
#pragma once

#include <stdexcept>
#include <string>

namespace archbench {

// `text` with every control character written as an escape ("\n", "\x1b"), so
// that whatever a user typed (or a plugin wrote) stays on the one line of an
// error message instead of breaking it or driving the terminal.
inline std::string printable(const std::string& text);

// The message is made printable here, once for every thrower: bad input is
// always one line, whatever it quotes (a key, a token, a path, a plugin's reason).
struct InputError : std::runtime_error {
  explicit InputError(const std::string& what) : std::runtime_error(printable(what)) {}
};

inline std::string printable(const std::string& text) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) out += c;
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else out += std::string("\\x") + hex[u >> 4] + hex[u & 15];
  }
  return out;
}

}  // namespace archbench
