// One WebSocket client connection (ws:// or wss://) of a network provider, on an io_context
// (Boost.Beast, asynchronous). wss:// verifies the certificate chain against the system's trust
// store (plus an optional CA file) and the host name, with SNI set. A server that refuses the
// upgrade with an HTTP status becomes the Error that `describe_refusal` makes of the status,
// headers and body (each provider words its own fix).
//
// Binary messages (caller audio, for speech providers) are wiped from memory once sent or dropped.
//
// Everything — creation, send, close, and every callback — runs on the io_context's thread.
// Callbacks: on_open once; then on_message for each message; on_closed once if an open
// connection ends by any cause but close()/abort() (the server's close code and reason, a
// lost connection). No callback after close() or abort().
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

struct WsClientRequest {
  Url url;                                     // ws:// or wss://; path carries the query
  std::map<std::string, std::string> headers;  // added to the upgrade request
  std::chrono::milliseconds connect_timeout{10'000};  // resolve + connect + TLS + upgrade
  size_t max_message_bytes = 1 << 20;
  size_t max_queued_bytes = 4 << 20;  // unsent messages; above it send() fails
  std::string ca_file;                // extra trusted CAs for wss (providers.ca_file)
  // The Error for a refused upgrade; headers' names are lowercase, the body at most 4 KiB.
  std::function<Error(int status, const std::map<std::string, std::string>& headers, std::string_view body)>
      describe_refusal;
};

struct WsClose {
  int code = 0;        // 0: no close frame (the connection was lost)
  std::string reason;  // the close frame's reason, or what failed
};

struct WsClientHandler {
  std::function<void(Status)> on_open;
  std::function<void(std::string&& message, bool binary)> on_message;
  std::function<void(WsClose)> on_closed;
};

class WsClient {
 public:
  virtual ~WsClient() = default;
  // Queues one message; fails when the connection is not open or the queue is full.
  virtual Status send(std::string message, bool binary) = 0;
  // Sends the queued messages, then a close frame (1000); bounded to 2 s; no more callbacks.
  virtual void close() = 0;
  // Drops the connection at once; no more callbacks.
  virtual void abort() = 0;
  virtual bool is_open() const = 0;
};

std::shared_ptr<WsClient> start_ws_client(boost::asio::io_context& io, WsClientRequest request,
                                          WsClientHandler handler);

// Percent-encodes a query parameter value (RFC 3986 unreserved characters pass).
std::string url_encode(std::string_view value);

}  // namespace parley::providers
