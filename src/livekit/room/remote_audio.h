// The room's subscribed remote audio tracks (media loop only): which track each subscriber
// transceiver (mid) carries, from the server's offer; a jitter buffer per track for its RTP;
// and its frames out to RoomCallbacks::on_audio at RoomOptions::audio_sample_rate: one per
// announced track on each 20 ms tick, or, as received (RoomOptions::audio_as_received), each as
// soon as it is here in order, with the tick only for what is overdue. A track is announced
// (on_track_subscribed) once its participant's identity is known, and unannounced
// (on_track_unsubscribed) when it goes.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/log.h"
#include "livekit/proto/livekit_models.pb.h"
#include "livekit/room/audio_quality.h"
#include "livekit/room/room.h"
#include "livekit/room/sdp_tracks.h"
#include "livekit/rtc/peer_connection.h"
#include "media/jitter_buffer.h"
#include "media/resampler.h"

namespace parley::livekit {

// The receive jitter buffer's options: its minimum safe depth on a clean network (one frame),
// growing only when jitter is seen.
media::JitterBufferOptions receive_jitter_options();

class RemoteAudio {
 public:
  // `callbacks` and `log` are the room's, read at each use (the room clears its callbacks when
  // it closes, and names its log once joined).
  RemoteAudio(const RoomCallbacks& callbacks, const log::Logger& log, int sample_rate, bool as_received = false);

  // The subscriber's tracks as its latest offer lists them (by mid): new ones get a jitter
  // buffer, gone ones are unannounced. identity_of names a participant by sid.
  void apply(const std::map<std::string, SdpTrack>& tracks,
             const std::function<std::optional<std::string>(const std::string&)>& identity_of);
  // A remote participant's info arrived: names and announces its tracks we hold.
  void participant_updated(const ::livekit::ParticipantInfo& p);
  // Unannounces and forgets a participant's tracks.
  void participant_left(const std::string& participant_sid);
  void track_unpublished(const std::string& track_sid);
  // Unannounces and forgets every track (a join from scratch).
  void clear();

  // As received, the frames it completes go to on_audio at once; stops early once `closed` is
  // set (a callback may leave the room).
  void on_rtp(const rtc::RtpAudioPacket& p, const bool& closed);
  // Each 20 ms tick: one frame per announced track to on_audio (as received: what is overdue);
  // stops early once `closed` is set.
  void pump(const bool& closed);
  // The quality of each track as received, by track sid, into `out`.
  void measure(const std::vector<rtc::RtpReceiveSummary>& received, std::map<std::string, AudioQuality>& out) const;

  bool empty() const { return tracks_.empty(); }
  std::vector<std::string> track_sids() const;

 private:
  struct Track {
    RemoteTrack info;
    std::unique_ptr<media::JitterBuffer> jitter;
    std::unique_ptr<media::Resampler> resampler;
    bool announced = false;
  };
  void deliver(Track& t, const media::JitterFrame& f);
  // As received: the track's frames that are here, to on_audio; false once `closed` is set.
  bool drain(Track& t, const bool& closed);
  void announce(Track& t);
  void unannounce(const Track& t);

  const RoomCallbacks& cb_;
  const log::Logger& log_;
  int sample_rate_;
  bool as_received_;
  std::map<std::string, Track> tracks_;               // by track sid
  std::map<std::string, std::string> mid_to_track_;  // subscriber mid -> track sid
};

}  // namespace parley::livekit
