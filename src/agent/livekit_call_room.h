// The agent's CallRoom on a real LiveKit room (livekit::Room): joins with a token minted from
// the configuration (or a LiveKit agent job's token, options.token) (agent.identity / agent.name, with the agent grant so the caller's
// transcripts may be sent on the caller's behalf), publishes the agent's voice on one
// microphone track and both sides of the conversation as lk.transcription text streams.
//
// The caller is the admitted participant (or, when none is named, the first participant that
// is not an agent) once its audio track is subscribed (caller_track.h: after a rejoin, the
// caller's new track replaces the old one); on_caller waits until the agent's own
// track is published too, and for a phone call until the SIP bridge reports it answered
// (sip.callStatus "active": an outbound call's participant joins while the phone is still
// "dialing"/"ringing", and the bridge sends the room's audio to the phone only once it is
// answered), and until the server reports a subscriber of the agent's track (the bridge
// subscribes only after the answer), so the greeting is heard from its first word.
//
// Threading: the Room calls back on its media loop; every event is posted to the call's loop
// (`loop`) and dropped there once leave() was called. Methods are called on the call's loop.
// leave() leaves the room (Room::leave) before the last reference to it goes.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/call_room.h"
#include "agent/caller_track.h"
#include "core/config.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/loop_pool.h"
#include "livekit/room/room.h"

namespace parley::agent {

struct LiveKitCallRoomOptions {
  std::string room;
  std::string caller_identity;  // the admitted caller; "" = the first participant that is not an agent
  int input_sample_rate = 16000;  // the caller's audio as the recogniser wants it (pocketsphinx: 16 kHz)
  // A LiveKit agent job's token (its identity is agent.identity, as the worker asked) and where
  // to join; empty: the agent mints its own token for livekit.url.
  std::string token;
  std::string url;
};

class LiveKitCallRoom final : public CallRoom {
 public:
  LiveKitCallRoom(EventLoop& loop, LoopPool& loops, const Config& config, LiveKitCallRoomOptions options,
                  log::Logger logger);
  ~LiveKitCallRoom() override;

  void join(CallRoomEvents events) override;
  void set_audio_source(std::shared_ptr<media::OutgoingAudio> source) override;
  void publish_transcript(const TranscriptSegment& segment) override;
  void leave() override;
  const std::string& agent_identity() const override { return identity_; }
  std::string agent_track_sid() const override;
  CallQuality quality() const override;

 private:
  struct Shared;  // what the room's callbacks reach, held weakly by them
  void on_connected(Result<std::shared_ptr<livekit::Room>> room);
  void on_track_published(Result<std::shared_ptr<livekit::LocalAudioTrack>> track);
  void on_track_subscribed(const livekit::RemoteTrack& track, livekit::ParticipantKind kind);
  const std::optional<RemoteCaller>& caller() const { return caller_track_.caller(); }
  void maybe_announce_caller();
  bool caller_answered() const;
  bool caller_can_hear();
  livekit::RoomCallbacks callbacks();

  EventLoop& loop_;
  LoopPool& loops_;
  std::string url_;
  std::string ca_file_;  // livekit.ca_file
  std::string api_key_;
  std::string api_secret_;
  std::string identity_;
  std::string name_;
  std::chrono::seconds ttl_{0};
  int rejoin_attempts_ = 8;  // livekit.rejoin_attempts
  LiveKitCallRoomOptions options_;
  log::Logger logger_;
  std::shared_ptr<Shared> shared_;

  // Call loop only.
  CallRoomEvents events_;
  std::shared_ptr<livekit::Room> room_;
  std::shared_ptr<livekit::LocalAudioTrack> track_;
  std::shared_ptr<media::OutgoingAudio> audio_source_;  // handed to track_ once it is published
  bool track_ready_ = false;          // published, or failed (then the agent is mute)
  CallerTrack caller_track_;          // audio of its track is the caller's
  std::string caller_quality_sid_;    // the caller's latest track, for quality() after it is gone
  bool caller_announced_ = false;
  bool ringing_announced_ = false;
  // Holding the first words until the agent's track has a subscriber (caller_can_hear).
  bool listener_timer_started_ = false;
  bool listener_wait_over_ = false;
  TimerHandle listener_timer_;
  bool left_ = false;
  std::map<std::string, std::unique_ptr<livekit::TextStreamWriter>> agent_streams_;  // by segment id
  bool transcript_error_logged_ = false;
};

}  // namespace parley::agent
