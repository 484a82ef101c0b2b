// The operator console (console.enabled): its own HTTP listener (console.listen, loopback by
// default) serving the page, the calls' JSON, a Server-Sent Events stream of every change, and
// the playground's tickets, all under console.path:
//
//   GET  <path>                 the page (index.html; its files under <path>assets/)
//   GET  <path>api/calls        the calls in progress and the last ended ones
//   GET  <path>api/calls/<id>   one call: transcript, turns with their latencies, fallbacks
//   GET  <path>api/history      the last hour per minute: calls in progress, end-to-end p50/p95
//   GET  <path>api/events       text/event-stream: "snapshot", then "call", "line", "turn"
//   POST <path>api/playground   a fresh room and a token for it (playground_token.h); 429 with
//                               Retry-After past console.playground_* (playground_limit.h)
//
// Every request needs the operator's token (operator_auth.h): without it the answer is a bare
// 401, the same for every path, so nothing about the calls or the routes shows. Requests a
// browser marks as cross-origin are refused (403) before the token is even looked at; every
// answer carries the security headers (security_headers.h).
//
// Threading: one loop (the console's own); start() and stop() from any other thread. The board
// is shared with the calls' observers.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "console/call_board.h"
#include "console/console_assets.h"
#include "console/playground_limit.h"
#include "core/asio_loop.h"
#include "service/config_snapshot.h"
#include "service/http_server.h"

namespace parley::console {

class ConsoleServer {
 public:
  // `config` follows reloads (the playground signs with the running API key); the listener,
  // path and token are taken at construction.
  ConsoleServer(AsioLoop& loop, std::shared_ptr<service::ConfigSnapshot> config, std::shared_ptr<CallBoard> board,
                ConsoleAssets assets);
  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

  Result<uint16_t> start();
  void stop();
  uint16_t port() const { return http_ ? http_->port() : 0; }

  // The routes, callable without a socket (tests).
  service::HttpResponse handle(const service::HttpRequest& request);
  std::optional<service::HttpStreamStart> open_stream(const service::HttpRequest& request);

 private:
  // The refusal (403 cross-origin, 401 no token), or nullopt when the request may go on.
  std::optional<service::HttpResponse> refuse(const service::HttpRequest& request) const;
  service::HttpResponse reply(unsigned status, std::string body, const service::HttpRequest& request,
                              const std::string& content_type) const;
  // The path below console.path, without the query; nullopt when outside it.
  std::optional<std::string> route_of(const service::HttpRequest& request) const;
  void arm_heartbeat();

  AsioLoop& loop_;
  std::shared_ptr<service::ConfigSnapshot> config_;
  std::shared_ptr<CallBoard> board_;
  ConsoleAssets assets_;
  std::string base_;         // console.path ending in '/'
  std::string token_;
  std::string connect_src_;  // LiveKit's origins for the CSP
  std::string listen_;
  std::unique_ptr<service::HttpServer> http_;
  std::unique_ptr<boost::asio::steady_timer> heartbeat_;
  PlaygroundLimiter playground_limiter_;  // on the loop (handle())
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace parley::console
