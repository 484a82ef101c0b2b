#include "livekit/signal/signal_dispatch.h"

#include <nlohmann/json.hpp>

namespace parley::livekit {

namespace lk = ::livekit;
using R = lk::SignalResponse;

namespace {

tl::unexpected<Error> protocol_error(std::string what) {
  return make_error(ErrorCode::kProtocol, "malformed signal message: " + what);
}

Status check_sdp(const lk::SessionDescription& sd, std::string_view expected_type, std::string_view which) {
  if (sd.type() != expected_type) {
    return protocol_error(std::string(which) + " has type '" + sd.type().substr(0, 32) + "', expected '" +
                          std::string(expected_type) + "'");
  }
  if (sd.sdp().rfind("v=0", 0) != 0) return protocol_error(std::string(which) + " SDP does not start with v=0");
  return {};
}

}  // namespace

std::string_view case_name(const lk::SignalResponse& msg) {
  if (msg.message_case() == R::MESSAGE_NOT_SET) return "unknown";
  const auto* field = lk::SignalResponse::descriptor()->FindFieldByNumber(static_cast<int>(msg.message_case()));
  return field != nullptr ? std::string_view(field->name()) : std::string_view("unknown");
}

Result<lk::SignalResponse> parse_signal_response(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxSignalMessageBytes) {
    return protocol_error(std::to_string(bytes.size()) + " bytes is over the 2 MiB limit");
  }
  lk::SignalResponse msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return protocol_error("not a SignalResponse protobuf (" + std::to_string(bytes.size()) + " bytes)");
  }
  return msg;
}

Result<CandidateInit> parse_candidate_init(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return protocol_error("candidateInit is not a JSON object");
  CandidateInit c;
  auto cand = j.find("candidate");
  if (cand == j.end() || !cand->is_string()) return protocol_error("candidateInit has no string 'candidate'");
  c.candidate = cand->get<std::string>();
  if (c.candidate.rfind("a=", 0) == 0) c.candidate.erase(0, 2);
  if (auto mid = j.find("sdpMid"); mid != j.end() && !mid->is_null()) {
    if (!mid->is_string()) return protocol_error("candidateInit.sdpMid is not a string");
    c.sdp_mid = mid->get<std::string>();
  }
  if (auto idx = j.find("sdpMLineIndex"); idx != j.end() && !idx->is_null()) {
    if (!idx->is_number_unsigned() || idx->get<uint64_t>() > 1024) {
      return protocol_error("candidateInit.sdpMLineIndex is not a small unsigned number");
    }
    c.sdp_mline_index = idx->get<int>();
  }
  if (auto uf = j.find("usernameFragment"); uf != j.end() && !uf->is_null()) {
    if (!uf->is_string()) return protocol_error("candidateInit.usernameFragment is not a string");
    c.username_fragment = uf->get<std::string>();
  }
  return c;
}

std::string format_candidate_init(const CandidateInit& c) {
  nlohmann::json j;
  j["candidate"] = c.candidate;
  j["sdpMid"] = c.sdp_mid;
  j["sdpMLineIndex"] = c.sdp_mline_index < 0 ? 0 : c.sdp_mline_index;
  if (!c.username_fragment.empty()) j["usernameFragment"] = c.username_fragment;
  return j.dump();
}

Status dispatch_signal_response(const lk::SignalResponse& msg, SignalHandler& h) {
  switch (msg.message_case()) {
    case R::kJoin: {
      const auto& join = msg.join();
      if (!join.has_participant() || join.participant().sid().empty()) {
        return protocol_error("join response without a participant sid");
      }
      if (join.ping_interval() < 0 || join.ping_timeout() < 0) return protocol_error("negative ping interval");
      h.on_join(join);
      return {};
    }
    case R::kReconnect:
      h.on_reconnect(msg.reconnect());
      return {};
    case R::kOffer: {
      if (auto s = check_sdp(msg.offer(), "offer", "subscriber offer"); !s) return s;
      h.on_offer(msg.offer());
      return {};
    }
    case R::kAnswer: {
      if (auto s = check_sdp(msg.answer(), "answer", "publisher answer"); !s) return s;
      h.on_answer(msg.answer());
      return {};
    }
    case R::kTrickle: {
      const auto& t = msg.trickle();
      if (t.target() != lk::PUBLISHER && t.target() != lk::SUBSCRIBER) {
        return protocol_error("trickle for unknown target " + std::to_string(t.target()));
      }
      CandidateInit c;
      // The server's end-of-candidates may carry an empty candidate.
      if (!(t.final() && t.candidateinit().empty())) {
        auto parsed = parse_candidate_init(t.candidateinit());
        if (!parsed) return tl::unexpected(parsed.error());
        c = std::move(*parsed);
      }
      h.on_trickle(t.target(), c, t.final());
      return {};
    }
    case R::kUpdate:
      h.on_participant_update(msg.update());
      return {};
    case R::kTrackPublished:
      if (msg.track_published().track().sid().empty()) return protocol_error("track_published without a track sid");
      h.on_track_published(msg.track_published());
      return {};
    case R::kTrackUnpublished:
      h.on_track_unpublished(msg.track_unpublished().track_sid());
      return {};
    case R::kTrackSubscribed:
      h.on_track_subscribed(msg.track_subscribed().track_sid());
      return {};
    case R::kLeave:
      h.on_leave(msg.leave());
      return {};
    case R::kMute:
      h.on_mute(msg.mute());
      return {};
    case R::kSpeakersChanged:
      h.on_speakers_changed(msg.speakers_changed());
      return {};
    case R::kRoomUpdate:
      h.on_room_update(msg.room_update().room());
      return {};
    case R::kRefreshToken:
      if (msg.refresh_token().empty() || msg.refresh_token().size() > 16 * 1024) {
        return protocol_error("refresh_token is empty or too long");
      }
      h.on_refresh_token(msg.refresh_token());
      return {};
    case R::kPongResp:
      h.on_pong(msg.pong_resp());
      return {};
    case R::kSubscriptionResponse:
      h.on_subscription_response(msg.subscription_response());
      return {};
    case R::kRequestResponse:
      h.on_request_response(msg.request_response());
      return {};
    case R::kMediaSectionsRequirement:
      h.on_media_sections_requirement(msg.media_sections_requirement());
      return {};
    default:
      return {};  // legacy pong, quality updates and cases parley does not use
  }
}

}  // namespace parley::livekit
