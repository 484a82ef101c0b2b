// A small HTTP/1.1 server on Boost.Beast for parley serve's endpoints (webhook, health,
// metrics). It faces the internet, so every limit is explicit: request size (a larger body is
// answered 413 without being buffered), header size, read and write timeouts (slow clients are
// cut off), and a cap on open connections. Keep-alive is honoured.
//
// Threading: the acceptor runs on the first loop; connections are spread round-robin over all
// the loops given, and the handler runs on the connection's loop, so it must be thread-safe.
// The loops must outlive the server and keep running until stop() returned.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
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

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  Millis read_timeout{10'000};   // a whole request, headers and body; also the keep-alive idle time
  Millis write_timeout{10'000};
  size_t max_connections = 1024;
};

// A response with a text body and the usual headers.
HttpResponse make_response(unsigned status, std::string body, const HttpRequest* request = nullptr,
                           std::string content_type = "text/plain; charset=utf-8");

class HttpServer {
 public:
  HttpServer(std::vector<AsioLoop*> loops, HttpServerOptions options, HttpHandler handler,
             HttpRefusalHook refused = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; returns the bound port. Any thread but the loops'.
  Result<uint16_t> start();
  // Stops accepting; open connections finish their current request and close. Any thread but the loops'.
  void stop();
  uint16_t port() const { return port_; }

  struct Shared;  // what connections share with the server (kept alive by each connection)

 private:
  void accept();

  std::vector<AsioLoop*> loops_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::atomic<size_t> next_loop_{0};
  uint16_t port_ = 0;
};

}  // namespace parley::service
