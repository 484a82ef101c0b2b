// A LiveKit room as the rest of parley sees it: participants, their audio as PCM, data
// packets, DTMF and text streams; a local audio track that takes PCM; data and text to send.
// Nothing above this layer sees SDP, RTP or protobuf.
//
// Underneath (LiveKit v0, two PeerConnections): the signal client on an I/O loop, and the
// subscriber and publisher PeerConnections, Opus, jitter buffers and pacing on a media loop;
// post() carries work between them. Every callback runs on the room's media loop; methods may
// be called from any thread.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/log.h"
#include "core/loop_pool.h"
#include "livekit/room/audio_quality.h"
#include "media/audio_frame.h"
#include "media/frame_ring.h"

namespace parley::livekit {

enum class ParticipantKind { kStandard, kIngress, kEgress, kSip, kAgent, kConnector, kBridge };
std::string_view to_string(ParticipantKind k);

struct Participant {
  std::string sid;
  std::string identity;
  std::string name;
  ParticipantKind kind = ParticipantKind::kStandard;
  std::map<std::string, std::string> attributes;
  std::string metadata;
};

struct RemoteTrack {
  std::string sid;               // TR_…
  std::string participant_sid;
  std::string participant_identity;
  std::string name;
  bool audio = true;
};

struct DataMessage {
  std::string sender_identity;  // set by the server
  std::string topic;
  std::string payload;  // bytes
  bool reliable = true;
};

struct DtmfEvent {
  std::string sender_identity;
  std::string digit;  // "0"…"9", "*", "#", "A"…"D"
  uint32_t code = 0;  // RFC 4733 event
};

struct TextMessage {
  std::string sender_identity;
  std::string topic;  // lk.chat, lk.transcription, …
  std::string text;
  std::map<std::string, std::string> attributes;
  std::string stream_id;
};

struct RoomOptions {
  bool auto_subscribe = true;
  // How long an auto-subscribing room waits for the server to offer a remote audio track before
  // it asks for it explicitly (subscription_watch.h); 0: never asks.
  std::chrono::milliseconds subscribe_grace{4000};
  int audio_sample_rate = 48000;  // the rate of the PCM handed to on_audio
  // on_audio gets each frame as soon as it is here in order (a recogniser: nothing is gained by
  // holding it), instead of one per 20 ms tick behind the jitter buffer's delay (a listener).
  // Either way a missing packet is waited for, then concealed, and silence is paced.
  bool audio_as_received = false;
  std::chrono::milliseconds connect_timeout{20'000};
  bool ice_udp = true;
  bool ice_tcp = true;
  // Full rejoins after the server went away (livekit.rejoin_attempts), spaced by
  // rejoin_schedule.h's exponential backoff.
  int rejoin_attempts = 8;
  // Tries of the first join, spaced by the same backoff, when it fails with what may pass (the
  // server restarting: connection refused, 5xx, a timeout); never after 401, 403 or 404. Each try
  // has its own connect_timeout. 1: fail at once (parley diagnose reports the first failure).
  int join_attempts = 1;
  std::string ca_file;  // extra trusted CAs for wss:// (livekit.ca_file), besides the system store
  // The I/O loop for the signal client: a call's own loop, so the call's agent and its signal
  // connection share one thread (one post fewer per signal message). nullptr: the pool's next.
  AsioLoop* signal_loop = nullptr;
  log::Logger logger = log::root();
};

// The steps of joining, in order (RoomCallbacks::on_connect_step).
enum class ConnectStep {
  kSignalOpen,    // the signal WebSocket to /rtc is upgraded
  kJoined,        // the JoinResponse arrived
  kIceConnected,  // the subscriber PeerConnection connected (ICE and DTLS): connect() is done
};
std::string_view to_string(ConnectStep s);

struct RoomCallbacks {
  // Progress of connect(), one call per step reached (not during later reconnections): a failed
  // connect can then say which step it did not reach (parley diagnose).
  std::function<void(ConnectStep)> on_connect_step;
  std::function<void(const Participant&)> on_participant_joined;
  std::function<void(const Participant&)> on_participant_left;
  // A known participant's info changed (attributes, metadata, name): e.g. a SIP participant's
  // sip.callStatus going from "ringing" to "active".
  std::function<void(const Participant&)> on_participant_updated;
  std::function<void(const RemoteTrack&)> on_track_subscribed;
  std::function<void(const RemoteTrack&)> on_track_unsubscribed;
  // A local track got its first subscriber (LocalAudioTrack::subscribed turned true); its sid.
  std::function<void(const std::string&)> on_local_track_subscribed;
  // 20 ms mono frames at RoomOptions::audio_sample_rate, per subscribed audio track: one per tick,
  // or in bursts as they arrive with RoomOptions::audio_as_received.
  std::function<void(const RemoteTrack&, const media::AudioFrame&)> on_audio;
  std::function<void(const DataMessage&)> on_data;
  std::function<void(const DtmfEvent&)> on_dtmf;
  std::function<void(const TextMessage&)> on_text;
  // The signal connection dropped and the session resumed (or rejoined: full == true).
  std::function<void(bool full)> on_reconnected;
  // The room is gone for good (server leave, failed reconnection); not called after leave().
  std::function<void(const Error&)> on_disconnected;
};

// Intervals between consecutive sent frames of a local track, in 1 ms buckets: ms[i] counts
// intervals in [i, i + 1) ms, the last bucket everything longer. Only intervals where audio was
// waiting at both sends count (a gap in what was pushed is no pacing fault).
struct SendIntervals {
  static constexpr size_t kBuckets = 101;
  std::array<uint64_t, kBuckets> ms{};
  uint64_t count() const;
  // The smallest bound b (ms) such that at least q of the intervals are below b; 0 when empty.
  double quantile_upper_ms(double q) const;
};

// A published microphone-style audio track. It sends what its source gives: the media loop's
// shared 20 ms tick pulls one frame (48 kHz mono, 20 ms) from the source per tick, Opus-encodes
// it and sends it; that tick is the only pacing clock. With no source, or none to give, the
// track sends a few frames of silence after its last sound and then nothing. Thread-safe.
class LocalAudioTrack {
 public:
  virtual ~LocalAudioTrack() = default;
  // Replaces the source (nullptr: none). Any thread; taken on the track's next tick.
  virtual void set_source(std::shared_ptr<media::OutgoingAudio> source) = 0;
  // TR_… once published; a new one after a full rejoin republished the track.
  virtual std::string sid() const = 0;
  virtual uint64_t frames_sent() const = 0;
  // Some subscriber's copy of the track is bound and connected (LiveKit's TrackSubscribed, which
  // the server sends once per track, for its first subscriber that is not hidden): from now on
  // what the track sends is heard. Before that the server forwards it to nobody. Any thread.
  virtual bool subscribed() const = 0;
  // Pacing as sent (cheap: one relaxed counter per frame). Any thread.
  virtual SendIntervals send_intervals() const = 0;
};

// An open text stream: the header went out when it was opened; each write() sends one or more
// chunks at once (so a reader sees the text as it comes), close() sends the trailer, whose
// attributes are merged over the header's. Dropping an open writer closes it. Any thread; like
// Room's sends, nothing waits for the packets to go out.
class TextStreamWriter {
 public:
  virtual ~TextStreamWriter() = default;
  virtual Status write(const std::string& text) = 0;
  virtual Status close(std::map<std::string, std::string> trailer_attributes = {}) = 0;
  virtual const std::string& id() const = 0;  // TS_…
};

struct TextStreamOptions {
  std::map<std::string, std::string> attributes;
  std::vector<std::string> destinations;  // empty = everyone
  // On whose behalf the stream is sent ("" = ourselves). The server keeps it on the header
  // only for agent participants (a token with the agent grant): transcripts of the caller.
  std::string sender_identity;
};

class Room : public std::enable_shared_from_this<Room> {
 public:
  using ConnectDone = std::function<void(Result<std::shared_ptr<Room>>)>;
  // Joins: signal, JoinResponse, subscriber answer, ICE connected. done runs on the media loop.
  static void connect(LoopPool& loops, std::string url, std::string token, RoomOptions options,
                      RoomCallbacks callbacks, ConnectDone done);
  // The same, blocking the calling thread (not a loop thread) until done.
  static Result<std::shared_ptr<Room>> connect_sync(LoopPool& loops, std::string url, std::string token,
                                                    RoomOptions options, RoomCallbacks callbacks);
  virtual ~Room() = default;

  // Publishes a Microphone track named `name`; done once the server confirmed it (track_published).
  virtual void publish_audio(std::string name, std::function<void(Result<std::shared_ptr<LocalAudioTrack>>)> done) = 0;
  // Sends: fire-and-forget. Each returns once its packets are queued for the media loop, never
  // waiting for them (callers are loops); an error now means the room is closed or the input is
  // bad, and a send that fails later is logged and counted (parley_room_data_send_failures_total).
  // Sends a user packet on _reliable or _lossy; empty destinations = everyone.
  virtual Status send_data(std::string payload, std::string topic, bool reliable = true,
                           std::vector<std::string> destinations = {}) = 0;
  // Sends a text stream (header, chunks of at most 15 000 bytes on UTF-8 boundaries, trailer).
  virtual Status send_text(std::string text, std::string topic, std::map<std::string, std::string> attributes = {},
                           std::vector<std::string> destinations = {}) = 0;
  // Opens a text stream (header now, chunks as written, trailer at close) for text that is not
  // known in advance, like an agent's speech streamed as it is spoken.
  virtual Result<std::unique_ptr<TextStreamWriter>> open_text_stream(std::string topic, TextStreamOptions options) = 0;
  // Leaves (leave{CLIENT_INITIATED}, close 1000), closes the PeerConnections and frees and zeroes
  // audio buffers. No callbacks afterwards. done (optional) runs when it is over.
  virtual void leave(std::function<void()> done = {}) = 0;
  // Blocking leave from a non-loop thread.
  void leave_sync();

  // Call quality of a track (audio_quality.h): a remote track as received here, or one of our
  // published tracks as the server reports receiving it. Refreshed every second while the track
  // exists, kept after it is gone; nullopt for a track never measured. Any thread.
  virtual std::optional<AudioQuality> audio_quality(const std::string& track_sid) const = 0;

  virtual Participant local_participant() const = 0;
  virtual std::vector<Participant> remote_participants() const = 0;
  virtual std::string room_name() const = 0;
  // Test hook: drops the signal connection as a network failure would (the room resumes).
  virtual void drop_signal_for_test() = 0;
};

}  // namespace parley::livekit
