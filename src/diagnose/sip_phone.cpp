// libre's sipsess places the call (INVITE with an SDP offer, ACK, CANCEL, BYE, digest auth),
// libre's sdp and rtp modules carry the media. Everything runs on the calling thread's libre
// loop: libre is single-threaded per loop, and the test call is one call at a time.
#include "diagnose/sip_phone.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "media/g711.h"

// libre's headers need the C99 integer types from <inttypes.h> (its build defines this).
#ifndef HAVE_INTTYPES_H
#define HAVE_INTTYPES_H 1
#endif
#include <re.h>

namespace parley::diagnose {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr uint8_t kPcmu = 0;             // RTP payload type 0 = PCMU/8000
constexpr int kSamplesPerPacket = 160;   // 20 ms at 8 kHz
constexpr uint32_t kByeWaitMs = 2000;    // how long to wait for the BYE's (or CANCEL's) answer

// libre keeps one loop per thread; libre_init once per process, the loop once per thread.
void libre_setup() {
  static std::once_flag once;
  std::call_once(once, [] { libre_init(); });
  re_thread_init();  // EALREADY on later calls from the same thread: fine
}

std::string pl_string(const pl& p) { return std::string(p.p ? p.p : "", p.l); }

// The local address the kernel would use to reach ip (so Via, Contact and SDP name an address
// the far end can answer to).
Result<std::string> local_ip_towards(const std::string& ip, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return make_error(ErrorCode::kUnavailable, std::string("socket: ") + std::strerror(errno));
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &dst.sin_addr);
  sockaddr_in local{};
  socklen_t len = sizeof local;
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return make_error(ErrorCode::kUnavailable, "no route to " + ip + ": " + std::strerror(err));
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &local.sin_addr, buf, sizeof buf);
  return std::string(buf);
}

// One call: libre objects, the state reported to the caller, and the handlers.
class Call {
 public:
  Call(const PhoneOptions& o, std::chrono::milliseconds tick, const std::function<PhoneAction(const PhoneState&)>& f)
      : o_(o), tick_ms_(uint32_t(tick.count())), tick_fn_(f) {
    tmr_init(&tick_tmr_);
    tmr_init(&media_tmr_);
    tmr_init(&stop_tmr_);
  }
  ~Call() {
    tmr_cancel(&tick_tmr_);
    tmr_cancel(&media_tmr_);
    tmr_cancel(&stop_tmr_);
    sess_ = static_cast<sipsess*>(mem_deref(sess_));
    rtp_ = static_cast<struct rtp_sock*>(mem_deref(rtp_));
    sdp_ = static_cast<sdp_session*>(mem_deref(sdp_));
    sock_ = static_cast<sipsess_sock*>(mem_deref(sock_));
    if (sip_) sip_close(sip_, true);
    sip_ = static_cast<sip*>(mem_deref(sip_));
  }

  Result<PhoneState> run(const std::string& local_ip) {
    sa laddr{};
    if (int err = sa_set_str(&laddr, local_ip.c_str(), 0)) return fail("local address", err);
    if (int err = sip_alloc(&sip_, nullptr, 16, 16, 16, "parley-diagnose", nullptr, nullptr)) return fail("sip_alloc", err);
    if (int err = sip_transp_add(sip_, SIP_TRANSP_UDP, &laddr)) return fail("SIP socket", err);
    sip_set_trace_handler(sip_, &Call::on_trace);
    trace_owner() = this;
    if (int err = sipsess_listen(&sock_, sip_, 16, &Call::on_incoming, this)) return fail("sipsess_listen", err);
    if (int err = rtp_listen(&rtp_, IPPROTO_UDP, &laddr, 40000, 49999, false, &Call::on_rtp, nullptr, this)) {
      return fail("RTP socket", err);
    }
    sa dst{};
    sa_set_str(&dst, o_.host.c_str(), o_.port);
    sa sip_local{};
    sip_transp_laddr(sip_, &sip_local, SIP_TRANSP_UDP, &dst);
    state_.local_address = local_ip + ":" + std::to_string(sa_port(&sip_local));

    sa media_addr = *rtp_local(rtp_);
    if (int err = sdp_session_alloc(&sdp_, &media_addr)) return fail("SDP", err);
    sdp_media* m = nullptr;
    if (int err = sdp_media_add(&m, sdp_, "audio", sa_port(&media_addr), "RTP/AVP")) return fail("SDP media", err);
    media_ = m;
    if (int err = sdp_format_add(nullptr, m, false, "0", "PCMU", 8000, 1, nullptr, nullptr, nullptr, false, nullptr)) {
      return fail("SDP format", err);
    }
    mbuf* offer = nullptr;
    if (int err = sdp_encode(&offer, sdp_, true)) return fail("SDP offer", err);

    const std::string to = "sip:" + o_.to + "@" + o_.host + ":" + std::to_string(o_.port);
    const std::string from = "sip:" + o_.from + "@" + local_ip;
    started_ = SteadyClock::now();
    int err = sipsess_connect(&sess_, sock_, to.c_str(), "parley diagnose", from.c_str(), "parley", nullptr, 0,
                              "application/sdp", offer, &Call::on_auth, this, false, &Call::on_offer,
                              &Call::on_answer, &Call::on_progress, &Call::on_established, nullptr, nullptr,
                              &Call::on_close, this, nullptr);
    mem_deref(offer);
    if (err) return fail("INVITE", err);
    state_.call_id = sip_dialog_callid(sipsess_dialog(sess_));
    tmr_start(&tick_tmr_, tick_ms_, &Call::on_tick, this);
    re_main(nullptr);
    trace_owner() = nullptr;
    state_.now = elapsed();
    return state_;
  }

 private:
  Result<PhoneState> fail(const std::string& what, int err) {
    return make_error(ErrorCode::kUnavailable, what + ": " + std::strerror(err));
  }
  double elapsed() const { return std::chrono::duration<double>(SteadyClock::now() - started_).count(); }

  // Ends the loop once the hang-up is answered (or after kByeWaitMs).
  void finish_soon(uint32_t ms) { tmr_start(&stop_tmr_, ms, [](void*) { re_cancel(); }, nullptr); }

  void hang_up() {
    if (state_.hangup_sent || ended_) return;
    state_.hangup_sent = elapsed();
    tmr_cancel(&media_tmr_);
    // Destroying the session makes libre send BYE (answered call) or CANCEL (still ringing).
    sess_ = static_cast<sipsess*>(mem_deref(sess_));
    finish_soon(kByeWaitMs);
  }

  static void on_tick(void* arg) {
    auto* c = static_cast<Call*>(arg);
    c->state_.now = c->elapsed();
    if (c->ended_) return;
    // libre answers a 401 that carries no new challenge by retrying the same credentials; the
    // bridge answers every retry 401 again, so one rejection of our credentials is final.
    if (c->auth_rejected_ || c->tick_fn_(c->state_) == PhoneAction::kHangUp) {
      c->hang_up();
      return;
    }
    tmr_start(&c->tick_tmr_, c->tick_ms_, &Call::on_tick, c);
  }

  static void on_incoming(const sip_msg* msg, void* arg) {
    auto* c = static_cast<Call*>(arg);
    sip_treply(nullptr, c->sip_, msg, 486, "Busy Here");  // a test phone takes no calls
  }

  static int on_offer(mbuf** /*descp*/, const sip_msg* /*msg*/, void* /*arg*/) { return 0; }

  static int on_answer(const sip_msg* msg, void* arg) {
    auto* c = static_cast<Call*>(arg);
    if (int err = sdp_decode(c->sdp_, msg->mb, false)) return err;
    const sa* raddr = sdp_media_raddr(c->media_);
    if (raddr && sa_isset(raddr, SA_ALL)) {
      c->remote_media_ = *raddr;
      c->have_remote_media_ = true;
    }
    return 0;
  }

  static void on_progress(const sip_msg* msg, void* arg) {
    auto* c = static_cast<Call*>(arg);
    c->state_.provisional.push_back({msg->scode, pl_string(msg->reason), c->elapsed()});
  }

  static void on_established(const sip_msg* msg, void* arg) {
    auto* c = static_cast<Call*>(arg);
    c->state_.final = SipResponse{msg->scode, pl_string(msg->reason), c->elapsed()};
    // Silence towards the far end, so it sees media flowing from the phone.
    if (c->have_remote_media_) tmr_start(&c->media_tmr_, 20, &Call::on_media_tick, c);
  }

  static void on_close(int err, const sip_msg* msg, void* arg) {
    auto* c = static_cast<Call*>(arg);
    const double t = c->elapsed();
    if (msg && msg->req) {
      c->state_.bye_received = t;  // the far end hung up (libre answered its BYE)
    } else if (msg && !c->state_.final) {
      c->state_.final = SipResponse{msg->scode, pl_string(msg->reason), t};
    } else if (!msg && err) {
      c->state_.error = err == ETIMEDOUT ? "no answer (SIP transaction timed out)" : std::strerror(err);
    }
    c->ended_ = true;
    tmr_cancel(&c->media_tmr_);
    tmr_cancel(&c->tick_tmr_);
    re_cancel();
  }

  static int on_auth(char** username, char** password, const char* /*realm*/, void* arg) {
    auto* c = static_cast<Call*>(arg);
    // Refusing ends the call with the challenge (401/407) as its final answer.
    if (c->o_.username.empty() || c->state_.sent_credentials) return EACCES;
    c->state_.sent_credentials = true;
    int err = str_dup(username, c->o_.username.c_str());
    if (!err) err = str_dup(password, c->o_.password.c_str());
    return err;
  }

  static void on_media_tick(void* arg) {
    auto* c = static_cast<Call*>(arg);
    mbuf* mb = mbuf_alloc(RTP_HEADER_SIZE + kSamplesPerPacket);
    if (mb) {
      mb->pos = RTP_HEADER_SIZE;
      mbuf_fill(mb, 0xFF, kSamplesPerPacket);  // µ-law silence
      mb->pos = RTP_HEADER_SIZE;
      rtp_send(c->rtp_, &c->remote_media_, false, c->rtp_ts_ == 0, kPcmu, c->rtp_ts_, mb);
      mem_deref(mb);
    }
    c->rtp_ts_ += kSamplesPerPacket;
    tmr_start(&c->media_tmr_, 20, &Call::on_media_tick, c);
  }

  static void on_rtp(const sa* /*src*/, const rtp_header* hdr, mbuf* mb, void* arg) {
    auto* c = static_cast<Call*>(arg);
    if (hdr->pt != kPcmu) return;  // telephone-event and anything else: not audio to measure
    const size_t n = std::min<size_t>(mbuf_get_left(mb), 1024);
    std::array<int16_t, 1024> pcm{};
    const uint8_t* p = mbuf_buf(mb);
    for (size_t i = 0; i < n; ++i) pcm[i] = media::ulaw_to_linear(p[i]);
    const double level = media::rms_dbfs(std::span<const int16_t>(pcm.data(), n));
    const double t = c->elapsed();
    ReceivedAudio& a = c->state_.audio;
    if (!a.first_packet) a.first_packet = t;
    ++a.packets;
    a.peak_dbfs = std::max(a.peak_dbfs, level);
    if (level >= kVoiceDbfs) {
      if (!a.first_voice) a.first_voice = t;
      a.last_voice = t;
      ++a.voiced_packets;
      a.voiced_sum_dbfs += level;
    }
  }

  // Every SIP message in or out passes here (libre's trace hook): used to see the answer to
  // our BYE/CANCEL (libre sends those itself when the session is destroyed) and a rejection
  // of our credentials. Parsed with libre's own SIP parser.
  static Call*& trace_owner() {
    static thread_local Call* owner = nullptr;
    return owner;
  }
  static void on_trace(bool tx, enum sip_transp, const sa*, const sa*, const uint8_t* pkt, size_t len, void*) {
    Call* c = trace_owner();
    if (!c || tx) return;
    mbuf* mb = mbuf_alloc(len);
    if (!mb) return;
    mbuf_write_mem(mb, pkt, len);
    mb->pos = 0;
    sip_msg* msg = nullptr;
    if (sip_msg_decode(&msg, mb) == 0 && msg && !msg->req) {
      const std::string method = pl_string(msg->cseq.met);
      if ((method == "BYE" || method == "CANCEL") && msg->scode >= 200 && !c->state_.bye_answer) {
        c->state_.bye_answer = SipResponse{msg->scode, pl_string(msg->reason), c->elapsed()};
        if (c->state_.hangup_sent) c->finish_soon(0);
      }
      if (method == "INVITE" && (msg->scode == 401 || msg->scode == 407) && c->state_.sent_credentials &&
          !c->auth_rejected_) {
        c->auth_rejected_ = true;
        if (!c->state_.final) c->state_.final = SipResponse{msg->scode, pl_string(msg->reason), c->elapsed()};
      }
    }
    mem_deref(msg);
    mem_deref(mb);
  }

  PhoneOptions o_;
  uint32_t tick_ms_;
  std::function<PhoneAction(const PhoneState&)> tick_fn_;
  SteadyClock::time_point started_;
  PhoneState state_;
  bool ended_ = false, auth_rejected_ = false, have_remote_media_ = false;
  sa remote_media_{};
  uint32_t rtp_ts_ = 0;
  struct sip* sip_ = nullptr;
  sipsess_sock* sock_ = nullptr;
  sipsess* sess_ = nullptr;
  struct rtp_sock* rtp_ = nullptr;
  sdp_session* sdp_ = nullptr;
  sdp_media* media_ = nullptr;
  tmr tick_tmr_{}, media_tmr_{}, stop_tmr_{};
};

}  // namespace

Result<SipAddress> resolve_sip_address(const std::string& text) {
  SipAddress a;
  std::string host = text;
  if (host.rfind("sip:", 0) == 0) host = host.substr(4);
  if (auto at = host.find('@'); at != std::string::npos) host = host.substr(at + 1);
  if (auto semi = host.find(';'); semi != std::string::npos) host = host.substr(0, semi);
  if (auto colon = host.rfind(':'); colon != std::string::npos) {
    try {
      int port = std::stoi(host.substr(colon + 1));
      if (port <= 0 || port > 65535) throw std::out_of_range("port");
      a.port = uint16_t(port);
    } catch (const std::exception&) {
      return make_error(ErrorCode::kInvalidArgument, "'" + text + "' is not host:port");
    }
    host = host.substr(0, colon);
  }
  if (host.empty()) return make_error(ErrorCode::kInvalidArgument, "'" + text + "' names no host");
  a.host = host;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0 || !res) {
    return make_error(ErrorCode::kNotFound, "cannot resolve SIP host '" + host + "': " + ::gai_strerror(rc));
  }
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof buf);
  ::freeaddrinfo(res);
  a.ip = buf;
  return a;
}

Result<PhoneState> place_call(const PhoneOptions& options, std::chrono::milliseconds tick_interval,
                              const std::function<PhoneAction(const PhoneState&)>& tick) {
  auto local = local_ip_towards(options.host, options.port);
  if (!local) return tl::unexpected(local.error());
  libre_setup();
  Call call(options, tick_interval, tick);
  return call.run(*local);
}

namespace {

struct OptionsProbe {
  std::optional<SipResponse> answer;
  SteadyClock::time_point started;
  static void on_response(int err, const sip_msg* msg, void* arg) {
    auto* p = static_cast<OptionsProbe*>(arg);
    if (!err && msg) {
      p->answer = SipResponse{msg->scode, pl_string(msg->reason),
                              std::chrono::duration<double>(SteadyClock::now() - p->started).count()};
    }
    re_cancel();
  }
};

}  // namespace

Result<SipResponse> sip_options(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
  auto local = local_ip_towards(host, port);
  if (!local) return tl::unexpected(local.error());
  libre_setup();
  struct sip* sip = nullptr;
  sip_dialog* dlg = nullptr;
  struct sip_request* req = nullptr;
  tmr deadline;
  tmr_init(&deadline);
  OptionsProbe probe;
  auto cleanup = [&] {
    tmr_cancel(&deadline);
    req = static_cast<struct sip_request*>(mem_deref(req));
    dlg = static_cast<sip_dialog*>(mem_deref(dlg));
    if (sip) sip_close(sip, true);
    sip = static_cast<struct sip*>(mem_deref(sip));
  };
  sa laddr{};
  sa_set_str(&laddr, local->c_str(), 0);
  const std::string uri = "sip:" + host + ":" + std::to_string(port);
  const std::string from = "sip:parley-diagnose@" + *local;
  int err = sip_alloc(&sip, nullptr, 4, 4, 4, "parley-diagnose", nullptr, nullptr);
  if (!err) err = sip_transp_add(sip, SIP_TRANSP_UDP, &laddr);
  if (!err) err = sip_dialog_alloc(&dlg, uri.c_str(), uri.c_str(), nullptr, from.c_str(), nullptr, 0);
  probe.started = SteadyClock::now();
  if (!err) {
    err = sip_drequestf(&req, sip, true, "OPTIONS", dlg, 0, nullptr, nullptr, &OptionsProbe::on_response, &probe,
                        "Accept: application/sdp\r\nContent-Length: 0\r\n\r\n");
  }
  if (err) {
    cleanup();
    return make_error(ErrorCode::kUnavailable, std::string("SIP OPTIONS: ") + std::strerror(err));
  }
  tmr_start(&deadline, uint64_t(timeout.count()), [](void*) { re_cancel(); }, nullptr);
  re_main(nullptr);
  cleanup();
  if (!probe.answer) {
    return make_error(ErrorCode::kTimeout, "no answer to SIP OPTIONS from " + host + ":" + std::to_string(port) +
                                               " within " + std::to_string(timeout.count()) + " ms");
  }
  return *probe.answer;
}

}  // namespace parley::diagnose
