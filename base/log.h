// SPDX-License-Identifier: Apache-2.0
// Minimal leveled logging to stderr. stdout is reserved for command output (and --json).
#pragma once

#include <sstream>
#include <string>

namespace yq {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kQuiet = 4 };

void set_log_level(LogLevel level);
LogLevel log_level();
void log_message(LogLevel level, const std::string& message);

namespace detail {
class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine() { log_message(level_, ss_.str()); }
  template <typename T>
  LogLine& operator<<(const T& v) {
    ss_ << v;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream ss_;
};
}  // namespace detail

}  // namespace yq

#define YQ_LOG(level)                                                 \
  if (::yq::LogLevel::k##level < ::yq::log_level()) {                 \
  } else                                                              \
    ::yq::detail::LogLine(::yq::LogLevel::k##level)
