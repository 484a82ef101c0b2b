#include "livekit/rtc/sctp_transport.h"

#include <usrsctp.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "core/log.h"

namespace parley::rtc {

namespace {

// Transports by id, so usrsctp's callbacks (which may come from any loop's timer tick) never
// touch a destroyed object.
struct Registry {
  std::mutex mu;
  std::unordered_map<uintptr_t, std::pair<SctpTransport*, GlibLoop*>> entries;
  std::unordered_map<uintptr_t, std::shared_ptr<bool>> alive;
  uintptr_t next_id = 1;
};
Registry& registry() {
  static Registry* r = new Registry();  // outlives every transport, never destroyed
  return *r;
}

// Runs fn(transport) on the transport's loop; drops it if the transport is gone. Output runs at
// once when already on that loop; received messages are always posted, so the application's
// callbacks (which may send) never run inside usrsctp's input path.
template <class F>
void dispatch(uintptr_t id, bool allow_sync, F fn) {
  SctpTransport* t = nullptr;
  GlibLoop* loop = nullptr;
  std::weak_ptr<bool> alive;
  {
    std::lock_guard<std::mutex> lock(registry().mu);
    auto it = registry().entries.find(id);
    if (it == registry().entries.end()) return;
    t = it->second.first;
    loop = it->second.second;
    alive = registry().alive[id];
  }
  if (allow_sync && loop->is_current()) {
    if (!alive.expired()) fn(t);
    return;
  }
  loop->post([t, alive, fn = std::move(fn)]() mutable {
    if (!alive.expired()) fn(t);
  });
}

int conn_output(void* addr, void* buffer, size_t length, uint8_t, uint8_t) {
  std::vector<uint8_t> packet(static_cast<uint8_t*>(buffer), static_cast<uint8_t*>(buffer) + length);
  dispatch(reinterpret_cast<uintptr_t>(addr), true, [p = std::move(packet)](SctpTransport* t) mutable {
    t->handle_output(std::move(p));
  });
  return 0;
}

int receive_cb(struct socket*, union sctp_sockstore, void* data, size_t len, struct sctp_rcvinfo info, int flags,
               void* ulp_info) {
  if (data == nullptr) return 1;
  std::vector<uint8_t> copy(static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + len);
  free(data);  // usrsctp hands the buffer over to the callback
  const uint16_t stream = info.rcv_sid;
  const uint32_t ppid = ntohl(info.rcv_ppid);
  dispatch(reinterpret_cast<uintptr_t>(ulp_info), false, [c = std::move(copy), stream, ppid, flags](SctpTransport* t) mutable {
    t->handle_receive(std::move(c), stream, ppid, flags);
  });
  return 1;
}

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    usrsctp_init_nothreads(0, conn_output, nullptr);
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    // No SCTP-over-UDP tunnelling: packets only ever travel inside DTLS (RFC 8261).
    usrsctp_sysctl_set_sctp_udp_tunneling_port(0);
    usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
  });
}

// usrsctp's clock advances by the real time elapsed since anyone last ticked it, whichever loop
// ticks: N transports do not make time run N times faster.
void tick_clock() {
  static std::mutex mu;
  static auto last = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu);
  const auto now = std::chrono::steady_clock::now();
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - last).count();
  if (elapsed <= 0) return;
  last = now;
  usrsctp_handle_timers(static_cast<uint32_t>(elapsed));
}

constexpr std::chrono::milliseconds kTick{20};

}  // namespace

SctpTransport::SctpTransport(GlibLoop& loop, Callbacks callbacks, log::Logger logger)
    : log_(std::move(logger)), loop_(loop), callbacks_(std::move(callbacks)) {}

Result<std::unique_ptr<SctpTransport>> SctpTransport::create(GlibLoop& loop, uint16_t local_port, uint16_t remote_port,
                                                             Callbacks callbacks, log::Logger logger) {
  init_once();
  std::unique_ptr<SctpTransport> t(new SctpTransport(loop, std::move(callbacks), std::move(logger)));
  t->remote_port_ = remote_port;
  {
    std::lock_guard<std::mutex> lock(registry().mu);
    t->id_ = registry().next_id++;
    registry().entries[t->id_] = {t.get(), &loop};
    registry().alive[t->id_] = std::make_shared<bool>(true);
  }
  void* addr = reinterpret_cast<void*>(t->id_);
  usrsctp_register_address(addr);
  t->sock_ = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, receive_cb, nullptr, 0, addr);
  if (t->sock_ == nullptr) return make_error(ErrorCode::kInternal, "SCTP: usrsctp_socket failed: " + std::string(strerror(errno)));
  usrsctp_set_non_blocking(t->sock_, 1);
  linger lg{1, 0};  // close aborts: no lingering association after the peer is gone
  usrsctp_setsockopt(t->sock_, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  sctp_assoc_value reset{};
  reset.assoc_id = SCTP_ALL_ASSOC;
  reset.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ;
  usrsctp_setsockopt(t->sock_, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof(reset));
  int on = 1;
  usrsctp_setsockopt(t->sock_, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on));
  usrsctp_setsockopt(t->sock_, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on));
  for (uint16_t type : {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_PEER_ADDR_CHANGE, SCTP_REMOTE_ERROR,
                        SCTP_SHUTDOWN_EVENT}) {
    sctp_event ev{};
    ev.se_assoc_id = SCTP_ALL_ASSOC;
    ev.se_on = 1;
    ev.se_type = type;
    usrsctp_setsockopt(t->sock_, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev));
  }
  sctp_initmsg init{};
  init.sinit_num_ostreams = kMaxStreams;
  init.sinit_max_instreams = kMaxStreams;
  usrsctp_setsockopt(t->sock_, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init));
  // The path MTU is fixed: DTLS records must fit one 1200-byte datagram with headroom.
  sctp_paddrparams params{};
  params.spp_assoc_id = SCTP_FUTURE_ASSOC;
  params.spp_flags = SPP_PMTUD_DISABLE;
  params.spp_pathmtu = 1200 - 60;
  usrsctp_setsockopt(t->sock_, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &params, sizeof(params));
  sockaddr_conn sconn{};
  sconn.sconn_family = AF_CONN;
  sconn.sconn_port = htons(local_port);
  sconn.sconn_addr = addr;
  if (usrsctp_bind(t->sock_, reinterpret_cast<sockaddr*>(&sconn), sizeof(sconn)) < 0) {
    return make_error(ErrorCode::kInternal, "SCTP: bind failed: " + std::string(strerror(errno)));
  }
  return t;
}

SctpTransport::~SctpTransport() {
  close();
  std::lock_guard<std::mutex> lock(registry().mu);
  registry().entries.erase(id_);
  registry().alive.erase(id_);
}

Status SctpTransport::connect() {
  if (closed_ || sock_ == nullptr) return make_error(ErrorCode::kUnavailable, "SCTP: closed");
  sockaddr_conn sconn{};
  sconn.sconn_family = AF_CONN;
  sconn.sconn_port = htons(remote_port_);
  sconn.sconn_addr = reinterpret_cast<void*>(id_);
  if (usrsctp_connect(sock_, reinterpret_cast<sockaddr*>(&sconn), sizeof(sconn)) < 0 && errno != EINPROGRESS) {
    return make_error(ErrorCode::kUnavailable, "SCTP: connect failed: " + std::string(strerror(errno)), true);
  }
  timer_ = loop_.post_after(kTick, [this] { tick(); });
  return {};
}

void SctpTransport::tick() {
  if (closed_) return;
  tick_clock();
  timer_ = loop_.post_after(kTick, [this] { tick(); });
}

void SctpTransport::receive(std::span<const uint8_t> packet) {
  if (closed_ || packet.empty()) return;
  // Garbage is checked (CRC32c, verification tag) and dropped inside usrsctp.
  usrsctp_conninput(reinterpret_cast<void*>(id_), packet.data(), packet.size(), 0);
}

Status SctpTransport::send(uint16_t stream, uint32_t ppid, std::span<const uint8_t> data, bool ordered,
                           std::optional<int> max_retransmits) {
  if (closed_ || !connected_) return make_error(ErrorCode::kUnavailable, "SCTP: not connected", true);
  sctp_sendv_spa spa{};
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = stream;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  spa.sendv_sndinfo.snd_flags = ordered ? 0 : SCTP_UNORDERED;
  if (max_retransmits) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
    spa.sendv_prinfo.pr_value = static_cast<uint32_t>(std::max(0, *max_retransmits));
  }
  // An empty message is sent as one zero byte with an "empty" PPID by the caller (RFC 8831 6.6).
  const ssize_t n = usrsctp_sendv(sock_, data.data(), data.size(), nullptr, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0);
  if (n < 0) {
    if (errno == EWOULDBLOCK || errno == EAGAIN) {
      return make_error(ErrorCode::kResourceExhausted, "SCTP: send buffer full", true);
    }
    return make_error(ErrorCode::kUnavailable, "SCTP: send failed: " + std::string(strerror(errno)), true);
  }
  return {};
}

void SctpTransport::reset_stream(uint16_t stream) {
  if (closed_ || !connected_) return;
  std::vector<uint8_t> buf(sizeof(sctp_reset_streams) + sizeof(uint16_t));
  auto* srs = reinterpret_cast<sctp_reset_streams*>(buf.data());
  srs->srs_assoc_id = SCTP_ALL_ASSOC;
  srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  srs->srs_number_streams = 1;
  srs->srs_stream_list[0] = stream;
  usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, static_cast<socklen_t>(buf.size()));
}

void SctpTransport::close() {
  if (closed_) return;
  closed_ = true;
  connected_ = false;
  timer_.cancel();
  if (sock_) {
    usrsctp_close(sock_);  // SO_LINGER 0: sends ABORT through conn_output (dropped: closed_)
    sock_ = nullptr;
  }
  usrsctp_deregister_address(reinterpret_cast<void*>(id_));
}

void SctpTransport::handle_output(std::vector<uint8_t> packet) {
  if (closed_ || !callbacks_.send) return;
  if (auto s = callbacks_.send(packet); !s) {
    log_.trace("sctp: output dropped", {{"error", s.error().to_string()}});
  }
}

void SctpTransport::handle_receive(std::vector<uint8_t> data, uint16_t stream, uint32_t ppid, int flags) {
  if (closed_) return;
  if (flags & MSG_NOTIFICATION) {
    handle_notification(data);
    return;
  }
  if (!(flags & MSG_EOR)) {
    auto& buf = partial_[stream];
    if (buf.size() + data.size() > (1u << 20)) {
      buf.clear();  // refuse messages over 1 MiB rather than grow without bound
      return;
    }
    buf.insert(buf.end(), data.begin(), data.end());
    return;
  }
  if (auto it = partial_.find(stream); it != partial_.end()) {
    it->second.insert(it->second.end(), data.begin(), data.end());
    data = std::move(it->second);
    partial_.erase(it);
  }
  if (callbacks_.on_message) callbacks_.on_message(stream, ppid, data);
}

void SctpTransport::handle_notification(const std::vector<uint8_t>& data) {
  if (data.size() < 8) return;
  const auto* n = reinterpret_cast<const sctp_notification*>(data.data());
  switch (n->sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE: {
      if (data.size() < sizeof(sctp_assoc_change)) return;
      const auto state = n->sn_assoc_change.sac_state;
      if (state == SCTP_COMM_UP) {
        if (!connected_) {
          connected_ = true;
          if (callbacks_.on_connected) callbacks_.on_connected();
        }
      } else if (state == SCTP_COMM_LOST || state == SCTP_CANT_STR_ASSOC || state == SCTP_SHUTDOWN_COMP) {
        connected_ = false;
        if (callbacks_.on_failed) callbacks_.on_failed(Error(ErrorCode::kUnavailable, "SCTP: association lost", true));
      }
      break;
    }
    case SCTP_STREAM_RESET_EVENT: {
      if (data.size() < sizeof(sctp_stream_reset_event)) return;
      const auto& ev = n->sn_strreset_event;
      if (!(ev.strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN)) return;
      const size_t len = std::min<size_t>(ev.strreset_length, data.size());
      if (len < sizeof(sctp_stream_reset_event)) return;
      const size_t count = (len - sizeof(sctp_stream_reset_event)) / 2;
      for (size_t i = 0; i < count; ++i) {
        if (callbacks_.on_stream_reset) callbacks_.on_stream_reset(ev.strreset_stream_list[i]);
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace parley::rtc
