// ICE over libnice (RFC 8445, trickle RFC 8838, consent freshness RFC 7675): one stream with one
// component (BUNDLE + rtcp-mux), UDP and TCP-active (RFC 6544) candidates, on the loop's
// GMainContext. mDNS (.local) candidates are never produced and remote ones are ignored.
//
// Thread: the GlibLoop given to create(); libnice delivers its signals and packets there.
// Callbacks are never called after close() or destruction.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/glib_loop.h"
#include "core/log.h"
#include "livekit/rtc/ice_candidate.h"
#include "livekit/rtc/peer_connection.h"

typedef struct _NiceAgent NiceAgent;

namespace parley::rtc {

enum class IceState { kNew, kGathering, kChecking, kConnected, kFailed, kClosed };

class IceTransport {
 public:
  struct Config {
    bool controlling = false;
    bool loopback_only = false;
    std::vector<std::string> local_addresses;
    bool tcp = true;
    bool udp = true;
    std::vector<IceServer> servers;
    log::Logger logger = log::root();  // the call's (PeerConfig::logger)
  };
  struct Callbacks {
    std::function<void(const IceCandidate&)> on_candidate;
    std::function<void()> on_gathering_done;
    std::function<void(IceState)> on_state;
    std::function<void(std::span<const uint8_t>)> on_packet;  // non-STUN datagrams
  };

  static Result<std::unique_ptr<IceTransport>> create(GlibLoop& loop, Config config, Callbacks callbacks);
  ~IceTransport();
  IceTransport(const IceTransport&) = delete;
  IceTransport& operator=(const IceTransport&) = delete;

  const std::string& local_ufrag() const { return ufrag_; }
  const std::string& local_pwd() const { return pwd_; }
  void set_controlling(bool controlling);
  Status gather();
  Status set_remote_credentials(const std::string& ufrag, const std::string& pwd);
  // Adds one remote candidate (mDNS, other components and unusable transports are skipped).
  Status add_remote_candidate(const IceCandidate& candidate);
  void remote_gathering_done();
  // ICE restart: new local credentials, remote candidates forgotten; local candidates are
  // re-announced through on_candidate.
  Status restart();
  // kUnavailable while no pair is selected.
  Status send(std::span<const uint8_t> packet);
  IceState state() const { return state_; }
  void close();

  // libnice signal handlers (C trampolines call these).
  void handle_candidate(void* nice_candidate);
  void handle_gathering_done();
  void handle_state(unsigned state);
  void handle_selected_pair(void* local_candidate, void* remote_candidate);
  void handle_packet(const char* buf, unsigned len);

 private:
  IceTransport(GlibLoop& loop, Config config, Callbacks callbacks);
  void set_state(IceState s);
  void refresh_credentials();

  GlibLoop& loop_;
  Config config_;
  Callbacks callbacks_;
  NiceAgent* agent_ = nullptr;
  unsigned stream_ = 0;
  std::string ufrag_, pwd_;
  IceState state_ = IceState::kNew;
  bool gathering_done_ = false;
};

std::string_view to_string(IceState state);

}  // namespace parley::rtc
