// Error values for everything that touches the network or untrusted bytes.
// Exceptions are used only at start-up (CLI, configuration) and caught in main.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace parley {

enum class ErrorCode {
  kInvalidArgument,   // bad input from a caller, a file or the network
  kNotFound,
  kAlreadyExists,
  kUnauthenticated,   // wrong key, secret, signature or expired token
  kPermissionDenied,
  kResourceExhausted, // rate limited or over a limit
  kUnavailable,       // cannot connect, connection lost, 5xx
  kTimeout,
  kCancelled,
  kProtocol,          // the peer broke the protocol (bad frame, bad message)
  kInternal,
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;     // says what happened and, where it can, how to fix it
  bool retryable = false;  // true when the same call may succeed later

  Error() = default;
  Error(ErrorCode c, std::string msg, bool retry = false)
      : code(c), message(std::move(msg)), retryable(retry) {}

  // "unavailable: connection refused"
  std::string to_string() const;
};

template <class T>
using Result = tl::expected<T, Error>;

using Status = Result<void>;

inline tl::unexpected<Error> make_error(ErrorCode code, std::string message, bool retryable = false) {
  return tl::unexpected<Error>(Error(code, std::move(message), retryable));
}

}  // namespace parley
