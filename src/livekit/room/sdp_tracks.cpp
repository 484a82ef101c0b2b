#include "livekit/room/sdp_tracks.h"

#include <vector>

namespace parley::livekit {

std::map<std::string, SdpTrack> sdp_tracks(std::string_view sdp) {
  struct Section {
    std::string kind, mid, msid_stream, msid_track;
    bool rejected = false, inactive = false;
  };
  std::vector<Section> sections;
  size_t pos = 0;
  while (pos < sdp.size()) {
    size_t end = sdp.find('\n', pos);
    std::string_view line = sdp.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? sdp.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("m=", 0) == 0) {
      Section s;
      auto sp = line.find(' ');
      s.kind = std::string(line.substr(2, sp == std::string_view::npos ? std::string_view::npos : sp - 2));
      auto sp2 = sp == std::string_view::npos ? sp : line.find(' ', sp + 1);
      if (sp != std::string_view::npos && sp2 != std::string_view::npos) s.rejected = line.substr(sp + 1, sp2 - sp - 1) == "0";
      sections.push_back(std::move(s));
      continue;
    }
    if (sections.empty()) continue;
    Section& s = sections.back();
    if (line.rfind("a=mid:", 0) == 0) {
      s.mid = std::string(line.substr(6));
    } else if (line.rfind("a=msid:", 0) == 0) {
      std::string_view v = line.substr(7);
      auto sp = v.find(' ');
      s.msid_stream = std::string(v.substr(0, sp));
      s.msid_track = sp == std::string_view::npos ? "" : std::string(v.substr(sp + 1));
    } else if (line == "a=inactive") {
      s.inactive = true;
    }
  }
  std::map<std::string, SdpTrack> out;
  for (auto& s : sections) {
    if (s.rejected || s.inactive || s.mid.empty() || s.msid_stream.empty()) continue;
    SdpTrack t;
    t.kind = s.kind;
    auto bar = s.msid_stream.find('|');
    if (bar != std::string::npos) {
      t.participant_sid = s.msid_stream.substr(0, bar);
      t.track_sid = s.msid_stream.substr(bar + 1);
    } else {
      t.track_sid = s.msid_track;
    }
    if (t.track_sid.empty()) t.track_sid = s.msid_track;
    if (!t.track_sid.empty()) out[s.mid] = std::move(t);
  }
  return out;
}

}  // namespace parley::livekit
