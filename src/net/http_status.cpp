#include "net/http_status.h"

namespace parley::net {

HttpStatusClass classify_http_status(int status) {
  switch (status) {
    case 400: return {ErrorCode::kInvalidArgument, false};
    case 401: return {ErrorCode::kUnauthenticated, false};
    case 402:  // payment required: the account has no credit, a matter of permission
    case 403: return {ErrorCode::kPermissionDenied, false};
    case 404: return {ErrorCode::kNotFound, false};
    case 408: return {ErrorCode::kTimeout, true};
    case 409: return {ErrorCode::kAlreadyExists, false};
    case 429: return {ErrorCode::kResourceExhausted, true};
    default: break;
  }
  if (status >= 500 && status <= 599) return {ErrorCode::kUnavailable, true};
  if (status >= 400 && status <= 499) return {ErrorCode::kInvalidArgument, false};
  return {ErrorCode::kProtocol, false};
}

Error http_status_error(int status, std::string message) {
  auto c = classify_http_status(status);
  return Error(c.code, std::move(message), c.retryable);
}

}  // namespace parley::net
