#include "livekit/rtc/ice_candidate.h"

#include <cctype>
#include <vector>

#include "livekit/rtc/sdp.h"

namespace parley::rtc {

namespace {
Error bad(const std::string& what) { return Error(ErrorCode::kInvalidArgument, "ICE candidate: " + what); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}
}  // namespace

bool IceCandidate::is_mdns() const {
  return address.size() > 6 && iequals(std::string_view(address).substr(address.size() - 6), ".local");
}

std::string IceCandidate::to_string() const {
  static const char* kTypes[] = {"host", "srflx", "prflx", "relay"};
  std::string out = "candidate:" + foundation + " " + std::to_string(component) + " " +
                    (transport == Transport::kUdp ? "udp" : "tcp") + " " + std::to_string(priority) + " " + address +
                    " " + std::to_string(port) + " typ " + kTypes[static_cast<int>(type)];
  if (!related_address.empty()) out += " raddr " + related_address + " rport " + std::to_string(related_port);
  if (tcp_type == TcpType::kActive) out += " tcptype active";
  if (tcp_type == TcpType::kPassive) out += " tcptype passive";
  if (tcp_type == TcpType::kSo) out += " tcptype so";
  return out;
}

Result<IceCandidate> parse_ice_candidate(std::string_view line) {
  if (line.rfind("a=", 0) == 0) line.remove_prefix(2);
  if (line.rfind("candidate:", 0) != 0) return tl::unexpected(bad("does not start with 'candidate:'"));
  line.remove_prefix(10);
  if (line.size() > 1024) return tl::unexpected(bad("longer than 1024 bytes"));
  auto t = sdp::split_tokens(line);
  if (t.size() < 8) return tl::unexpected(bad("needs <foundation> <component> <transport> <priority> <address> <port> typ <type>"));
  IceCandidate c;
  if (t[0].size() > 32) return tl::unexpected(bad("foundation longer than 32 characters"));
  c.foundation = t[0];
  auto comp = sdp::parse_int(t[1], 1, 256);
  if (!comp) return tl::unexpected(bad("component '" + std::string(t[1]) + "' is not 1..256"));
  c.component = static_cast<int>(*comp);
  if (iequals(t[2], "udp")) {
    c.transport = IceCandidate::Transport::kUdp;
  } else if (iequals(t[2], "tcp")) {
    c.transport = IceCandidate::Transport::kTcp;
  } else {
    return tl::unexpected(bad("transport '" + std::string(t[2]) + "' is not udp or tcp"));
  }
  auto prio = sdp::parse_int(t[3], 0, 0xffffffffLL);
  if (!prio) return tl::unexpected(bad("priority '" + std::string(t[3]) + "' is not a 32-bit number"));
  c.priority = static_cast<uint32_t>(*prio);
  if (t[4].empty() || t[4].size() > 255) return tl::unexpected(bad("bad address"));
  c.address = t[4];
  auto port = sdp::parse_int(t[5], 0, 65535);
  if (!port) return tl::unexpected(bad("port '" + std::string(t[5]) + "' is not 0..65535"));
  c.port = static_cast<uint16_t>(*port);
  if (t[6] != "typ") return tl::unexpected(bad("expected 'typ' after the port"));
  if (t[7] == "host") c.type = IceCandidate::Type::kHost;
  else if (t[7] == "srflx") c.type = IceCandidate::Type::kSrflx;
  else if (t[7] == "prflx") c.type = IceCandidate::Type::kPrflx;
  else if (t[7] == "relay") c.type = IceCandidate::Type::kRelay;
  else return tl::unexpected(bad("type '" + std::string(t[7]) + "' is not host/srflx/prflx/relay"));
  for (size_t i = 8; i + 1 < t.size(); i += 2) {
    if (t[i] == "raddr") {
      c.related_address = t[i + 1];
    } else if (t[i] == "rport") {
      auto rp = sdp::parse_int(t[i + 1], 0, 65535);
      if (!rp) return tl::unexpected(bad("rport is not 0..65535"));
      c.related_port = static_cast<uint16_t>(*rp);
    } else if (t[i] == "tcptype") {
      if (t[i + 1] == "active") c.tcp_type = IceCandidate::TcpType::kActive;
      else if (t[i + 1] == "passive") c.tcp_type = IceCandidate::TcpType::kPassive;
      else if (t[i + 1] == "so") c.tcp_type = IceCandidate::TcpType::kSo;
      else return tl::unexpected(bad("tcptype '" + std::string(t[i + 1]) + "' is not active/passive/so"));
    }
    // generation, ufrag, network-id, network-cost…: not needed
  }
  if (c.transport == IceCandidate::Transport::kTcp && c.tcp_type == IceCandidate::TcpType::kNone) {
    return tl::unexpected(bad("a TCP candidate needs a tcptype"));
  }
  return c;
}

}  // namespace parley::rtc
