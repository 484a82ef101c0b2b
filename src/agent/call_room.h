// What the agent needs from its room: join, the caller's audio and keypad digits in, the
// agent's audio and transcripts out, leave. The real one sits on livekit/room (signal + WebRTC);
// tests use a fake. Keeps LiveKit's protocol (text streams, data packets) out of the agent.
//
// Threading: every method is called on the call's loop, and every event comes on it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "agent/call_quality.h"
#include "core/error.h"
#include "media/audio_frame.h"
#include "media/frame_ring.h"

namespace parley::agent {

// A line of the conversation for the room's lk.transcription text streams.
struct TranscriptSegment {
  std::string participant_identity;  // whose speech it is
  std::string track_sid;             // the transcribed audio track ("" when unknown)
  std::string segment_id;
  std::string text;                  // agent: the next piece (delta); caller: the whole text so far
  bool final = false;
  bool agent = false;                // agent speech streams deltas per segment; caller text is whole per update
};

struct RemoteCaller {
  std::string identity;
  std::string track_sid;
  bool sip = false;  // a SIP participant (phone call) rather than an app
  // The caller's participant attributes when it was announced (sip.trunkPhoneNumber, sip.trunkID…):
  // which of our lines the call is on.
  std::map<std::string, std::string> attributes;
};

struct CallRoomEvents {
  std::function<void(Status status)> on_joined;
  // The caller's audio is subscribed and the caller can hear the agent: for a phone call, once
  // the SIP bridge says the call is answered (sip.callStatus "active").
  std::function<void(const RemoteCaller& caller)> on_caller;
  // A phone caller is in the room but its phone still rings (an outbound call not yet answered,
  // or an inbound one the bridge has not answered yet); on_caller follows once it is answered.
  std::function<void(const RemoteCaller& caller)> on_caller_ringing;
  // The caller's audio now comes on another track (the room rejoined after a server restart and
  // the caller republished): transcripts of the caller name this track from now on.
  std::function<void(const RemoteCaller& caller)> on_caller_track;
  std::function<void(const media::AudioFrame& frame)> on_caller_audio;
  std::function<void(char digit)> on_dtmf;
  std::function<void(const std::string& identity)> on_participant_left;
  std::function<void(const std::string& reason)> on_disconnected;  // the room closed or the connection is gone
};

class CallRoom {
 public:
  virtual ~CallRoom() = default;
  virtual void join(CallRoomEvents events) = 0;
  // The agent's voice: the room pulls one 20 ms mono 48 kHz frame from `source` on each tick of
  // its own 20 ms clock (the real room: its media loop's shared frame tick), so the source never
  // paces. nullptr: none. Kept for the agent's track whether it is published yet or not.
  virtual void set_audio_source(std::shared_ptr<media::OutgoingAudio> source) = 0;
  virtual void publish_transcript(const TranscriptSegment& segment) = 0;
  virtual void leave() = 0;
  virtual const std::string& agent_identity() const = 0;
  virtual std::string agent_track_sid() const { return {}; }
  // Both legs' audio quality so far (call_quality.h); empty before the caller's audio flows.
  // Call before leave().
  virtual CallQuality quality() const { return {}; }
};

// Hang-up and transfer through LiveKit's server API. Callbacks may come on any thread.
class CallControl {
 public:
  virtual ~CallControl() = default;
  // RemoveParticipant: for a SIP participant, that hangs up the phone call.
  virtual void hang_up(const std::string& room, const std::string& identity, std::function<void(Status)> done) = 0;
  // TransferSIPParticipant (SIP REFER) to a sip: or tel: URI.
  virtual void transfer(const std::string& room, const std::string& identity, const std::string& to,
                        std::function<void(Status)> done) = 0;
  // UpdateRoomMetadata (the call's continuity record, agent/call_continuity.h). Not every
  // control can: the default answers at once that it did nothing.
  virtual void set_room_metadata(const std::string& room, const std::string& metadata, std::function<void(Status)> done) {
    (void)room, (void)metadata;
    done(make_error(ErrorCode::kUnavailable, "this call control cannot write room metadata"));
  }
};

}  // namespace parley::agent
