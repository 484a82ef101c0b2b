// A lean, audio-only WebRTC peer connection for one LiveKit PeerConnection (publisher or
// subscriber): ICE (libnice) → DTLS 1.2 (OpenSSL) → SRTP (libsrtp2) for Opus RTP/RTCP, and
// SCTP (usrsctp) for data channels, all on one BUNDLEd transport.
//
// Threads: every method, and every callback, runs on the GlibLoop given to create(); create()
// itself must be called on that loop's thread too. Nothing blocks. Callbacks are never called
// after close() or destruction. A callback may call methods of the PeerConnection, but must not
// destroy it synchronously: post() the destruction.
//
// Ownership: the caller owns the PeerConnection; it owns its transports and the AudioTrackSenders
// it hands out (valid until close()/destruction).
//
// Offer/answer (LiveKit v0, see docs/livekit-protocol.md §2.3):
//   - publisher PC: add_audio_track(), create_data_channel("_reliable"/"_lossy"), create_offer(),
//     send it, set_answer() with the server's answer.
//   - subscriber PC: create_answer(server_offer), send it. Data channels the remote opens arrive
//     through on_data_channel_open.
// Local candidates are reported through on_local_candidate only after the SDP they belong to was
// returned by create_offer()/create_answer() (send that SDP first, then trickle them).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/glib_loop.h"
#include "core/log.h"

namespace parley::rtc {

// One trickled ICE candidate, as the browser API (and LiveKit's TrickleRequest.candidateInit) has
// it. `candidate` is "candidate:…" without "a=". An empty candidate means end-of-candidates.
struct IceCandidateInit {
  std::string candidate;
  std::string sdp_mid;
  int sdp_mline_index = 0;
  std::string username_fragment;

  // {"candidate":"candidate:…","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"…"}
  std::string to_json() const;
  // Accepts missing and null fields (pion sends null for unset pointers); rejects non-JSON,
  // non-objects and wrongly typed fields with kInvalidArgument.
  static Result<IceCandidateInit> from_json(std::string_view json);
};

struct IceServer {
  std::vector<std::string> urls;  // stun:host:port, turn:host:port?transport=udp|tcp, turns:…
  std::string username;
  std::string credential;
};

enum class PeerState { kNew, kConnecting, kConnected, kDisconnected, kFailed, kClosed };
std::string_view to_string(PeerState state);

// One received Opus RTP packet (after SRTP).
struct RtpAudioPacket {
  uint32_t ssrc = 0;
  std::string mid;       // the m-section it belongs to (from the SDP's a=ssrc or the mid extension)
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  bool marker = false;
  std::vector<uint8_t> payload;          // the Opus frame
  std::optional<uint8_t> audio_level;    // -dBov 0..127 from ssrc-audio-level, when present
};

// What this end received of one remote SSRC (RFC 3550 A.3 and 6.4.1).
struct RtpReceiveSummary {
  uint32_t ssrc = 0;
  std::string mid;
  uint64_t expected = 0;  // by sequence numbers, since the first packet
  int64_t lost = 0;       // expected − received (negative with duplicates)
  double jitter = 0;      // interarrival jitter, RTP clock units (48 kHz for Opus)
};

// What the far end reported (RTCP receiver report blocks) about one of our senders.
struct RtpSendSummary {
  uint32_t ssrc = 0;
  std::string track_id;
  uint64_t packets_sent = 0;
  uint16_t first_seq = 0;  // the sequence number of our first packet
  uint64_t reports = 0;    // report blocks received about this SSRC
  uint32_t highest_seq = 0;    // extended, as of the last report
  int32_t cumulative_lost = 0;  // as of the last report
  uint32_t jitter = 0;          // as of the last report, RTP clock units
};

struct PeerConfig {
  std::vector<IceServer> ice_servers;
  // Gather on 127.0.0.1 only (tests, and a server on the same host).
  bool loopback_only = false;
  // When not empty (and loopback_only is false): gather only on these local IP addresses, e.g.
  // the one the kernel routes to the server (see route_source_address()). Empty: every
  // non-loopback interface.
  std::vector<std::string> local_addresses;
  bool ice_tcp = true;  // TCP active, to the server's passive candidates (7881)
  bool ice_udp = true;
  std::string name = "pc";  // for logs: "publisher" / "subscriber"
  // The call's logger (call_id, room): every ICE, DTLS, SCTP and data channel line of this
  // PeerConnection goes through it, with pc=<name>.
  log::Logger logger = log::root();
};

struct PeerCallbacks {
  std::function<void(const IceCandidateInit&)> on_local_candidate;
  // Local gathering finished (send TrickleRequest final=true if wanted).
  std::function<void()> on_local_candidates_done;
  std::function<void(PeerState)> on_state;
  std::function<void(const RtpAudioPacket&)> on_audio;
  std::function<void(const std::string& label, std::span<const uint8_t> data, bool binary)> on_data;
  std::function<void(const std::string& label)> on_data_channel_open;
  std::function<void(const std::string& label)> on_data_channel_close;
};

// Sends one Opus track. Owned by the PeerConnection.
class AudioTrackSender {
 public:
  virtual ~AudioTrackSender() = default;
  // The msid track id: equal to AddTrackRequest.cid.
  virtual const std::string& track_id() const = 0;
  virtual uint32_t ssrc() const = 0;
  // The remote side accepted this track's m-section in an answer (JSEP: media flows once the
  // offer/answer that adds it is complete). Until then its owner keeps its audio: RTP on an SSRC
  // the server has no description for yet can be dropped for good (pion gives up on an
  // undeclared SSRC), and the track is then never published (a lost call).
  virtual bool negotiated() const = 0;
  // One Opus frame covering `samples` 48 kHz samples (960 for 20 ms). audio_level_dbov is -dBov
  // (0 loud .. 127 silence) for the ssrc-audio-level extension. Dropped (counted) while the
  // transport is not connected.
  virtual void send_opus(std::span<const uint8_t> frame, uint32_t samples, uint8_t audio_level_dbov) = 0;
};

class PeerConnection {
 public:
  static std::unique_ptr<PeerConnection> create(GlibLoop& loop, PeerConfig config, PeerCallbacks callbacks);

  virtual ~PeerConnection() = default;

  // Subscriber: answer the remote offer (Opus PT 111 only even if RED is listed first; DTLS
  // setup:active; accepts m=application data channels). Re-offers (new tracks, ICE restart) are
  // answered the same way.
  virtual Result<std::string> create_answer(const std::string& remote_offer_sdp) = 0;
  // Publisher: an offer with the data channels (m=application port 9), a sendonly Opus m=audio
  // per added track (no RED, ssrc-audio-level), BUNDLE, rtcp-mux, setup:actpass.
  virtual Result<std::string> create_offer(bool ice_restart = false) = 0;
  virtual Status set_answer(const std::string& remote_answer_sdp) = 0;
  // An empty candidate marks the remote end of candidates. .local (mDNS) candidates are ignored.
  virtual Status add_remote_candidate(const IceCandidateInit& candidate) = 0;

  // Adds a sendonly Opus track; re-offer afterwards. The pointer stays valid until close().
  virtual AudioTrackSender* add_audio_track(const std::string& stream_id, const std::string& track_id) = 0;
  // Announces a data channel (DCEP open) once SCTP is up; offers m=application if not yet.
  // max_retransmits nullopt = reliable.
  virtual Status create_data_channel(const std::string& label, bool ordered, std::optional<int> max_retransmits) = 0;
  // kUnavailable (retryable) while the channel is not open.
  virtual Status send_data(const std::string& label, std::span<const uint8_t> data, bool binary = true) = 0;

  virtual PeerState state() const = 0;
  virtual void close() = 0;

  // Call quality as this end sees it: per received SSRC, and per sender from the far end's RTCP
  // receiver reports (empty until the first report).
  virtual std::vector<RtpReceiveSummary> receive_summaries() const = 0;
  virtual std::vector<RtpSendSummary> send_summaries() const = 0;
};

// The local IP address the kernel would use to reach host (no packet is sent), e.g. to fill
// PeerConfig::local_addresses.
Result<std::string> route_source_address(const std::string& host);

}  // namespace parley::rtc
