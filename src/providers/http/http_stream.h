// One streaming HTTP/1.1 request on an io_context (Boost.Beast, asynchronous): the response
// body is handed over as it arrives, for server-sent events (LLM tokens) and streamed audio
// (TTS). https verifies the certificate chain and the host name (SNI set); every step has a
// deadline (connect_timeout for resolve/connect/handshake/write/headers, idle_timeout between
// body reads). cancel() from any thread stops it: no callback after cancel() returned... except
// one already running on the io_context thread.
//
// Callbacks run on the io_context's thread: on_headers once, on_data zero or more times, then
// on_done exactly once (unless cancelled). Errors: kUnavailable (resolve, connect, connection
// lost — retryable), kTimeout (retryable), kProtocol (TLS failure, not HTTP, a truncated body).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "core/error.h"
#include "core/url.h"

namespace parley::providers {

struct HttpStreamRequest {
  std::string method = "POST";
  Url url;
  std::map<std::string, std::string> headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::string ca_file;  // extra trusted CAs for https (providers.ca_file), besides the system store
};

struct HttpStreamHandler {
  std::function<void(int status, const std::map<std::string, std::string>& headers)> on_headers;  // names lowercase
  std::function<void(std::string_view data)> on_data;
  std::function<void(Status status)> on_done;
};

class HttpStream {
 public:
  virtual ~HttpStream() = default;
  virtual void cancel() = 0;
};

std::shared_ptr<HttpStream> start_http_stream(boost::asio::io_context& io, HttpStreamRequest request,
                                              HttpStreamHandler handler);

// Maps an HTTP error status of a provider to an Error, its code and retryability by
// net::classify_http_status (401/403 → kUnauthenticated/kPermissionDenied, not retryable; 429 →
// kResourceExhausted and 5xx → kUnavailable, retryable; other 4xx → kInvalidArgument). `body`
// (an error JSON, usually) is quoted briefly in the message.
Error http_status_error(std::string_view provider, int status, std::string_view body);

}  // namespace parley::providers
