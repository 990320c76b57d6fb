// Progress display: on a terminal a redrawn bar (problem i/N, ETA); otherwise
// (CI, pipes) one plain line per finished problem.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace archbench {

class Progress {
 public:
  explicit Progress(size_t total);
  void starting(size_t index, const std::string& label);  // index is 0-based
  void finished(const std::string& line);                 // the problem's result line
  void done();

 private:
  void draw();
  size_t total_, index_ = 0;
  std::string label_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace archbench
