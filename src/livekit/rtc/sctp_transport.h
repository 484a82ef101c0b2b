// SCTP over DTLS (RFC 8261) with usrsctp in its no-threads mode: AF_CONN sockets whose packets
// we carry ourselves (in through receive(), out through the `send` callback), and timers driven
// from our loops (usrsctp_handle_timers with the real elapsed time, shared by all transports).
// Messages carry a PPID (RFC 8831) and per-message ordering and retransmission limits.
//
// Thread: the loop given to create(). usrsctp is one process-wide stack, so its callbacks may
// run on another loop's thread (a timer fired there): they are routed back by id through a
// registry, never by a raw pointer, and posted to this transport's loop when needed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/error.h"
#include "core/glib_loop.h"
#include "core/log.h"

struct socket;

namespace parley::rtc {

class SctpTransport {
 public:
  struct Callbacks {
    std::function<Status(std::span<const uint8_t>)> send;  // one SCTP packet into DTLS
    std::function<void()> on_connected;
    std::function<void(const Error&)> on_failed;          // association lost or refused
    std::function<void(uint16_t stream, uint32_t ppid, std::span<const uint8_t>)> on_message;
    std::function<void(uint16_t stream)> on_stream_reset;  // the peer closed its side of a stream
  };

  static constexpr uint16_t kMaxStreams = 1024;

  static Result<std::unique_ptr<SctpTransport>> create(GlibLoop& loop, uint16_t local_port, uint16_t remote_port,
                                                       Callbacks callbacks, log::Logger logger = log::root());
  ~SctpTransport();
  SctpTransport(const SctpTransport&) = delete;
  SctpTransport& operator=(const SctpTransport&) = delete;

  // Starts the association (both ends connect: RFC 8841 simultaneous open).
  Status connect();
  // One SCTP packet out of DTLS.
  void receive(std::span<const uint8_t> packet);
  // kResourceExhausted (retryable) when the send buffer is full.
  Status send(uint16_t stream, uint32_t ppid, std::span<const uint8_t> data, bool ordered,
              std::optional<int> max_retransmits);
  void reset_stream(uint16_t stream);
  bool connected() const { return connected_; }
  void close();

  // usrsctp's callbacks land here (on the right thread).
  void handle_output(std::vector<uint8_t> packet);
  void handle_receive(std::vector<uint8_t> data, uint16_t stream, uint32_t ppid, int flags);

 private:
  SctpTransport(GlibLoop& loop, Callbacks callbacks, log::Logger logger);
  log::Logger log_;  // the call's (PeerConfig::logger)
  void handle_notification(const std::vector<uint8_t>& data);
  void tick();

  GlibLoop& loop_;
  Callbacks callbacks_;
  uintptr_t id_ = 0;
  ::socket* sock_ = nullptr;
  uint16_t remote_port_ = 5000;
  bool connected_ = false;
  bool closed_ = false;
  std::map<uint16_t, std::vector<uint8_t>> partial_;  // messages delivered in pieces
  TimerHandle timer_;
};

}  // namespace parley::rtc
