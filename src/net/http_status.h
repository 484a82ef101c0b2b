// The one mapping from an HTTP error status to parley's ErrorCode and whether a retry may help,
// shared by every HTTP and WebSocket client: LiveKit's server API (Twirp answers without a
// Twirp code), the signal WebSocket's refused upgrade, and the network providers' HTTP and
// WebSocket clients. Each caller words its own message and fix; the code and retryability of a
// status are the same everywhere, so the room's rejoin, a provider's fallback and the API
// client's retry agree on what a 429 or a 503 means.
#pragma once

#include <string>

#include "core/error.h"

namespace parley::net {

struct HttpStatusClass {
  ErrorCode code;
  bool retryable;
};

// 400 → kInvalidArgument, 401 → kUnauthenticated, 402 and 403 → kPermissionDenied, 404 → kNotFound,
// 408 → kTimeout (retryable), 409 → kAlreadyExists, 429 → kResourceExhausted (retryable),
// any other 4xx → kInvalidArgument, 5xx → kUnavailable (retryable); anything else (1xx, 2xx,
// 3xx: not an error status a client expects here) → kProtocol.
HttpStatusClass classify_http_status(int status);

// An Error with the status's code and retryability and `message`.
Error http_status_error(int status, std::string message);

}  // namespace parley::net
