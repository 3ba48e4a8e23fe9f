// SPDX-License-Identifier: Apache-2.0
// YQ_CHECK: internal invariants. A failure is a yoloq bug, never bad user input, so it aborts
// with file:line instead of returning a Status.
#pragma once

#include <sstream>
#include <string>

namespace yq::detail {

[[noreturn]] void check_failed(const char* file, int line, const char* cond, const std::string& msg);

// Collects the optional `<< message` after YQ_CHECK(cond) and aborts in its destructor.
class CheckMessage {
 public:
  CheckMessage(const char* file, int line, const char* cond) : file_(file), line_(line), cond_(cond) {}
  [[noreturn]] ~CheckMessage() { check_failed(file_, line_, cond_, ss_.str()); }
  template <typename T>
  CheckMessage& operator<<(const T& v) {
    ss_ << v;
    return *this;
  }

 private:
  const char* file_;
  int line_;
  const char* cond_;
  std::ostringstream ss_;
};

}  // namespace yq::detail

#define YQ_CHECK(cond) \
  if (cond) {          \
  } else               \
    ::yq::detail::CheckMessage(__FILE__, __LINE__, #cond)

#define YQ_CHECK_EQ(a, b) YQ_CHECK((a) == (b)) << "(" << (a) << " vs " << (b) << ") "
