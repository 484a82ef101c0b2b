#include "agent/livekit_call_room.h"

#include <atomic>

#include "livekit/auth/access_token.h"

namespace parley::agent {

namespace {

constexpr const char* kTranscriptionTopic = "lk.transcription";
constexpr const char* kAgentTrackName = "agent-voice";
// Set by LiveKit's SIP bridge on its participant: "dialing", "ringing", "automation", "active",
// "hangup" (livekit/sip pkg/sip/participant.go CallStatus.Attribute).
constexpr const char* kSipCallStatus = "sip.callStatus";
constexpr const char* kSipHangup = "hangup";
// How long the agent holds its first words for the server to report a subscriber of its track
// (LocalAudioTrack::subscribed). A bound subscription normally follows the answer within tens of
// milliseconds; past this the agent speaks anyway (a server that does not send TrackSubscribed).
constexpr std::chrono::milliseconds kListenerWait{1500};

// The join token lives as long as the longest call may (plus a margin): the room reconnects
// with it after a network failure.
std::chrono::seconds token_ttl(const Config& config) {
  auto call = std::chrono::duration_cast<std::chrono::seconds>(config.calls.max_duration);
  return std::max<std::chrono::seconds>(call, std::chrono::minutes(10)) + std::chrono::minutes(10);
}

}  // namespace

// The room's callbacks hold this weakly. Once leave() ran (or the call room is gone) `closed`
// is set on the call's loop and nothing posted afterwards touches the call room.
struct LiveKitCallRoom::Shared {
  EventLoop* loop = nullptr;
  std::atomic<bool> closed{false};
  std::map<std::string, livekit::ParticipantKind> kinds;  // call loop only: by identity
  std::map<std::string, std::string> call_status;         // call loop only: sip.callStatus by identity
  std::map<std::string, std::map<std::string, std::string>> attributes;  // call loop only: by identity
};

LiveKitCallRoom::LiveKitCallRoom(EventLoop& loop, LoopPool& loops, const Config& config, LiveKitCallRoomOptions options,
                                 log::Logger logger)
    : loop_(loop),
      loops_(loops),
      url_(config.livekit.url),
      ca_file_(config.livekit.ca_file),
      api_key_(config.livekit.api_key),
      api_secret_(config.livekit.api_secret),
      identity_(config.agent.identity),
      name_(config.agent.name),
      options_(std::move(options)),
      logger_(std::move(logger)),
      shared_(std::make_shared<Shared>()),
      caller_track_(identity_, options_.caller_identity) {
  shared_->loop = &loop_;
  ttl_ = token_ttl(config);
  rejoin_attempts_ = config.livekit.rejoin_attempts;
}

LiveKitCallRoom::~LiveKitCallRoom() { leave(); }

livekit::RoomCallbacks LiveKitCallRoom::callbacks() {
  // Every callback: from the media loop to the call's loop, and only while the room is wanted.
  std::weak_ptr<Shared> weak = shared_;
  auto* self = this;
  auto on_loop = [weak, self](auto fn) {
    auto shared = weak.lock();
    if (!shared || shared->closed) return;
    shared->loop->post([weak, self, fn = std::move(fn)]() mutable {
      auto s = weak.lock();
      if (s && !s->closed) fn(*self);
    });
  };
  livekit::RoomCallbacks cb;
  auto status_of = [](const livekit::Participant& p) {
    auto it = p.attributes.find(kSipCallStatus);
    return it == p.attributes.end() ? std::string() : it->second;
  };
  cb.on_participant_joined = [on_loop, status_of](const livekit::Participant& p) {
    on_loop([identity = p.identity, kind = p.kind, status = status_of(p), attributes = p.attributes](LiveKitCallRoom& r) {
      r.shared_->kinds[identity] = kind;
      r.shared_->call_status[identity] = status;
      r.shared_->attributes[identity] = attributes;
    });
  };
  cb.on_participant_updated = [on_loop, status_of](const livekit::Participant& p) {
    on_loop([identity = p.identity, status = status_of(p), attributes = p.attributes](LiveKitCallRoom& r) {
      r.shared_->attributes[identity] = attributes;
      auto& known = r.shared_->call_status[identity];
      if (known == status) return;
      known = status;
      if (r.caller() && r.caller()->identity == identity) {
        r.logger_.info("the caller's call status changed", {{"sip_call_status", status}});
        // The phone side is gone for good (livekit-sip sets it on BYE, CANCEL or a media
        // timeout). The bridge's participant normally leaves at once, but a bridge that closes
        // without a clean leave stays in the room until the server times it out: the call is
        // over either way, as for a caller who left.
        if (status == kSipHangup) {
          if (r.events_.on_participant_left) r.events_.on_participant_left(identity);
          return;
        }
        r.maybe_announce_caller();
      }
    });
  };
  cb.on_participant_left = [on_loop](const livekit::Participant& p) {
    on_loop([identity = p.identity](LiveKitCallRoom& r) {
      r.shared_->kinds.erase(identity);
      r.shared_->call_status.erase(identity);
      r.shared_->attributes.erase(identity);
      if (r.events_.on_participant_left) r.events_.on_participant_left(identity);
    });
  };
  cb.on_track_subscribed = [on_loop](const livekit::RemoteTrack& t) {
    if (!t.audio) return;
    on_loop([t](LiveKitCallRoom& r) {
      auto it = r.shared_->kinds.find(t.participant_identity);
      r.on_track_subscribed(t, it == r.shared_->kinds.end() ? livekit::ParticipantKind::kStandard : it->second);
    });
  };
  cb.on_track_unsubscribed = [on_loop](const livekit::RemoteTrack& t) {
    on_loop([t](LiveKitCallRoom& r) {
      if (r.caller_track_.on_unsubscribed(t)) {
        r.logger_.info("the caller's audio track is gone; waiting for its next one", {{"track", t.sid}});
      }
    });
  };
  cb.on_local_track_subscribed = [on_loop](const std::string&) {
    on_loop([](LiveKitCallRoom& r) { r.maybe_announce_caller(); });
  };
  cb.on_reconnected = [on_loop](bool full) {
    on_loop([full](LiveKitCallRoom& r) {
      r.logger_.info(full ? "the agent rejoined the room" : "the agent's room connection resumed",
                     {{"caller_track", r.caller_track_.sid()}});
    });
  };
  cb.on_audio = [on_loop](const livekit::RemoteTrack& t, const media::AudioFrame& f) {
    on_loop([sid = t.sid, f](LiveKitCallRoom& r) {
      if (r.caller_announced_ && r.caller_track_.is_caller_audio(sid) && r.events_.on_caller_audio) {
        r.events_.on_caller_audio(f);
      }
    });
  };
  cb.on_dtmf = [on_loop](const livekit::DtmfEvent& d) {
    if (d.digit.size() != 1) return;
    on_loop([d](LiveKitCallRoom& r) {
      if (!r.caller() || d.sender_identity != r.caller()->identity || !r.events_.on_dtmf) return;
      r.events_.on_dtmf(d.digit[0]);
    });
  };
  cb.on_disconnected = [on_loop](const Error& e) {
    on_loop([e](LiveKitCallRoom& r) {
      r.logger_.warn("the agent's room connection is gone", {{"error", e.to_string()}});
      if (r.events_.on_disconnected) r.events_.on_disconnected("disconnected");
    });
  };
  return cb;
}

void LiveKitCallRoom::join(CallRoomEvents events) {
  events_ = std::move(events);
  livekit::TokenClaims claims;
  claims.identity = identity_;
  claims.name = name_;
  livekit::VideoGrant grant;
  grant.room_join = true;
  grant.room = options_.room;
  grant.agent = true;  // kind AGENT: the server keeps the caller's identity on the caller's transcripts
  claims.video = grant;
  Result<std::string> token =
      options_.token.empty() ? livekit::mint_token(claims, api_key_, api_secret_, ttl_) : Result<std::string>(options_.token);
  if (!token) {
    auto e = token.error();
    loop_.post([weak = std::weak_ptr<Shared>(shared_), this, e] {
      auto s = weak.lock();
      if (s && !s->closed && events_.on_joined) events_.on_joined(tl::unexpected(e));
    });
    return;
  }
  livekit::RoomOptions ro;
  ro.audio_sample_rate = options_.input_sample_rate;
  // The caller's audio feeds the VAD and the recogniser, not a loudspeaker: each frame as soon
  // as it is here (issue 15: a caller that sends in bursts kept 40-80 ms more in the buffer).
  ro.audio_as_received = true;
  ro.rejoin_attempts = rejoin_attempts_;
  // The caller waits on the phone: a server restarting right then is worth waiting for.
  ro.join_attempts = rejoin_attempts_;
  ro.ca_file = ca_file_;
  ro.logger = logger_;
  // The room's signal client on the call's own loop when that is an I/O loop (parley serve):
  // a call then spans two loops, this one and its media loop, instead of three.
  ro.signal_loop = dynamic_cast<AsioLoop*>(&loop_);
  std::weak_ptr<Shared> weak = shared_;
  livekit::Room::connect(loops_, options_.url.empty() ? url_ : options_.url, *token, std::move(ro), callbacks(),
                         [weak, this](Result<std::shared_ptr<livekit::Room>> room) {
                           auto shared = weak.lock();
                           if (!shared || shared->closed) {
                             if (room) (*room)->leave();  // nobody wants it any more
                             return;
                           }
                           shared->loop->post([weak, this, room = std::move(room)]() mutable {
                             auto s = weak.lock();
                             if (!s || s->closed) {
                               if (room) (*room)->leave();
                               return;
                             }
                             on_connected(std::move(room));
                           });
                         });
}

void LiveKitCallRoom::on_connected(Result<std::shared_ptr<livekit::Room>> room) {
  if (!room) {
    if (events_.on_joined) events_.on_joined(tl::unexpected(room.error()));
    return;
  }
  room_ = std::move(*room);
  if (events_.on_joined) events_.on_joined({});
  if (left_) return;  // on_joined may have ended the call
  std::weak_ptr<Shared> weak = shared_;
  room_->publish_audio(kAgentTrackName, [weak, this](Result<std::shared_ptr<livekit::LocalAudioTrack>> track) {
    auto shared = weak.lock();
    if (!shared || shared->closed) return;
    shared->loop->post([weak, this, track = std::move(track)]() mutable {
      auto s = weak.lock();
      if (s && !s->closed) on_track_published(std::move(track));
    });
  });
}

void LiveKitCallRoom::on_track_published(Result<std::shared_ptr<livekit::LocalAudioTrack>> track) {
  track_ready_ = true;
  if (!track) {
    // A voice agent that cannot speak cannot hold the call.
    logger_.error("could not publish the agent's audio track", {{"error", track.error().to_string()}});
    if (events_.on_disconnected) events_.on_disconnected("publish_failed");
    return;
  }
  track_ = std::move(*track);
  track_->set_source(audio_source_);
  logger_.info("agent audio track published", {{"track", track_->sid()}});
  maybe_announce_caller();
}

void LiveKitCallRoom::on_track_subscribed(const livekit::RemoteTrack& track, livekit::ParticipantKind kind) {
  auto change = caller_track_.on_subscribed(track, kind);  // one caller per call
  if (change == CallerTrack::Change::kNone) return;
  caller_quality_sid_ = track.sid;
  if (change == CallerTrack::Change::kReplaced) {
    logger_.info("listening to the caller's new audio track", {{"track", track.sid}});
    if (caller_announced_ && events_.on_caller_track) events_.on_caller_track(*caller());
    return;
  }
  maybe_announce_caller();
}

bool LiveKitCallRoom::caller_answered() const {
  if (!caller() || !caller()->sip) return true;
  auto it = shared_->call_status.find(caller()->identity);
  // No status at all: not LiveKit's bridge, or one that does not report it; nothing to wait for.
  return it == shared_->call_status.end() || it->second.empty() || it->second == "active";
}

void LiveKitCallRoom::maybe_announce_caller() {
  if (caller_announced_ || !caller() || !track_ready_ || left_) return;
  if (!caller_answered()) {
    if (!ringing_announced_) {
      ringing_announced_ = true;
      logger_.info("the caller's phone is not answered yet; waiting",
                   {{"sip_call_status", shared_->call_status[caller()->identity]}});
      if (events_.on_caller_ringing) events_.on_caller_ringing(*caller());
    }
    return;
  }
  if (!caller_can_hear()) return;
  caller_announced_ = true;
  RemoteCaller announced = *caller();
  announced.attributes = shared_->attributes[announced.identity];
  if (events_.on_caller) events_.on_caller(announced);
}

// The agent speaks first, so the caller must be able to hear it by then. A SIP bridge subscribes
// to the agent's track only once the phone is answered, after it reports "active" (livekit-sip
// outbound.go, connectSIP: dialSIP sets the status, then Subscribe()), and until the server has
// bound that subscription it forwards the track to nobody: the greeting raced the bridge and, on
// a loaded machine, lost its first word. An inbound call's bridge answers only once it has
// subscribed, so it does not wait; a WebRTC caller's subscription is bound some tens of ms after
// the agent has the caller's audio (docs/performance.md, "Seventh").
bool LiveKitCallRoom::caller_can_hear() {
  if (!track_ || track_->subscribed() || listener_wait_over_) return true;
  if (!listener_timer_started_) {
    listener_timer_started_ = true;
    logger_.debug("waiting for the caller to subscribe to the agent's audio before speaking");
    std::weak_ptr<Shared> weak = shared_;
    listener_timer_ = loop_.post_after(kListenerWait, [weak, this] {
      auto s = weak.lock();
      if (!s || s->closed || caller_announced_) return;
      listener_wait_over_ = true;
      logger_.warn("the server reported no subscriber of the agent's audio; speaking anyway",
                   {{"waited_ms", kListenerWait.count()}});
      maybe_announce_caller();
    });
  }
  return false;
}

void LiveKitCallRoom::set_audio_source(std::shared_ptr<media::OutgoingAudio> source) {
  audio_source_ = std::move(source);
  if (track_) track_->set_source(audio_source_);
}

std::string LiveKitCallRoom::agent_track_sid() const { return track_ ? track_->sid() : std::string(); }

CallQuality LiveKitCallRoom::quality() const {
  CallQuality q;
  if (!room_) return q;
  if (!caller_quality_sid_.empty()) q.caller_to_agent = room_->audio_quality(caller_quality_sid_);
  if (track_ && !track_->sid().empty()) q.agent_to_caller = room_->audio_quality(track_->sid());
  return q;
}

void LiveKitCallRoom::publish_transcript(const TranscriptSegment& segment) {
  if (!room_ || left_) return;
  auto failed = [this](const Error& e) {
    if (transcript_error_logged_) return;
    transcript_error_logged_ = true;
    logger_.warn("transcript not sent", {{"error", e.to_string()}});
  };
  std::map<std::string, std::string> attributes = {{"lk.segment_id", segment.segment_id},
                                                   {"lk.transcribed_track_id", segment.track_sid},
                                                   {"lk.transcription_final", "false"}};
  if (segment.agent) {
    // One stream per segment: deltas as chunks while it is spoken, final in the trailer.
    auto it = agent_streams_.find(segment.segment_id);
    if (it == agent_streams_.end()) {
      livekit::TextStreamOptions o;
      o.attributes = attributes;
      auto w = room_->open_text_stream(kTranscriptionTopic, std::move(o));
      if (!w) return failed(w.error());
      it = agent_streams_.emplace(segment.segment_id, std::move(*w)).first;
    }
    if (auto s = it->second->write(segment.text); !s) failed(s.error());
    if (segment.final) {
      if (auto s = it->second->close({{"lk.transcription_final", "true"}}); !s) failed(s.error());
      agent_streams_.erase(it);
    }
    return;
  }
  // The caller's words: a whole stream per update, sent on the caller's behalf.
  attributes["lk.transcription_final"] = segment.final ? "true" : "false";
  livekit::TextStreamOptions o;
  o.attributes = std::move(attributes);
  o.sender_identity = segment.participant_identity;
  auto w = room_->open_text_stream(kTranscriptionTopic, std::move(o));
  if (!w) return failed(w.error());
  if (auto s = (*w)->write(segment.text); !s) failed(s.error());
  if (auto s = (*w)->close(); !s) failed(s.error());
}

void LiveKitCallRoom::leave() {
  if (left_) return;
  left_ = true;
  shared_->closed = true;
  // Close open agent streams (their trailers say final) while the room still sends.
  for (auto& [id, w] : agent_streams_) (void)w->close({{"lk.transcription_final", "true"}});
  agent_streams_.clear();
  if (track_) track_->set_source(nullptr);  // nothing more of the agent's voice goes out
  track_.reset();
  if (room_) room_->leave();
  room_.reset();
}

}  // namespace parley::agent
