#include "livekit/rtc/negotiation.h"

#include <algorithm>
#include <cctype>

namespace parley::rtc {

namespace {

Error invalid(std::string msg) { return Error(ErrorCode::kInvalidArgument, "SDP: " + std::move(msg)); }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char* setup_name(DtlsSetup s) {
  switch (s) {
    case DtlsSetup::kActpass: return "actpass";
    case DtlsSetup::kActive: return "active";
    case DtlsSetup::kPassive: return "passive";
  }
  return "actpass";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool valid_ice_chars(const std::string& s, size_t min, size_t max) {
  // RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/"
  if (s.size() < min || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/'; });
}

void add_transport(sdp::MediaSection& m, const LocalTransport& t) {
  m.connection = "IN IP4 0.0.0.0";
  m.add("ice-ufrag", t.ice_ufrag);
  m.add("ice-pwd", t.ice_pwd);
  m.add("ice-options", "trickle");
  m.add("fingerprint", t.fingerprint.to_sdp());
  m.add("setup", setup_name(t.setup));
}

sdp::SessionDescription session_header(const SdpSession& session) {
  sdp::SessionDescription s;
  s.origin = "- " + std::to_string(session.id) + " " + std::to_string(session.version) + " IN IP4 127.0.0.1";
  s.session_name = "-";
  s.timing = "0 0";
  return s;
}

}  // namespace

std::string Fingerprint::to_sdp() const {
  static const char* kHex = "0123456789ABCDEF";
  std::string out = algorithm + " ";
  for (size_t i = 0; i < digest.size(); ++i) {
    if (i) out += ':';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

Result<Fingerprint> Fingerprint::parse(const std::string& value) {
  auto tokens = sdp::split_tokens(value);
  if (tokens.size() != 2) return tl::unexpected(invalid("a=fingerprint must be '<hash> <hex bytes>'"));
  Fingerprint fp;
  fp.algorithm = lower(std::string(tokens[0]));
  size_t expected = 0;
  if (fp.algorithm == "sha-1") expected = 20;
  else if (fp.algorithm == "sha-224") expected = 28;
  else if (fp.algorithm == "sha-256") expected = 32;
  else if (fp.algorithm == "sha-384") expected = 48;
  else if (fp.algorithm == "sha-512") expected = 64;
  else return tl::unexpected(invalid("a=fingerprint hash '" + fp.algorithm + "' is not supported"));
  std::string_view hex = tokens[1];
  if (hex.size() != expected * 3 - 1) return tl::unexpected(invalid("a=fingerprint has the wrong length for " + fp.algorithm));
  for (size_t i = 0; i < expected; ++i) {
    int hi = hex_value(hex[i * 3]), lo = hex_value(hex[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i + 1 < expected && hex[i * 3 + 2] != ':')) {
      return tl::unexpected(invalid("a=fingerprint is not colon-separated hex"));
    }
    fp.digest.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return fp;
}

const RemoteSection* RemoteDescription::find_mid(const std::string& mid) const {
  for (const auto& s : sections) {
    if (s.mid == mid) return &s;
  }
  return nullptr;
}

Result<RemoteDescription> read_remote_description(const sdp::SessionDescription& sdp, bool is_offer) {
  RemoteDescription out;
  out.ice_lite = sdp.has("ice-lite");
  if (sdp.media.empty()) return tl::unexpected(invalid("no m= sections"));
  std::vector<std::string> mids;
  for (const auto& m : sdp.media) {
    RemoteSection s;
    s.media = m.media;
    s.proto = m.proto;
    s.formats = m.formats;
    s.mid = m.mid();
    s.rejected = m.port == 0;
    if (s.mid.empty()) return tl::unexpected(invalid("m=" + m.media + " has no a=mid (unified plan with BUNDLE needs one)"));
    if (std::find(mids.begin(), mids.end(), s.mid) != mids.end()) return tl::unexpected(invalid("duplicate mid '" + s.mid + "'"));
    mids.push_back(s.mid);
    for (const char* dir : {"sendrecv", "sendonly", "recvonly", "inactive"}) {
      if (m.has(dir)) s.direction = dir;
    }
    if (m.media == "audio" && m.proto.find("RTP/") != std::string::npos) {
      s.kind = SectionKind::kAudio;
      for (const auto& rtpmap : m.get_all("rtpmap")) {
        auto t = sdp::split_tokens(rtpmap);
        if (t.size() < 2) return tl::unexpected(invalid("malformed a=rtpmap:" + rtpmap));
        auto pt = sdp::parse_int(t[0], 0, 127);
        if (!pt) return tl::unexpected(invalid("a=rtpmap payload type '" + std::string(t[0]) + "' is not 0..127"));
        std::string codec = lower(std::string(t[1]));
        if (codec.rfind("opus/48000", 0) == 0 && s.opus_pt < 0 &&
            std::find(m.formats.begin(), m.formats.end(), std::string(t[0])) != m.formats.end()) {
          s.opus_pt = static_cast<int>(*pt);
        }
      }
      for (const auto& fmtp : m.get_all("fmtp")) {
        auto sp = fmtp.find(' ');
        if (s.opus_pt >= 0 && sp != std::string::npos && fmtp.substr(0, sp) == std::to_string(s.opus_pt)) {
          s.opus_fmtp = fmtp.substr(sp + 1);
        }
      }
      for (const auto& ext : m.get_all("extmap")) {
        auto t = sdp::split_tokens(ext);
        if (t.size() < 2) return tl::unexpected(invalid("malformed a=extmap:" + ext));
        // "<id>[/<direction>] <uri>"
        auto id = sdp::parse_int(t[0].substr(0, t[0].find('/')), 1, 255);
        if (!id) return tl::unexpected(invalid("a=extmap id '" + std::string(t[0]) + "' is not 1..255"));
        if (t[1] == kAudioLevelUri && *id <= 14) s.audio_level_ext = static_cast<int>(*id);
        if (t[1] == kMidUri && *id <= 14) s.mid_ext = static_cast<int>(*id);
      }
      for (const auto& ssrc_line : m.get_all("ssrc")) {
        auto t = sdp::split_tokens(ssrc_line);
        if (t.empty()) continue;
        auto v = sdp::parse_int(t[0], 0, 0xffffffffLL);
        if (!v) return tl::unexpected(invalid("a=ssrc value '" + std::string(t[0]) + "' is not a 32-bit number"));
        if (std::find(s.ssrcs.begin(), s.ssrcs.end(), static_cast<uint32_t>(*v)) == s.ssrcs.end()) {
          s.ssrcs.push_back(static_cast<uint32_t>(*v));
        }
        if (t.size() >= 3 && t[1].rfind("msid:", 0) == 0 && s.msid.empty()) {
          s.msid = std::string(t[1].substr(5)) + " " + std::string(t[2]);
        }
        if (s.ssrcs.size() > 64) return tl::unexpected(invalid("too many a=ssrc values"));
      }
      if (auto msid = m.get("msid")) s.msid = *msid;
    } else if (m.media == "application" &&
               std::find(m.formats.begin(), m.formats.end(), "webrtc-datachannel") != m.formats.end()) {
      s.kind = SectionKind::kData;
      if (auto p = m.get("sctp-port")) {
        auto v = sdp::parse_int(*p, 1, 65535);
        if (!v) return tl::unexpected(invalid("a=sctp-port '" + *p + "' is not 1..65535"));
        s.sctp_port = static_cast<uint16_t>(*v);
      }
      if (auto p = m.get("max-message-size")) {
        auto v = sdp::parse_int(*p, 0, 0xffffffffLL);
        if (!v) return tl::unexpected(invalid("a=max-message-size '" + *p + "' is not a 32-bit number"));
        // 0 means "no limit" (RFC 8841).
        s.max_message_size = *v == 0 ? 0xffffffffu : static_cast<uint32_t>(*v);
      }
    }
    for (const auto& c : m.get_all("candidate")) out.candidates.push_back("candidate:" + c);
    if (m.has("end-of-candidates")) out.end_of_candidates = true;
    out.sections.push_back(std::move(s));
  }

  // With max-bundle the transport is the first accepted section's (the BUNDLE tag); attributes
  // may also sit at session level.
  const sdp::MediaSection* tag = nullptr;
  for (const auto& m : sdp.media) {
    if (m.port != 0) {
      tag = &m;
      break;
    }
  }
  if (tag == nullptr) return tl::unexpected(invalid("every m= section is rejected (port 0)"));
  auto pick = [&](const char* name) { return tag->get(name) ? tag->get(name) : sdp.get(name); };
  auto ufrag = pick("ice-ufrag");
  auto pwd = pick("ice-pwd");
  if (!ufrag || !pwd) return tl::unexpected(invalid("no a=ice-ufrag/a=ice-pwd"));
  // RFC 8839: ufrag 4..256 and pwd 22..256 ice-chars; tolerate short ones from lenient stacks.
  if (!valid_ice_chars(*ufrag, 1, 256) || !valid_ice_chars(*pwd, 1, 256)) {
    return tl::unexpected(invalid("a=ice-ufrag/a=ice-pwd contain characters outside ALPHA/DIGIT/+/"));
  }
  out.ice_ufrag = *ufrag;
  out.ice_pwd = *pwd;
  auto fp = pick("fingerprint");
  if (!fp) return tl::unexpected(invalid("no a=fingerprint (DTLS needs the peer's certificate hash)"));
  auto parsed = Fingerprint::parse(*fp);
  if (!parsed) return tl::unexpected(parsed.error());
  out.fingerprint = std::move(*parsed);
  auto setup = pick("setup");
  if (!setup) {
    // RFC 5763: an offer without a=setup is actpass; an answer without one is active.
    out.setup = is_offer ? DtlsSetup::kActpass : DtlsSetup::kActive;
  } else if (*setup == "actpass") {
    out.setup = DtlsSetup::kActpass;
  } else if (*setup == "active") {
    out.setup = DtlsSetup::kActive;
  } else if (*setup == "passive") {
    out.setup = DtlsSetup::kPassive;
  } else {
    return tl::unexpected(invalid("a=setup:" + *setup + " is not actpass/active/passive"));
  }
  if (!is_offer && out.setup == DtlsSetup::kActpass) return tl::unexpected(invalid("an answer cannot be a=setup:actpass"));
  return out;
}

std::string build_offer(const LocalTransport& transport, const std::vector<LocalSection>& sections,
                        const SdpSession& session) {
  auto s = session_header(session);
  std::string group = "BUNDLE";
  for (const auto& sec : sections) group += " " + sec.mid;
  s.add("group", group);
  s.add("msid-semantic", " WMS *");
  for (const auto& sec : sections) {
    sdp::MediaSection m;
    if (sec.kind == SectionKind::kData) {
      // Port 9 without bundle-only: older pion treats port 0 as rejected (webrtc-notes.md).
      m.media = "application";
      m.port = 9;
      m.proto = "UDP/DTLS/SCTP";
      m.formats = {"webrtc-datachannel"};
      add_transport(m, transport);
      m.add("mid", sec.mid);
      m.add("sctp-port", std::to_string(kSctpPort));
      m.add("max-message-size", std::to_string(kMaxMessageSize));
    } else {
      m.media = "audio";
      m.port = 9;
      m.proto = "UDP/TLS/RTP/SAVPF";
      m.formats = {std::to_string(kOpusPayloadType)};
      add_transport(m, transport);
      m.add("mid", sec.mid);
      // LiveKit's active-speaker detection reads the audio level extension.
      m.add("extmap", std::string("1 ") + kAudioLevelUri);
      m.add("extmap", std::string("4 ") + kMidUri);
      m.add_flag("sendonly");
      m.add("msid", sec.stream_id + " " + sec.track_id);
      m.add_flag("rtcp-mux");
      m.add("rtpmap", std::to_string(kOpusPayloadType) + " opus/48000/2");
      m.add("fmtp", std::to_string(kOpusPayloadType) + " minptime=10;useinbandfec=1");
      m.add("ssrc", std::to_string(sec.ssrc) + " cname:" + sec.cname);
      m.add("ssrc", std::to_string(sec.ssrc) + " msid:" + sec.stream_id + " " + sec.track_id);
    }
    s.media.push_back(std::move(m));
  }
  return sdp::write(s);
}

std::string build_answer(const LocalTransport& transport, const RemoteDescription& offer, const SdpSession& session) {
  auto s = session_header(session);
  std::string group = "BUNDLE";
  std::vector<sdp::MediaSection> media;
  for (const auto& r : offer.sections) {
    sdp::MediaSection m;
    m.media = r.media;
    m.proto = r.proto;
    bool accept = !r.rejected && ((r.kind == SectionKind::kAudio && r.opus_pt >= 0) || r.kind == SectionKind::kData);
    if (!accept) {
      // Rejected: port 0, the offered formats echoed, the mid kept so the peer can match it.
      m.port = 0;
      m.formats = r.formats.empty() ? std::vector<std::string>{"0"} : r.formats;
      m.connection = "IN IP4 0.0.0.0";
      m.add("mid", r.mid);
      m.add_flag("inactive");
      media.push_back(std::move(m));
      continue;
    }
    group += " " + r.mid;
    m.port = 9;
    add_transport(m, transport);
    m.add("mid", r.mid);
    if (r.kind == SectionKind::kData) {
      m.formats = {"webrtc-datachannel"};
      m.add("sctp-port", std::to_string(kSctpPort));
      m.add("max-message-size", std::to_string(kMaxMessageSize));
    } else {
      // Opus only, even when RED is listed first: an answer without Opus fails on the server.
      m.formats = {std::to_string(r.opus_pt)};
      if (r.audio_level_ext) m.add("extmap", std::to_string(r.audio_level_ext) + " " + kAudioLevelUri);
      if (r.mid_ext) m.add("extmap", std::to_string(r.mid_ext) + " " + kMidUri);
      const bool remote_sends = r.direction == "sendrecv" || r.direction == "sendonly";
      m.add_flag(remote_sends ? "recvonly" : "inactive");
      m.add_flag("rtcp-mux");
      m.add("rtpmap", std::to_string(r.opus_pt) + " opus/48000/2");
      m.add("fmtp", std::to_string(r.opus_pt) + " " + (r.opus_fmtp.empty() ? "minptime=10;useinbandfec=1" : r.opus_fmtp));
    }
    media.push_back(std::move(m));
  }
  s.add("group", group);
  s.add("msid-semantic", " WMS *");
  s.media = std::move(media);
  return sdp::write(s);
}

Status check_answer(const RemoteDescription& answer, const std::vector<LocalSection>& offered) {
  if (answer.sections.size() != offered.size()) {
    return make_error(ErrorCode::kProtocol, "SDP answer has " + std::to_string(answer.sections.size()) +
                                                " m= sections for an offer of " + std::to_string(offered.size()));
  }
  for (size_t i = 0; i < offered.size(); ++i) {
    const auto& a = answer.sections[i];
    if (a.mid != offered[i].mid) {
      return make_error(ErrorCode::kProtocol, "SDP answer m-section " + std::to_string(i) + " has mid '" + a.mid +
                                                  "', offered '" + offered[i].mid + "'");
    }
    if (a.rejected) return make_error(ErrorCode::kProtocol, "SDP answer rejected mid '" + a.mid + "'");
    if (offered[i].kind == SectionKind::kAudio && a.opus_pt != kOpusPayloadType) {
      return make_error(ErrorCode::kProtocol, "SDP answer for mid '" + a.mid + "' does not accept Opus/111");
    }
    if (offered[i].kind == SectionKind::kData && a.kind != SectionKind::kData) {
      return make_error(ErrorCode::kProtocol, "SDP answer for mid '" + a.mid + "' is not a data channel section");
    }
  }
  return {};
}

}  // namespace parley::rtc
