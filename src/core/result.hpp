// Result<T>: the one error-carrying return type of capstan. Expected failures (bad input, upstream
// errors) travel as values; no exception crosses a component boundary.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace capstan::core {

// Protocol-neutral error categories. Each adapter maps them to its own wire form exactly once.
enum class ErrorCode {
  kInvalidArgument,      // the caller's input is wrong (REST 400, MCP isError / -32602)
  kNotFound,             // no such route, tool, file or key
  kUnauthenticated,      // inbound credentials missing or wrong
  kPermissionDenied,     // inbound credentials valid but not allowed
  kPayloadTooLarge,      // a size limit was hit
  kUpstreamUnavailable,  // connect/TLS/protocol failure talking to the upstream (502)
  kUpstreamTimeout,      // the upstream did not answer in time (504)
  kUpstreamError,        // the upstream answered, but its answer is unusable (502)
  kMappingFailed,        // output mapping could not be applied (502)
  kCancelled,            // the caller went away or cancelled
  kUnavailable,          // the server is shutting down or overloaded (503)
  kIo,                   // local file or socket error
  kInternal,             // a bug
};

// Returns a stable lower_snake name for the code ("invalid_argument", ...).
std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Status is a Result with no value.
using Status = Result<void>;

// Builds the failed side of a Result: `return Fail(ErrorCode::kNotFound, "no such tool");`.
inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}
inline tl::unexpected<Error> Fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

inline Status Ok() { return {}; }

}  // namespace capstan::core

// Evaluates a Result expression; on failure returns its error from the enclosing function,
// otherwise assigns the value to `lhs` (which may be a declaration).
#define CAPSTAN_CONCAT_INNER(a, b) a##b
#define CAPSTAN_CONCAT(a, b) CAPSTAN_CONCAT_INNER(a, b)
#define CAPSTAN_ASSIGN_OR_RETURN(lhs, expr) \
  CAPSTAN_ASSIGN_OR_RETURN_IMPL(CAPSTAN_CONCAT(capstan_result_, __LINE__), lhs, expr)
#define CAPSTAN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)             \
  auto tmp = (expr);                                              \
  if (!tmp) return ::capstan::core::Fail(std::move(tmp).error()); \
  lhs = std::move(*tmp)
#define CAPSTAN_RETURN_IF_ERROR(expr)                                                       \
  do {                                                                                      \
    auto capstan_status_ = (expr);                                                          \
    if (!capstan_status_) return ::capstan::core::Fail(std::move(capstan_status_).error()); \
  } while (false)
