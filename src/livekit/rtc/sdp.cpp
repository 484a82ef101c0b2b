#include "livekit/rtc/sdp.h"

#include <charconv>

namespace parley::rtc::sdp {

namespace {

Error bad(size_t line_no, std::string_view what) {
  return Error(ErrorCode::kInvalidArgument, "SDP line " + std::to_string(line_no) + ": " + std::string(what));
}

bool printable(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 && c != '\t') return false;
  }
  return true;
}

}  // namespace

bool AttributeList::has(std::string_view name) const {
  for (const auto& a : attributes) {
    if (a.name == name) return true;
  }
  return false;
}

std::optional<std::string> AttributeList::get(std::string_view name) const {
  for (const auto& a : attributes) {
    if (a.name == name) return a.value;
  }
  return std::nullopt;
}

std::vector<std::string> AttributeList::get_all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& a : attributes) {
    if (a.name == name) out.push_back(a.value);
  }
  return out;
}

void AttributeList::add(std::string name, std::string value) {
  attributes.push_back(Attribute{std::move(name), std::move(value), true});
}

void AttributeList::add_flag(std::string name) { attributes.push_back(Attribute{std::move(name), "", false}); }

const MediaSection* SessionDescription::find_mid(std::string_view mid) const {
  for (const auto& m : media) {
    if (m.mid() == mid) return &m;
  }
  return nullptr;
}

std::vector<std::string_view> split_tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::optional<long long> parse_int(std::string_view s, long long lo, long long hi) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s[0] == '-' || s[0] == '+') return std::nullopt;
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

Result<SessionDescription> parse(std::string_view text) {
  if (text.empty()) return make_error(ErrorCode::kInvalidArgument, "SDP is empty");
  if (text.size() > kMaxSdpBytes) {
    return make_error(ErrorCode::kInvalidArgument, "SDP is larger than " + std::to_string(kMaxSdpBytes) + " bytes");
  }
  SessionDescription out;
  MediaSection* current = nullptr;
  bool seen_version = false;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line_no > kMaxLines) return make_error(ErrorCode::kInvalidArgument, "SDP has too many lines");
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;  // tolerate blank lines (a trailing one is common)
    if (line.size() < 2 || line[1] != '=') return tl::unexpected(bad(line_no, "not of the form <type>=<value>"));
    if (!printable(line)) return tl::unexpected(bad(line_no, "contains control characters"));
    const char type = line[0];
    std::string_view value = line.substr(2);
    if (!seen_version) {
      if (type != 'v' || value != "0") return tl::unexpected(bad(line_no, "SDP must start with v=0"));
      seen_version = true;
      continue;
    }
    switch (type) {
      case 'v':
        return tl::unexpected(bad(line_no, "repeated v= line"));
      case 'o':
        out.origin = value;
        break;
      case 's':
        out.session_name = value;
        break;
      case 't':
        out.timing = value;
        break;
      case 'c':
        (current ? current->connection : out.connection) = value;
        break;
      case 'b':
        if (current) current->bandwidth.emplace_back(value);
        break;
      case 'm': {
        if (out.media.size() >= kMaxMediaSections) return tl::unexpected(bad(line_no, "too many m= sections"));
        auto tokens = split_tokens(value);
        if (tokens.size() < 3) return tl::unexpected(bad(line_no, "m= needs <media> <port> <proto> [<fmt>…]"));
        MediaSection m;
        m.media = tokens[0];
        // "<port>/<count>" is legal; the count is irrelevant to a bundled transport.
        std::string_view port = tokens[1].substr(0, tokens[1].find('/'));
        auto p = parse_int(port, 0, 65535);
        if (!p) return tl::unexpected(bad(line_no, "m= port '" + std::string(tokens[1]) + "' is not 0..65535"));
        m.port = static_cast<uint16_t>(*p);
        m.proto = tokens[2];
        for (size_t i = 3; i < tokens.size(); ++i) m.formats.emplace_back(tokens[i]);
        out.media.push_back(std::move(m));
        current = &out.media.back();
        break;
      }
      case 'a': {
        Attribute a;
        size_t colon = value.find(':');
        if (colon == std::string_view::npos) {
          a.name = value;
        } else {
          a.name = value.substr(0, colon);
          a.value = value.substr(colon + 1);
          a.has_value = true;
        }
        if (a.name.empty()) return tl::unexpected(bad(line_no, "attribute without a name"));
        (current ? current->attributes : out.attributes).push_back(std::move(a));
        break;
      }
      default:
        // i=, u=, e=, p=, z=, k=, r=: legal and irrelevant here.
        if (type < 'a' || type > 'z') return tl::unexpected(bad(line_no, std::string("unknown line type '") + type + "'"));
        break;
    }
  }
  if (!seen_version) return make_error(ErrorCode::kInvalidArgument, "SDP has no v=0 line");
  return out;
}

namespace {
void write_attributes(std::string& out, const AttributeList& list) {
  for (const auto& a : list.attributes) {
    out += "a=";
    out += a.name;
    if (a.has_value) {
      out += ':';
      out += a.value;
    }
    out += "\r\n";
  }
}
}  // namespace

std::string write(const SessionDescription& sdp) {
  std::string out;
  out.reserve(2048);
  out += "v=0\r\no=" + sdp.origin + "\r\ns=" + sdp.session_name + "\r\n";
  if (!sdp.connection.empty()) out += "c=" + sdp.connection + "\r\n";
  out += "t=" + sdp.timing + "\r\n";
  write_attributes(out, sdp);
  for (const auto& m : sdp.media) {
    out += "m=" + m.media + " " + std::to_string(m.port) + " " + m.proto;
    for (const auto& f : m.formats) out += " " + f;
    out += "\r\n";
    if (!m.connection.empty()) out += "c=" + m.connection + "\r\n";
    for (const auto& b : m.bandwidth) out += "b=" + b + "\r\n";
    write_attributes(out, m);
  }
  return out;
}

}  // namespace parley::rtc::sdp
