// LiveKit's v0 signal connection: one WebSocket to /rtc carrying one protobuf per binary frame
// (livekit-protocol.md §2). The client
//   - joins (first frame JoinResponse) or resumes (reconnect=1&sid=…, first frame ReconnectResponse);
//   - sends ping_req every ping_interval and declares the connection dead after ping_timeout
//     without any frame from the server;
//   - keeps the newest refresh_token for the next connection;
//   - hands every other message, checked, to a SignalHandler;
//   - leaves with leave{CLIENT_INITIATED} and a 1000 close.
// A malformed frame ends the connection with a kProtocol error (reported through on_lost); it
// never crashes and never reaches the handler.
//
// Lives on one AsioLoop: create it there and call everything, except send(), from that
// loop's thread; send() may be called from any thread. Callbacks run on the loop.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/asio_loop.h"
#include "core/log.h"
#include "livekit/signal/signal_handler.h"
#include "livekit/signal/signal_url.h"
#include "livekit/signal/ws_transport.h"

namespace parley::livekit {

struct SignalConnectOptions {
  std::string url;    // LiveKit URL: ws://, wss://, http:// or https://
  std::string token;  // access token (JWT)
  bool auto_subscribe = true;
  // Resume: the PA_ sid of the session to resume and a ReconnectReason value.
  std::string resume_sid;
  int reconnect_reason = 0;
  std::chrono::milliseconds timeout{10'000};  // until the first frame has arrived
  std::string ca_file;                        // extra trusted CAs for wss (livekit.ca_file)
  // Runs on the loop once the WebSocket upgrade succeeded (before any frame): lets a caller
  // tell "cannot reach /rtc" from "reached it, but no join followed" (parley diagnose).
  std::function<void()> on_open;
};

class SignalClient : public std::enable_shared_from_this<SignalClient> {
 public:
  // done({}) once the first frame (join or reconnect) has been handed to the handler.
  using Connected = std::function<void(Status)>;
  // The connection ended without close()/leave(): network failure, server close, ping
  // timeout or a malformed frame. Not called after a server leave (the handler saw on_leave).
  using Lost = std::function<void(Error)>;

  static std::shared_ptr<SignalClient> create(AsioLoop& loop, log::Logger logger = log::root());
  ~SignalClient();

  // handler must stay valid until close()/leave()/abort() or the Lost callback.
  void connect(SignalConnectOptions options, SignalHandler* handler, Connected done, Lost on_lost);
  // Queues one request. Any thread.
  Status send(const ::livekit::SignalRequest& request);
  // Sends leave{CLIENT_INITIATED, DISCONNECT} and closes with 1000. No callbacks afterwards.
  void leave();
  // Closes with 1000 without a leave (the session stays resumable for a while). No callbacks afterwards.
  void close();
  // Drops the TCP connection without a close frame, as a network failure would. No callbacks.
  void abort();

  // The newest token: the one connected with, or the last refresh_token. Any thread.
  std::string token() const;
  // The last measured round trip in ms (-1 before the first pong). Any thread.
  int64_t rtt_ms() const { return rtt_ms_.load(); }
  bool connected() const { return state_.load() == State::kConnected; }

 private:
  enum class State { kIdle, kConnecting, kConnected, kClosed };
  class Interceptor;

  SignalClient(AsioLoop& loop, log::Logger logger);
  void on_frame(std::string&& frame, bool binary);
  void fail(Error e);
  void start_keepalive(int interval_s, int timeout_s);
  void send_ping();
  void arm_dead_timer();
  void shutdown(bool send_leave, bool graceful);

  AsioLoop& loop_;
  log::Logger log_;
  std::shared_ptr<WsTransport> ws_;
  SignalHandler* handler_ = nullptr;
  std::unique_ptr<Interceptor> interceptor_;
  Connected on_connected_;
  Lost on_lost_;
  std::atomic<State> state_{State::kIdle};
  mutable std::mutex token_mutex_;
  std::string token_;
  std::atomic<int64_t> rtt_ms_{-1};
  std::chrono::milliseconds ping_interval_{5'000}, ping_timeout_{15'000};
  TimerHandle connect_timer_, ping_timer_, dead_timer_;
};

}  // namespace parley::livekit
