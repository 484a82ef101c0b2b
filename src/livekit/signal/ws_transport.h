// The LiveKit signal connection's WebSocket (ws:// or wss://) on an AsioLoop, carrying binary
// frames: the shared client (net/ws_client) worded for LiveKit. TLS verifies the server
// certificate against the system's trust store (plus livekit.ca_file) and the host name. A
// server that refuses the upgrade with an HTTP status (LiveKit answers 401/400/404/503 with a
// plain-text reason) becomes an Error carrying that reason and its fix; a closed or lost
// connection becomes an Error naming the signal connection.
//
// All methods and callbacks run on the loop's thread. Callbacks stop after close().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/asio_loop.h"
#include "core/error.h"
#include "core/url.h"

namespace parley::livekit {

struct WsOptions {
  std::chrono::milliseconds connect_timeout{10'000};  // DNS + TCP + TLS + upgrade
  size_t max_message_bytes = 2 * 1024 * 1024;
  size_t max_queued_bytes = 4 * 1024 * 1024;  // unsent frames; above this send() fails
  std::string ca_file;                         // extra trusted CAs (livekit.ca_file)
  std::string bearer_token;                    // Authorization: Bearer, when set
};

// Maps a refused upgrade to an Error, its code and retryability by net::classify_http_status
// (401 -> kUnauthenticated, 404 -> kNotFound, 5xx -> kUnavailable, retryable, …) and its fix for
// LiveKit. The body's first line (trimmed, at most 300 characters) is the reason.
// JWTs in the body are replaced by "[token]".
Error http_upgrade_error(unsigned status, std::string_view body);
std::string redact_jwts(std::string text);

class WsTransport {
 public:
  using OpenHandler = std::function<void(Status)>;
  using MessageHandler = std::function<void(std::string&& frame, bool binary)>;
  // Called once when an open connection ends for any reason but close(): the server closed it
  // (kUnavailable with the close reason) or the network failed.
  using ClosedHandler = std::function<void(Error)>;

  virtual ~WsTransport() = default;
  // url must be ws:// or wss://; url.path is the request target (path and query).
  virtual void open(const Url& url, OpenHandler on_open) = 0;
  void on_message(MessageHandler h) { on_message_ = std::move(h); }
  void on_closed(ClosedHandler h) { on_closed_ = std::move(h); }
  virtual Status send(std::string frame) = 0;
  // Sends a close frame (1000) after queued frames, then shuts the socket; no more callbacks.
  virtual void close() = 0;
  // Drops the connection at once without a close frame (tests, dead connections).
  virtual void abort() = 0;
  virtual bool is_open() const = 0;

  static std::shared_ptr<WsTransport> create(AsioLoop& loop, const Url& url, WsOptions options);

 protected:
  MessageHandler on_message_;
  ClosedHandler on_closed_;
};

}  // namespace parley::livekit
