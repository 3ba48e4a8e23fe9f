// SPDX-License-Identifier: Apache-2.0
// A progress bar for long work (validation, calibration, sensitivity sweeps), on stderr.
// On a terminal it redraws one line; elsewhere (CI logs, pipes) it prints a line at every 10%
// so logs stay short. Disabled entirely with enabled = false (e.g. under --json --quiet).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace yq {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool enabled = true);
  ~ProgressBar();
  void update(int64_t done, const std::string& suffix = "");
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace yq
