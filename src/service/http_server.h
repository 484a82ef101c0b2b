// A small HTTP/1.1 server on Boost.Beast for parley serve's endpoints (webhook, health,
// metrics). It faces the internet, so every limit is explicit: request size (a larger body is
// answered 413 without being buffered), header size (431), one deadline for a whole request
// (slow clients are cut off), a cap on open connections per client address and in all, and a
// check that can refuse a request from its header alone (a rate limit) before its body is read.
// accept failing (out of file descriptors) pauses accepting with a growing backoff instead of
// spinning. Keep-alive is honoured.
//
// Metrics: parley_http_connections_open{listener}, parley_http_connections_refused_total{listener,reason},
// parley_http_accept_errors_total{listener,error}.
//
// A request can also open a stream (Server-Sent Events): the stream handler, asked before the
// ordinary one, answers with the response's head; the connection writes it and then every chunk
// sent through the HttpStream, in order, until the client leaves, a write times out, the client
// falls more than max_stream_backlog_bytes behind, or the server stops.
//
// Threading: the acceptor runs on the first loop; connections are spread round-robin over all
// the loops given, and the handler runs on the connection's loop, so it must be thread-safe.
// The loops must outlive the server.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/http.hpp>

#include "core/asio_loop.h"
#include "core/duration.h"
#include "core/error.h"

namespace parley::service {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// remote: the peer's address without the port ("127.0.0.1").
using HttpHandler = std::function<HttpResponse(const HttpRequest& request, const std::string& remote)>;
// Called for requests refused before the handler saw them (413, 431, 400 from the parser).
using HttpRefusalHook = std::function<void(unsigned status, const std::string& target, const std::string& remote)>;
// Runs once a request's header is in (its body is still empty and unread). A response refuses
// the request there and then and closes the connection, so a refused client cannot make the
// server read, buffer and hold its body first.
using HttpHeaderCheck = std::function<std::optional<HttpResponse>(const HttpRequest& header, const std::string& remote)>;

// An open stream's writing end. Thread-safe; it never calls back, so it may be used under the
// caller's own lock.
class HttpStream {
 public:
  virtual ~HttpStream() = default;
  // Queues bytes to be written; false once the stream is closed (nothing is queued then).
  virtual bool send(std::string bytes) = 0;
  // Closes the connection once what is queued is written.
  virtual void close() = 0;
  virtual bool closed() const = 0;
};

struct HttpStreamStart {
  HttpResponse head;  // status and headers; its body is ignored (the stream is the body)
  // Called once the head is queued, on the connection's loop, with the stream to write to.
  std::function<void(std::shared_ptr<HttpStream>)> opened;
};
// Decides from a complete request whether it opens a stream; nullopt: the ordinary handler answers.
using HttpStreamHandler = std::function<std::optional<HttpStreamStart>(const HttpRequest& request, const std::string& remote)>;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  std::string name = "public";            // the listener label in logs and metrics
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  Millis read_timeout{10'000};   // a whole request, headers and body; also the keep-alive idle time
  Millis write_timeout{10'000};
  size_t max_connections = 1024;
  size_t max_connections_per_address = 64;
  Millis accept_backoff_max{1'000};  // the longest pause after accept failed
  size_t max_stream_backlog_bytes = 1 << 20;  // an open stream's unsent bytes before it is cut
};

// A response with a text body and the usual headers.
HttpResponse make_response(unsigned status, std::string body, const HttpRequest* request = nullptr,
                           std::string content_type = "text/plain; charset=utf-8");

class HttpServer {
 public:
  HttpServer(std::vector<AsioLoop*> loops, HttpServerOptions options, HttpHandler handler,
             HttpRefusalHook refused = nullptr, HttpHeaderCheck header_check = nullptr);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Before start(): requests that open a stream (see HttpStream).
  void set_stream_handler(HttpStreamHandler handler);
  // Binds and starts accepting; returns the bound port. Any thread but the loops'.
  Result<uint16_t> start();
  // Stops accepting and closes every connection (a response being written is finished first),
  // then waits until none is left. When it returns, no handler, hook or check is running and
  // none will run again, even on a loop that stopped without closing its connections (those
  // keep only the server's shared state alive, never the server). Any thread but the loops'.
  void stop();
  uint16_t port() const { return port_; }
  size_t open_connections() const;

  struct Shared;  // what connections share with the server (kept alive by each connection)

 private:
  std::shared_ptr<Shared> shared_;
  uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace parley::service
