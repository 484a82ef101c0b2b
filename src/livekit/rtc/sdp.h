// A pure SDP (RFC 8866) parser and writer with no dependencies beyond core/error.h, Janus style:
// it keeps every line it does not interpret, so what the application does not understand
// survives a round trip. Meaning (ICE, DTLS, codecs) is read by negotiation.h.
//
// Untrusted input: the parser bounds the size, the line count, the number of m-sections and
// every number; anything malformed is a kInvalidArgument Error naming the line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace parley::rtc::sdp {

inline constexpr size_t kMaxSdpBytes = 256 * 1024;
inline constexpr size_t kMaxLines = 8192;
inline constexpr size_t kMaxMediaSections = 128;

// a=<name>[:<value>]
struct Attribute {
  std::string name;
  std::string value;
  bool has_value = false;
};

// Attribute lists with lookup helpers (session level and media level share them).
struct AttributeList {
  std::vector<Attribute> attributes;

  bool has(std::string_view name) const;
  // The first value of name, if present.
  std::optional<std::string> get(std::string_view name) const;
  std::vector<std::string> get_all(std::string_view name) const;
  void add(std::string name, std::string value);
  void add_flag(std::string name);
};

struct MediaSection : AttributeList {
  std::string media;   // audio, video, application, …
  uint16_t port = 0;   // 0 = rejected
  std::string proto;   // UDP/TLS/RTP/SAVPF, UDP/DTLS/SCTP, …
  std::vector<std::string> formats;  // payload types, or "webrtc-datachannel"
  std::string connection;            // c= value, may be empty
  std::vector<std::string> bandwidth;  // b= values

  std::string mid() const { return get("mid").value_or(""); }
};

struct SessionDescription : AttributeList {
  std::string origin = "- 0 2 IN IP4 127.0.0.1";  // o= value
  std::string session_name = "-";
  std::string timing = "0 0";
  std::string connection;
  std::vector<MediaSection> media;

  // The media section with this mid, or nullptr.
  const MediaSection* find_mid(std::string_view mid) const;
};

Result<SessionDescription> parse(std::string_view text);
// CRLF line endings, as RFC 8866 requires.
std::string write(const SessionDescription& sdp);

// Helpers for values shared by the negotiation code (and tested on their own).
// Splits on runs of spaces.
std::vector<std::string_view> split_tokens(std::string_view s);
// A decimal integer in [lo, hi]; nullopt for anything else (signs, spaces, overflow).
std::optional<long long> parse_int(std::string_view s, long long lo, long long hi);

}  // namespace parley::rtc::sdp
