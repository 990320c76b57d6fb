// Terminal progress bar with ETA from the average time per finished problem.
#include "harness/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace archbench {

Progress::Progress(size_t total)
    : total_(total), terminal_(isatty(STDOUT_FILENO)), start_(std::chrono::steady_clock::now()) {}

void Progress::starting(size_t index, const std::string& label) {
  index_ = index;
  label_ = label;
  if (terminal_) draw();
}

void Progress::draw() {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int width = 24, filled = total_ ? int(width * index_ / total_) : width;
  std::string bar(size_t(filled), '=');
  bar.resize(size_t(width), ' ');
  char eta[32] = "--:--";
  if (index_ > 0) {
    const int seconds = int(elapsed / double(index_) * double(total_ - index_));
    std::snprintf(eta, sizeof eta, "%d:%02d", seconds / 60, seconds % 60);
  }
  std::string label = label_.size() > 60 ? label_.substr(0, 57) + "..." : label_;
  std::printf("\r\033[K[%s] %zu/%zu ETA %s  %s", bar.c_str(), index_ + 1, total_, eta, label.c_str());
  std::fflush(stdout);
}

void Progress::finished(const std::string& line) {
  if (terminal_) std::printf("\r\033[K");
  std::printf("[%zu/%zu] %s\n", index_ + 1, total_, line.c_str());
  std::fflush(stdout);
}

void Progress::done() {
  if (terminal_) std::printf("\r\033[K");
  std::fflush(stdout);
}

}  // namespace archbench
