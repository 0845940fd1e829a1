#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace divaudit {

// Error codes shared by every module (see docs/architecture.md "Errors").
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // bad input: config, CLI, malformed JSON from the API
  kNotFound,           // a requested object does not exist
  kUnavailable,        // transient: network, 5xx, reset; worth retrying
  kDeadlineExceeded,   // a timeout
  kResourceExhausted,  // rate limited, disk full
  kDataLoss,           // corrupted or truncated data
  kInternal,           // a bug or an unexpected library failure
  kPermissionDenied,   // 403, file permissions
  kUnauthenticated,    // 401
  kAborted,            // cancelled (shutdown)
  kFailedPrecondition  // e.g. a database from a newer version
};

std::string_view StatusCodeName(StatusCode code);

// A success or an error code with a message naming the file/field/endpoint that failed.
// Value type; thread-compatible.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<code name>: <message>", or "ok".
  std::string ToString() const;
  // Returns a copy whose message is "<prefix>: <message>".
  Status WithPrefix(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DeadlineExceededError(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status ResourceExhaustedError(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status PermissionDeniedError(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status UnauthenticatedError(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}
inline Status AbortedError(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}

// Prints "divaudit: Result::value() called on an error: <status>" to stderr and aborts. Called
// by Result::value() on an error (in every build type, not only with asserts on).
[[noreturn]] void DieOnErrorResultAccess(const Status& status);

// A value or a non-ok Status. Accessing value() of an error is a bug: it aborts with the status
// message (DieOnErrorResultAccess) instead of throwing std::bad_variant_access.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).ok() && "Result constructed from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

  T& value() & {
    CheckOk();
    return std::get<T>(data_);
  }
  const T& value() const& {
    CheckOk();
    return std::get<T>(data_);
  }
  T&& value() && {
    CheckOk();
    return std::get<T>(std::move(data_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void CheckOk() const {
    if (!ok()) [[unlikely]]
      DieOnErrorResultAccess(std::get<Status>(data_));
  }

  std::variant<T, Status> data_;
};

}  // namespace divaudit

#define DIVAUDIT_CONCAT_INNER_(a, b) a##b
#define DIVAUDIT_CONCAT_(a, b) DIVAUDIT_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` is not ok.
#define DIVAUDIT_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::divaudit::Status divaudit_status_ = (expr);        \
    if (!divaudit_status_.ok()) return divaudit_status_; \
  } while (0)

// `DIVAUDIT_ASSIGN_OR_RETURN(auto x, F());` — unwraps a Result or returns its Status.
#define DIVAUDIT_ASSIGN_OR_RETURN(lhs, expr) \
  DIVAUDIT_ASSIGN_OR_RETURN_IMPL_(DIVAUDIT_CONCAT_(divaudit_result_, __LINE__), lhs, expr)
#define DIVAUDIT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()
