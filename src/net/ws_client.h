// The one WebSocket client (ws:// or wss://, Boost.Beast, asynchronous) on an io_context: the
// LiveKit signal connection and the agent worker (through livekit/signal/ws_transport) and the
// network speech providers (Deepgram) all use it.
//
// wss:// verifies the certificate chain against the system's trust store (plus an optional CA
// file) and the host name, with SNI set; a failed handshake is named with its fix
// (core/tls_client). Resolve, connect, TLS and the upgrade share one deadline. A server that
// refuses the upgrade with an HTTP status becomes the Error that `describe_refusal` makes of
// the status, headers and body (each caller words its own fix); a plain ws:// request that
// reached a TLS port is named as such for every caller.
//
// Everything — creation, send, close, and every callback — runs on the io_context's thread.
// Callbacks: on_open once; then on_message for each message; on_closed once if an open
// connection ends by any cause but close()/abort() (the server's close frame, a lost
// connection, a failed send). No callback after close() or abort().
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "core/error.h"
#include "core/tls_client.h"
#include "core/url.h"

namespace parley::net {

struct WsRefusal {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercase
  std::string body;                            // at most 4 KiB
};

struct WsRequest {
  Url url;                                     // ws:// or wss://; path carries the query
  std::map<std::string, std::string> headers;  // added to the upgrade request
  std::string user_agent = "parley";
  std::chrono::milliseconds connect_timeout{10'000};  // resolve + connect + TLS + upgrade
  size_t max_message_bytes = 1 << 20;
  size_t max_queued_bytes = 4 << 20;  // unsent messages; above it send() fails
  tls::Trust trust;                   // extra trusted CAs for wss, and the setting that names them
  // Binary messages are wiped from memory once sent or dropped (caller audio).
  bool wipe_binary = false;
  // The Error for a refused upgrade; by default net::http_status_error's code with the status
  // and the body's first line.
  std::function<Error(const WsRefusal&)> describe_refusal;
};

struct WsClose {
  int code = 0;        // the close frame's code; 0: no close frame or no code (the connection was lost)
  std::string reason;  // the close frame's reason, or what failed
};

struct WsHandler {
  std::function<void(Status)> on_open;
  std::function<void(std::string&& message, bool binary)> on_message;
  std::function<void(WsClose)> on_closed;
};

class WsClient {
 public:
  virtual ~WsClient() = default;
  // Queues one message; fails when the connection is not open (kUnavailable) or the queue is
  // full (kResourceExhausted).
  virtual Status send(std::string message, bool binary) = 0;
  // Sends the queued messages, then a close frame (1000); bounded to 2 s; no more callbacks.
  virtual void close() = 0;
  // Drops the connection at once without a close frame; no more callbacks.
  virtual void abort() = 0;
  virtual bool is_open() const = 0;
};

// Starts connecting at once; the outcome comes to handler.on_open, never from inside this call.
std::shared_ptr<WsClient> start_ws_client(boost::asio::io_context& io, WsRequest request, WsHandler handler);

}  // namespace parley::net
