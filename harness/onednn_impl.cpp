// oneDNN implementation provenance (see onednn_impl.hpp).
#include "harness/onednn_impl.hpp"

#include <dnnl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <vector>

namespace archbench {

std::string implementations_from_verbose(const std::string& verbose_output) {
  std::string out;
  std::set<std::string> seen;
  std::istringstream lines(verbose_output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("onednn_verbose,", 0) != 0 && line.rfind("dnnl_verbose,", 0) != 0) continue;
    std::vector<std::string> fields;
    std::istringstream parts(line);
    for (std::string field; std::getline(parts, field, ',');) fields.push_back(field);
    // onednn_verbose[,timestamp],exec,<engine>,<primitive kind>,<implementation>,...
    for (size_t i = 1; i + 3 < fields.size(); ++i) {
      if (fields[i] != "exec") continue;
      const std::string entry = fields[i + 2] + ":" + fields[i + 3];
      if (seen.insert(entry).second) out += (out.empty() ? "" : ",") + entry;
      break;
    }
  }
  return out;
}

namespace {

// The level a user asked for (ONEDNN_VERBOSE / DNNL_VERBOSE), restored after the
// capture so their own verbose output of the timed runs is not switched off.
int users_verbose_level() {
  for (const char* name : {"ONEDNN_VERBOSE", "DNNL_VERBOSE"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return 0;
}

}  // namespace

std::string onednn_implementations(const std::function<void()>& call) {
  std::fflush(stdout);
  FILE* capture = std::tmpfile();
  const int saved = dup(STDOUT_FILENO);
  if (!capture || saved < 0 || dup2(fileno(capture), STDOUT_FILENO) < 0) {
    if (capture) std::fclose(capture);
    if (saved >= 0) close(saved);
    call();
    return "";
  }
  dnnl_set_verbose(1);  // 1: one line per executed primitive
  try {
    call();
  } catch (...) {
    dnnl_set_verbose(users_verbose_level());
    std::fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    std::fclose(capture);
    throw;
  }
  dnnl_set_verbose(users_verbose_level());
  std::fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  std::string text;
  std::rewind(capture);
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, capture)) > 0;) text.append(buffer, n);
  std::fclose(capture);
  return implementations_from_verbose(text);
}

}  // namespace archbench
