// A small blocking HTTP/1.1 client on Boost.Beast for LiveKit's server API and health
// endpoints: one keep-alive connection per client (reused across requests, reopened when the
// server closed it), TLS with certificate and host-name verification for https, and a deadline
// on every step (resolve, connect, handshake, write, read).
//
// Blocking by design: operator commands and `parley diagnose` call it directly; code running on
// an event loop must call it from a worker thread. Thread-safe (requests are serialised).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/tls_client.h"
#include "core/url.h"

namespace parley::livekit {

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query
  std::map<std::string, std::string> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lowercase
  std::string body;
  std::string header(const std::string& lowercase_name) const;
};

class HttpClient {
 public:
  // base: http:// or https:// (ws:// and wss:// are mapped). timeout applies to each step.
  // trust: the CAs an https server's certificate is verified against (core/tls_client.h).
  HttpClient(Url base, std::chrono::milliseconds timeout, tls::Trust trust = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Errors: kUnavailable (cannot resolve or connect, connection lost; retryable), kTimeout
  // (retryable), kProtocol (TLS failure, e.g. an https URL to a plain-HTTP server: the message
  // says so; or a response that is not HTTP). A response with any status is a success here.
  // `idempotent` false (a request that must not run twice, like a SIP transfer): once the
  // request is written, a failure is not retryable and no fresh connection is tried, since the
  // server may have acted on it.
  Result<HttpResponse> request(const HttpRequest& req, bool idempotent = true);

  const Url& base() const { return base_; }
  // How many TCP connections were opened so far (to show keep-alive reuse in tests).
  int connections_opened() const;
  void close();
  // Any thread: the request in flight, and every later one, fails at once with kCancelled (not
  // retryable). For shutting down a client whose request hangs.
  void cancel();

 private:
  struct Impl;
  Url base_;
  std::unique_ptr<Impl> impl_;
  mutable std::mutex mutex_;
};

// RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); nullopt when it is not one.
std::optional<std::chrono::system_clock::time_point> parse_http_date(const std::string& text);

}  // namespace parley::livekit
