// SPDX-License-Identifier: Apache-2.0
// Status and Expected<T>: how recoverable failures (bad files, unsupported ops, wrong shapes)
// travel up to the CLI. Broken internal invariants use YQ_CHECK (check.h) instead.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace yq {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller passed something malformed (a flag, a shape)
  kInvalidModel,     // the model file is corrupt, truncated or inconsistent
  kUnsupported,      // well-formed but outside what yoloq implements (an op, an opset, a dtype)
  kIoError,          // a file could not be read or written
  kInternal,
};

const char* status_code_name(StatusCode code);

// A Status is either ok() or carries a code and a one-line message that names the offending
// thing (file, node, tensor) and what was expected versus found.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok_status() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Prefix context, e.g. the model path or the node name: "node 'Conv_3': " + message.
  Status with_context(const std::string& prefix) const {
    return ok() ? *this : Status(code_, prefix + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status ok_status() { return {}; }
inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status invalid_model(std::string m) { return {StatusCode::kInvalidModel, std::move(m)}; }
inline Status unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status io_error(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Expected<T>: a value or a non-ok Status (std::expected arrives only with C++23).
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Expected(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Expected<T> built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace yq

#define YQ_CONCAT_INNER(a, b) a##b
#define YQ_CONCAT(a, b) YQ_CONCAT_INNER(a, b)

// Return early from a function returning Status (or Expected<U>) when `expr` fails.
#define YQ_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::yq::Status yq_status_ = (expr);             \
    if (!yq_status_.ok()) return yq_status_;      \
  } while (0)

// `YQ_ASSIGN_OR_RETURN(auto x, make_x())`: unwrap an Expected or return its Status.
#define YQ_ASSIGN_OR_RETURN(lhs, rexpr) YQ_ASSIGN_OR_RETURN_IMPL(YQ_CONCAT(yq_expected_, __LINE__), lhs, rexpr)
#define YQ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                             \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
