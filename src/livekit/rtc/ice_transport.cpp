#include "livekit/rtc/ice_transport.h"

#include <arpa/inet.h>
#include <nice/agent.h>

#include <optional>

#include "core/log.h"
#include "livekit/rtc/sdp.h"

namespace parley::rtc {

namespace {

constexpr guint kComponent = 1;

void on_new_candidate(NiceAgent*, NiceCandidate* c, gpointer self) {
  static_cast<IceTransport*>(self)->handle_candidate(c);
}
void on_gathering_done(NiceAgent*, guint, gpointer self) { static_cast<IceTransport*>(self)->handle_gathering_done(); }
void on_state_changed(NiceAgent*, guint, guint component, guint state, gpointer self) {
  if (component == kComponent) static_cast<IceTransport*>(self)->handle_state(state);
}
void on_selected_pair(NiceAgent*, guint, guint component, NiceCandidate* local, NiceCandidate* remote, gpointer self) {
  if (component == kComponent) static_cast<IceTransport*>(self)->handle_selected_pair(local, remote);
}
void on_recv(NiceAgent*, guint, guint, guint len, gchar* buf, gpointer self) {
  static_cast<IceTransport*>(self)->handle_packet(buf, len);
}

bool is_ip_literal(const std::string& s) {
  in6_addr a6;
  in_addr a4;
  return inet_pton(AF_INET, s.c_str(), &a4) == 1 || inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

// "stun:host:port", "turn:host:port?transport=tcp" → host, port, tcp. Only IP literals: the
// media loop never blocks on DNS.
struct ServerUrl {
  std::string scheme, host;
  unsigned port = 3478;
  bool tcp = false;
};
std::optional<ServerUrl> parse_server_url(const std::string& url) {
  ServerUrl u;
  auto colon = url.find(':');
  if (colon == std::string::npos) return std::nullopt;
  u.scheme = url.substr(0, colon);
  std::string rest = url.substr(colon + 1);
  if (auto q = rest.find('?'); q != std::string::npos) {
    u.tcp = rest.find("transport=tcp", q) != std::string::npos;
    rest = rest.substr(0, q);
  }
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return std::nullopt;
    u.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest[0] == ':') rest = rest.substr(1);
    else rest.clear();
  } else if (auto pc = rest.rfind(':'); pc != std::string::npos) {
    u.host = rest.substr(0, pc);
    rest = rest.substr(pc + 1);
  } else {
    u.host = rest;
    rest.clear();
  }
  if (!rest.empty()) {
    auto p = sdp::parse_int(rest, 1, 65535);
    if (!p) return std::nullopt;
    u.port = static_cast<unsigned>(*p);
  } else if (u.scheme == "turns") {
    u.port = 5349;
  }
  return u;
}

// libnice's candidate in our terms.
IceCandidate from_nice(const NiceCandidate* nc) {
  IceCandidate c;
  c.foundation = nc->foundation;
  c.component = static_cast<int>(nc->component_id);
  c.priority = nc->priority;
  char buf[NICE_ADDRESS_STRING_LEN] = {};
  nice_address_to_string(&nc->addr, buf);
  c.address = buf;
  c.port = static_cast<uint16_t>(nice_address_get_port(&nc->addr));
  switch (nc->type) {
    case NICE_CANDIDATE_TYPE_HOST: c.type = IceCandidate::Type::kHost; break;
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: c.type = IceCandidate::Type::kSrflx; break;
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: c.type = IceCandidate::Type::kPrflx; break;
    case NICE_CANDIDATE_TYPE_RELAYED: c.type = IceCandidate::Type::kRelay; break;
  }
  switch (nc->transport) {
    case NICE_CANDIDATE_TRANSPORT_UDP: c.transport = IceCandidate::Transport::kUdp; break;
    case NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE:
      c.transport = IceCandidate::Transport::kTcp;
      c.tcp_type = IceCandidate::TcpType::kActive;
      if (c.port == 0) c.port = 9;  // RFC 6544 §4.5: active candidates carry the discard port
      break;
    case NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE:
      c.transport = IceCandidate::Transport::kTcp;
      c.tcp_type = IceCandidate::TcpType::kPassive;
      break;
    case NICE_CANDIDATE_TRANSPORT_TCP_SO:
      c.transport = IceCandidate::Transport::kTcp;
      c.tcp_type = IceCandidate::TcpType::kSo;
      break;
  }
  if (c.type != IceCandidate::Type::kHost) {
    char rbuf[NICE_ADDRESS_STRING_LEN] = {};
    nice_address_to_string(&nc->base_addr, rbuf);
    c.related_address = rbuf;
    c.related_port = static_cast<uint16_t>(nice_address_get_port(&nc->base_addr));
  }
  return c;
}

}  // namespace

std::string_view to_string(IceState s) {
  switch (s) {
    case IceState::kNew: return "new";
    case IceState::kGathering: return "gathering";
    case IceState::kChecking: return "checking";
    case IceState::kConnected: return "connected";
    case IceState::kFailed: return "failed";
    case IceState::kClosed: return "closed";
  }
  return "unknown";
}

IceTransport::IceTransport(GlibLoop& loop, Config config, Callbacks callbacks)
    : loop_(loop), config_(std::move(config)), callbacks_(std::move(callbacks)) {}

Result<std::unique_ptr<IceTransport>> IceTransport::create(GlibLoop& loop, Config config, Callbacks callbacks) {
  if (!config.tcp && !config.udp) return make_error(ErrorCode::kInvalidArgument, "ICE: neither UDP nor TCP enabled");
  std::unique_ptr<IceTransport> t(new IceTransport(loop, std::move(config), std::move(callbacks)));
  // Consent freshness: without it a dead peer goes unnoticed (off by default in libnice).
  t->agent_ = nice_agent_new_full(loop.context(), NICE_COMPATIBILITY_RFC5245,
                                  static_cast<NiceAgentOption>(NICE_AGENT_OPTION_ICE_TRICKLE |
                                                               NICE_AGENT_OPTION_CONSENT_FRESHNESS));
  if (t->agent_ == nullptr) return make_error(ErrorCode::kInternal, "ICE: nice_agent_new_full failed");
  g_object_set(t->agent_, "ice-tcp", t->config_.tcp ? TRUE : FALSE, "ice-udp", t->config_.udp ? TRUE : FALSE,
               "controlling-mode", t->config_.controlling ? TRUE : FALSE, "upnp", FALSE, nullptr);
  std::vector<std::string> addrs = t->config_.loopback_only ? std::vector<std::string>{"127.0.0.1"}
                                                            : t->config_.local_addresses;
  for (const auto& a : addrs) {
    NiceAddress na;
    nice_address_init(&na);
    if (!nice_address_set_from_string(&na, a.c_str())) {
      return make_error(ErrorCode::kInvalidArgument, "ICE: local address '" + a + "' is not an IP address");
    }
    nice_agent_add_local_address(t->agent_, &na);
  }
  t->stream_ = nice_agent_add_stream(t->agent_, 1);
  if (t->stream_ == 0) return make_error(ErrorCode::kInternal, "ICE: nice_agent_add_stream failed");
  for (const auto& server : t->config_.servers) {
    for (const auto& url : server.urls) {
      auto u = parse_server_url(url);
      if (!u || !is_ip_literal(u->host)) {
        t->config_.logger.warn("ice: skipped a server URL that is not scheme:ip:port", {{"url", url}});
        continue;
      }
      if (u->scheme == "stun") {
        g_object_set(t->agent_, "stun-server", u->host.c_str(), "stun-server-port", u->port, nullptr);
      } else if (u->scheme == "turn" || u->scheme == "turns") {
        NiceRelayType type = u->scheme == "turns" ? NICE_RELAY_TYPE_TURN_TLS
                             : u->tcp             ? NICE_RELAY_TYPE_TURN_TCP
                                                  : NICE_RELAY_TYPE_TURN_UDP;
        nice_agent_set_relay_info(t->agent_, t->stream_, kComponent, u->host.c_str(), u->port,
                                  server.username.c_str(), server.credential.c_str(), type);
      }
    }
  }
  g_signal_connect(t->agent_, "new-candidate-full", G_CALLBACK(on_new_candidate), t.get());
  g_signal_connect(t->agent_, "candidate-gathering-done", G_CALLBACK(on_gathering_done), t.get());
  g_signal_connect(t->agent_, "component-state-changed", G_CALLBACK(on_state_changed), t.get());
  g_signal_connect(t->agent_, "new-selected-pair-full", G_CALLBACK(on_selected_pair), t.get());
  nice_agent_attach_recv(t->agent_, t->stream_, kComponent, loop.context(), on_recv, t.get());
  t->refresh_credentials();
  return t;
}

IceTransport::~IceTransport() { close(); }

void IceTransport::close() {
  if (agent_ == nullptr) return;
  // Callbacks stay (one may be running now) but never fire again: state_ is kClosed.
  state_ = IceState::kClosed;
  nice_agent_attach_recv(agent_, stream_, kComponent, loop_.context(), nullptr, nullptr);
  g_signal_handlers_disconnect_by_data(agent_, this);
  nice_agent_remove_stream(agent_, stream_);
  nice_agent_close_async(agent_, nullptr, nullptr);
  g_object_unref(agent_);
  agent_ = nullptr;
}

void IceTransport::refresh_credentials() {
  gchar* ufrag = nullptr;
  gchar* pwd = nullptr;
  if (nice_agent_get_local_credentials(agent_, stream_, &ufrag, &pwd)) {
    ufrag_ = ufrag;
    pwd_ = pwd;
  }
  g_free(ufrag);
  g_free(pwd);
}

void IceTransport::set_controlling(bool controlling) {
  if (agent_) g_object_set(agent_, "controlling-mode", controlling ? TRUE : FALSE, nullptr);
}

Status IceTransport::gather() {
  if (agent_ == nullptr) return make_error(ErrorCode::kUnavailable, "ICE: closed");
  if (state_ != IceState::kNew) return {};
  set_state(IceState::kGathering);
  if (!nice_agent_gather_candidates(agent_, stream_)) {
    return make_error(ErrorCode::kUnavailable, "ICE: gathering failed (no usable local address?)", true);
  }
  return {};
}

Status IceTransport::set_remote_credentials(const std::string& ufrag, const std::string& pwd) {
  if (agent_ == nullptr) return make_error(ErrorCode::kUnavailable, "ICE: closed");
  if (!nice_agent_set_remote_credentials(agent_, stream_, ufrag.c_str(), pwd.c_str())) {
    return make_error(ErrorCode::kInvalidArgument, "ICE: libnice refused the remote credentials");
  }
  return {};
}

Status IceTransport::add_remote_candidate(const IceCandidate& c) {
  if (agent_ == nullptr) return make_error(ErrorCode::kUnavailable, "ICE: closed");
  if (c.is_mdns()) return {};  // never resolvable here; LiveKit never sends them
  if (c.component != static_cast<int>(kComponent)) return {};  // rtcp-mux: component 2 is unused
  if (c.transport == IceCandidate::Transport::kUdp && !config_.udp) return {};
  if (c.transport == IceCandidate::Transport::kTcp && !config_.tcp) return {};
  NiceCandidateType type = NICE_CANDIDATE_TYPE_HOST;
  switch (c.type) {
    case IceCandidate::Type::kHost: type = NICE_CANDIDATE_TYPE_HOST; break;
    case IceCandidate::Type::kSrflx: type = NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE; break;
    case IceCandidate::Type::kPrflx: type = NICE_CANDIDATE_TYPE_PEER_REFLEXIVE; break;
    case IceCandidate::Type::kRelay: type = NICE_CANDIDATE_TYPE_RELAYED; break;
  }
  NiceCandidate* nc = nice_candidate_new(type);
  nc->stream_id = stream_;
  nc->component_id = kComponent;
  nc->priority = c.priority;
  g_strlcpy(nc->foundation, c.foundation.c_str(), NICE_CANDIDATE_MAX_FOUNDATION);
  if (c.transport == IceCandidate::Transport::kUdp) {
    nc->transport = NICE_CANDIDATE_TRANSPORT_UDP;
  } else {
    nc->transport = c.tcp_type == IceCandidate::TcpType::kPassive ? NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE
                    : c.tcp_type == IceCandidate::TcpType::kActive ? NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE
                                                                   : NICE_CANDIDATE_TRANSPORT_TCP_SO;
  }
  if (!nice_address_set_from_string(&nc->addr, c.address.c_str())) {
    nice_candidate_free(nc);
    return make_error(ErrorCode::kInvalidArgument, "ICE candidate: address '" + c.address + "' is not an IP address");
  }
  nice_address_set_port(&nc->addr, c.port);
  if (!c.related_address.empty() && nice_address_set_from_string(&nc->base_addr, c.related_address.c_str())) {
    nice_address_set_port(&nc->base_addr, c.related_port);
  }
  GSList* list = g_slist_append(nullptr, nc);
  const int added = nice_agent_set_remote_candidates(agent_, stream_, kComponent, list);
  g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(nice_candidate_free));
  if (added < 0) return make_error(ErrorCode::kInvalidArgument, "ICE: libnice refused candidate " + c.to_string());
  return {};
}

void IceTransport::remote_gathering_done() {
  if (agent_) nice_agent_peer_candidate_gathering_done(agent_, stream_);
}

Status IceTransport::restart() {
  if (agent_ == nullptr) return make_error(ErrorCode::kUnavailable, "ICE: closed");
  if (!nice_agent_restart_stream(agent_, stream_)) return make_error(ErrorCode::kInternal, "ICE: restart failed");
  refresh_credentials();
  // The remote forgets our candidates with our old ufrag: announce them again.
  GSList* locals = nice_agent_get_local_candidates(agent_, stream_, kComponent);
  for (GSList* i = locals; i != nullptr; i = i->next) handle_candidate(i->data);
  g_slist_free_full(locals, reinterpret_cast<GDestroyNotify>(nice_candidate_free));
  if (state_ == IceState::kFailed || state_ == IceState::kConnected) set_state(IceState::kChecking);
  return {};
}

Status IceTransport::send(std::span<const uint8_t> packet) {
  if (agent_ == nullptr) return make_error(ErrorCode::kUnavailable, "ICE: closed");
  const gint n = nice_agent_send(agent_, stream_, kComponent, static_cast<guint>(packet.size()),
                                 reinterpret_cast<const gchar*>(packet.data()));
  if (n < 0) return make_error(ErrorCode::kUnavailable, "ICE: no selected pair to send on", true);
  return {};
}

void IceTransport::handle_candidate(void* p) {
  auto* nc = static_cast<NiceCandidate*>(p);
  if (nc->component_id != kComponent) return;
  IceCandidate c = from_nice(nc);
  if (c.is_mdns() || state_ == IceState::kClosed) return;
  if (callbacks_.on_candidate) callbacks_.on_candidate(c);
}

void IceTransport::handle_selected_pair(void* local, void* remote) {
  if (state_ == IceState::kClosed) return;
  // Which path media takes (UDP or TCP, which addresses) is the first question when a call
  // misbehaves, and the only way a test can tell ICE-TCP from UDP.
  const IceCandidate l = from_nice(static_cast<NiceCandidate*>(local));
  const IceCandidate r = from_nice(static_cast<NiceCandidate*>(remote));
  config_.logger.info("ice: selected pair", {{"transport", l.transport == IceCandidate::Transport::kTcp ? "tcp" : "udp"},
                                          {"local", l.to_string()},
                                          {"remote", r.to_string()}});
}

void IceTransport::handle_gathering_done() {
  if (state_ == IceState::kClosed) return;
  gathering_done_ = true;
  if (state_ == IceState::kGathering) set_state(IceState::kChecking);
  if (callbacks_.on_gathering_done) callbacks_.on_gathering_done();
}

void IceTransport::handle_state(unsigned state) {
  if (state_ == IceState::kClosed) return;
  switch (state) {
    case NICE_COMPONENT_STATE_CONNECTING:
      if (state_ != IceState::kConnected) set_state(IceState::kChecking);
      break;
    case NICE_COMPONENT_STATE_CONNECTED:
    case NICE_COMPONENT_STATE_READY:
      set_state(IceState::kConnected);
      break;
    case NICE_COMPONENT_STATE_FAILED:
      set_state(IceState::kFailed);
      break;
    default:
      break;
  }
}

void IceTransport::handle_packet(const char* buf, unsigned len) {
  if (state_ != IceState::kClosed && callbacks_.on_packet) callbacks_.on_packet({reinterpret_cast<const uint8_t*>(buf), len});
}

void IceTransport::set_state(IceState s) {
  if (s == state_) return;
  state_ = s;
  if (callbacks_.on_state) callbacks_.on_state(s);
}

}  // namespace parley::rtc
