// What the signal connection delivers, one virtual per SignalResponse case parley uses
// (livekit-protocol.md §2.5). Messages arrive parsed and checked (see signal_dispatch.h); every
// call is on the signal client's I/O loop. Cases without a method are ignored, as the protocol
// asks of unknown cases.
#pragma once

#include <string>

#include "core/error.h"
#include "livekit/proto/livekit_rtc.pb.h"

namespace parley::livekit {

// The JSON RTCIceCandidateInit carried in TrickleRequest.candidateInit.
struct CandidateInit {
  std::string candidate;          // "candidate:…" (without "a=")
  std::string sdp_mid;            // may be empty when the peer sent null
  int sdp_mline_index = -1;       // -1 when the peer sent null
  std::string username_fragment;  // may be empty
};

class SignalHandler {
 public:
  virtual ~SignalHandler() = default;
  virtual void on_join(const ::livekit::JoinResponse&) {}
  virtual void on_reconnect(const ::livekit::ReconnectResponse&) {}
  // Server offer for the subscriber PC.
  virtual void on_offer(const ::livekit::SessionDescription&) {}
  // Server answer to the publisher PC's offer.
  virtual void on_answer(const ::livekit::SessionDescription&) {}
  // final: the server's last candidate for that PC (candidate may be empty then).
  virtual void on_trickle(::livekit::SignalTarget, const CandidateInit&, bool /*final*/) {}
  virtual void on_participant_update(const ::livekit::ParticipantUpdate&) {}
  virtual void on_track_published(const ::livekit::TrackPublishedResponse&) {}
  virtual void on_track_unpublished(const std::string& /*track_sid*/) {}
  virtual void on_track_subscribed(const std::string& /*track_sid*/) {}
  virtual void on_leave(const ::livekit::LeaveRequest&) {}
  virtual void on_mute(const ::livekit::MuteTrackRequest&) {}
  virtual void on_speakers_changed(const ::livekit::SpeakersChanged&) {}
  virtual void on_room_update(const ::livekit::Room&) {}
  virtual void on_refresh_token(const std::string&) {}
  virtual void on_pong(const ::livekit::Pong&) {}
  virtual void on_subscription_response(const ::livekit::SubscriptionResponse&) {}
  virtual void on_request_response(const ::livekit::RequestResponse&) {}
  virtual void on_media_sections_requirement(const ::livekit::MediaSectionsRequirement&) {}
};

}  // namespace parley::livekit
