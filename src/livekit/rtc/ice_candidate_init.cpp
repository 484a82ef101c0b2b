// IceCandidateInit <-> the JSON LiveKit carries in TrickleRequest.candidateInit (§2.6).
#include <nlohmann/json.hpp>

#include "livekit/rtc/peer_connection.h"

namespace parley::rtc {

std::string IceCandidateInit::to_json() const {
  nlohmann::json j = {{"candidate", candidate}, {"sdpMid", sdp_mid}, {"sdpMLineIndex", sdp_mline_index}};
  if (!username_fragment.empty()) j["usernameFragment"] = username_fragment;
  return j.dump();
}

Result<IceCandidateInit> IceCandidateInit::from_json(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(ErrorCode::kInvalidArgument, "ICE candidate: not JSON");
  if (!j.is_object()) return make_error(ErrorCode::kInvalidArgument, "ICE candidate: JSON is not an object");
  IceCandidateInit out;
  // pion marshals unset pointer fields as null: treat null like absent.
  auto get_string = [&](const char* key, std::string& dst) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_string()) {
      return make_error(ErrorCode::kInvalidArgument, std::string("ICE candidate: '") + key + "' is not a string");
    }
    dst = it->get<std::string>();
    return {};
  };
  if (auto s = get_string("candidate", out.candidate); !s) return tl::unexpected(s.error());
  if (auto s = get_string("sdpMid", out.sdp_mid); !s) return tl::unexpected(s.error());
  if (auto s = get_string("usernameFragment", out.username_fragment); !s) return tl::unexpected(s.error());
  if (auto it = j.find("sdpMLineIndex"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() > 1024) {
      return make_error(ErrorCode::kInvalidArgument, "ICE candidate: 'sdpMLineIndex' is not a small non-negative integer");
    }
    out.sdp_mline_index = it->get<int>();
  }
  if (out.candidate.rfind("a=", 0) == 0) out.candidate.erase(0, 2);
  if (!out.candidate.empty() && out.candidate.rfind("candidate:", 0) != 0) {
    return make_error(ErrorCode::kInvalidArgument, "ICE candidate: 'candidate' does not start with 'candidate:'");
  }
  return out;
}

std::string_view to_string(PeerState state) {
  switch (state) {
    case PeerState::kNew: return "new";
    case PeerState::kConnecting: return "connecting";
    case PeerState::kConnected: return "connected";
    case PeerState::kDisconnected: return "disconnected";
    case PeerState::kFailed: return "failed";
    case PeerState::kClosed: return "closed";
  }
  return "unknown";
}

}  // namespace parley::rtc
