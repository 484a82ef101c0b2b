#include "livekit/signal/signal_url.h"

#include <cctype>

namespace parley::livekit {

Result<Url> make_signal_url(const std::string& livekit_url, const SignalUrlOptions& options) {
  std::string scheme = livekit_url.substr(0, livekit_url.find("://"));
  for (auto& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (livekit_url.find("://") != std::string::npos && scheme != "ws" && scheme != "wss" && scheme != "http" &&
      scheme != "https") {
    return make_error(ErrorCode::kInvalidArgument,
                      "LiveKit URL '" + livekit_url + "' must start with ws://, wss://, http:// or https://");
  }
  auto parsed = parse_url(livekit_url);
  if (!parsed) return tl::unexpected(parsed.error());
  Url url = parsed->as_websocket();
  if (!url.websocket()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "LiveKit URL '" + livekit_url + "' must start with ws://, wss://, http:// or https://");
  }
  if (options.token.empty()) return make_error(ErrorCode::kInvalidArgument, "no access token to join with");
  // Keep a path prefix (a server behind a reverse proxy at /livekit), drop query and fragment.
  std::string prefix = url.path.substr(0, url.path.find_first_of("?#"));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  std::string q = prefix + "/rtc?access_token=" + url_encode(options.token);
  q += std::string("&auto_subscribe=") + (options.auto_subscribe ? "1" : "0");
  q += "&sdk=cpp&version=" + url_encode(kSdkVersion);
  q += "&protocol=" + std::to_string(kSignalProtocolVersion);
  q += "&client_protocol=" + std::to_string(options.client_protocol);
  if (!options.os.empty()) q += "&os=" + url_encode(options.os);
  if (!options.resume_sid.empty()) {
    q += "&reconnect=1&sid=" + url_encode(options.resume_sid);
    q += "&reconnect_reason=" + std::to_string(options.reconnect_reason);
  }
  url.path = q;
  return url;
}

}  // namespace parley::livekit
