#include "livekit/rtc/peer_connection.h"

#include <chrono>

#include "livekit/rtc/peer_connection_impl.h"
#include "livekit/rtc/rtp_packet.h"
#include "livekit/rtc/sdp.h"

namespace parley::rtc {

namespace {

constexpr auto kRtcpInterval = std::chrono::seconds(5);

// NTP time (RFC 3550 §4) for sender reports.
uint64_t ntp_now() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  const uint64_t secs = static_cast<uint64_t>(us / 1000000) + 2208988800ULL;
  const uint64_t frac = (static_cast<uint64_t>(us % 1000000) << 32) / 1000000;
  return secs << 32 | frac;
}

uint64_t steady_ms() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

}  // namespace

std::unique_ptr<PeerConnection> PeerConnection::create(GlibLoop& loop, PeerConfig config, PeerCallbacks callbacks) {
  auto pc = std::make_unique<PeerConnectionImpl>(loop, std::move(config), std::move(callbacks));
  if (auto s = pc->init(); !s) {
    pc->log().error("rtc: peer connection setup failed", {{"error", s.error().to_string()}});
    pc->close();
  }
  return pc;
}

PeerConnectionImpl::PeerConnectionImpl(GlibLoop& loop, PeerConfig config, PeerCallbacks callbacks)
    : loop_(loop),
      config_(std::move(config)),
      callbacks_(std::move(callbacks)),
      log_(config_.logger.with("pc", config_.name)),
      rng_(std::random_device{}()) {
  sdp_session_.id = (static_cast<uint64_t>(rng_()) << 31 | rng_()) & 0x3fffffffffffffffULL;
  receiver_ssrc_ = rng_() | 1;
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (int i = 0; i < 16; ++i) cname_ += kChars[rng_() % (sizeof(kChars) - 1)];
}

PeerConnectionImpl::~PeerConnectionImpl() {
  close();
  *alive_ = false;
}

Status PeerConnectionImpl::init() {
  auto cert = DtlsCertificate::generate();
  if (!cert) return tl::unexpected(cert.error());
  cert_ = *cert;
  IceTransport::Config ic;
  ic.loopback_only = config_.loopback_only;
  ic.local_addresses = config_.local_addresses;
  ic.tcp = config_.ice_tcp;
  ic.udp = config_.ice_udp;
  ic.servers = config_.ice_servers;
  IceTransport::Callbacks cb;
  cb.on_candidate = [this](const IceCandidate& c) { on_local_candidate(c); };
  cb.on_gathering_done = [this] {
    gathering_done_ = true;
    flush_candidates();
  };
  cb.on_state = [this](IceState s) { on_ice_state(s); };
  cb.on_packet = [this](std::span<const uint8_t> p) { on_packet(p); };
  ic.logger = log_;
  auto ice = IceTransport::create(loop_, std::move(ic), std::move(cb));
  if (!ice) return tl::unexpected(ice.error());
  ice_ = std::move(*ice);
  return {};
}

LocalTransport PeerConnectionImpl::local_transport(DtlsSetup setup) const {
  LocalTransport t;
  t.ice_ufrag = ice_->local_ufrag();
  t.ice_pwd = ice_->local_pwd();
  t.fingerprint = cert_->fingerprint();
  t.setup = setup;
  return t;
}

std::string PeerConnectionImpl::next_mid() { return std::to_string(next_mid_++); }

Result<std::string> PeerConnectionImpl::create_offer(bool ice_restart) {
  if (closed_ || !ice_) return make_error(ErrorCode::kUnavailable, "peer connection is closed");
  if (have_remote_ && !awaiting_answer_ && local_sections_.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "this peer connection answers offers; it cannot also offer");
  }
  if (want_data_section_ && std::none_of(local_sections_.begin(), local_sections_.end(),
                                         [](const LocalSection& s) { return s.kind == SectionKind::kData; })) {
    LocalSection s;
    s.kind = SectionKind::kData;
    s.mid = next_mid();
    local_sections_.push_back(s);
  }
  if (local_sections_.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "nothing to offer: add an audio track or a data channel first");
  }
  if (ice_restart && have_remote_) {
    // Candidates re-announced with the new ufrag must follow the SDP that carries it.
    local_sdp_out_ = false;
    if (auto s = ice_->restart(); !s) return tl::unexpected(s.error());
  }
  ice_->set_controlling(true);
  ++sdp_session_.version;
  std::string sdp = build_offer(local_transport(DtlsSetup::kActpass), local_sections_, sdp_session_);
  candidate_mid_ = local_sections_.front().mid;
  awaiting_answer_ = true;
  if (auto s = ice_->gather(); !s) return tl::unexpected(s.error());
  if (!local_sdp_out_) {
    local_sdp_out_ = true;
    // Candidates found so far go out after this SDP: post, so the caller sends the SDP first.
    std::weak_ptr<bool> alive = alive_;
    loop_.post([this, alive] {
      if (!alive.expired()) flush_candidates();
    });
  }
  return sdp;
}

Status PeerConnectionImpl::set_answer(const std::string& text) {
  if (closed_) return make_error(ErrorCode::kUnavailable, "peer connection is closed");
  if (!awaiting_answer_) return make_error(ErrorCode::kInvalidArgument, "set_answer without a pending offer");
  auto parsed = sdp::parse(text);
  if (!parsed) return tl::unexpected(parsed.error());
  auto remote = read_remote_description(*parsed, false);
  if (!remote) return tl::unexpected(remote.error());
  if (auto s = check_answer(*remote, local_sections_); !s) return s;
  awaiting_answer_ = false;
  // The answerer's setup decides the DTLS roles: active answers make us the server.
  if (!dtls_) {
    auto role = remote->setup == DtlsSetup::kPassive ? DtlsRole::kClient : DtlsRole::kServer;
    if (auto s = ensure_dtls(role, remote->fingerprint); !s) return s;
  }
  for (size_t i = 0; i < local_sections_.size(); ++i) {
    if (local_sections_[i].kind == SectionKind::kAudio) {
      send_audio_level_ext_ = remote->sections[i].audio_level_ext;
      if (!remote->sections[i].rejected) {
        for (auto& sender : senders_) {
          if (sender->section().mid == local_sections_[i].mid) sender->set_negotiated();
        }
      }
    }
    if (local_sections_[i].kind == SectionKind::kData) {
      data_negotiated_ = true;
      remote_sctp_port_ = remote->sections[i].sctp_port;
    }
  }
  return apply_remote(*remote, false);
}

Result<std::string> PeerConnectionImpl::create_answer(const std::string& text) {
  if (closed_ || !ice_) return make_error(ErrorCode::kUnavailable, "peer connection is closed");
  if (awaiting_answer_ || !local_sections_.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "this peer connection offers; it cannot answer (no glare handling)");
  }
  auto parsed = sdp::parse(text);
  if (!parsed) return tl::unexpected(parsed.error());
  auto remote = read_remote_description(*parsed, true);
  if (!remote) return tl::unexpected(remote.error());
  if (!dtls_) {
    // actpass or passive offers make us the DTLS client (a=setup:active, like libwebrtc).
    const bool client = remote->setup != DtlsSetup::kActive;
    if (auto s = ensure_dtls(client ? DtlsRole::kClient : DtlsRole::kServer, remote->fingerprint); !s) {
      return tl::unexpected(s.error());
    }
  }
  const DtlsSetup our_setup = dtls_->role() == DtlsRole::kClient ? DtlsSetup::kActive : DtlsSetup::kPassive;
  remote_audio_.clear();
  ssrc_to_mid_.clear();
  candidate_mid_.clear();
  for (const auto& s : remote->sections) {
    if (s.rejected) continue;
    if (candidate_mid_.empty() && (s.kind == SectionKind::kData || s.opus_pt >= 0)) candidate_mid_ = s.mid;
    if (s.kind == SectionKind::kAudio && s.opus_pt >= 0) {
      remote_audio_.push_back({s.mid, s.opus_pt, s.audio_level_ext, s.mid_ext});
      for (uint32_t ssrc : s.ssrcs) ssrc_to_mid_[ssrc] = s.mid;
    } else if (s.kind == SectionKind::kData) {
      data_negotiated_ = true;
      remote_sctp_port_ = s.sctp_port;
    }
  }
  // An ICE restart by the remote (new ufrag) restarts our side too, before we answer.
  if (have_remote_ && remote->ice_ufrag != remote_ufrag_) {
    local_sdp_out_ = false;  // our new candidates follow this answer
    if (auto s = ice_->restart(); !s) return tl::unexpected(s.error());
  }
  if (auto s = apply_remote(*remote, true); !s) return tl::unexpected(s.error());
  ++sdp_session_.version;
  std::string answer = build_answer(local_transport(our_setup), *remote, sdp_session_);
  if (auto s = ice_->gather(); !s) return tl::unexpected(s.error());
  if (!local_sdp_out_) {
    local_sdp_out_ = true;
    std::weak_ptr<bool> alive = alive_;
    loop_.post([this, alive] {
      if (!alive.expired()) flush_candidates();
    });
  }
  return answer;
}

Status PeerConnectionImpl::ensure_dtls(DtlsRole role, const Fingerprint& remote_fp) {
  DtlsTransport::Callbacks cb;
  cb.send = [this](std::span<const uint8_t> d) {
    if (ice_) (void)ice_->send(d);
  };
  cb.on_connected = [this] { on_dtls_connected(); };
  cb.on_failed = [this](const Error& e) { fail(e); };
  cb.on_data = [this](std::span<const uint8_t> d) {
    if (data_) data_->receive(d);
  };
  cb.on_closed = [this] {
    if (!closed_) set_state(PeerState::kDisconnected);
  };
  auto t = DtlsTransport::create(loop_, cert_, role, remote_fp, std::move(cb), log_);
  if (!t) return tl::unexpected(t.error());
  dtls_ = std::move(*t);
  return {};
}

Status PeerConnectionImpl::apply_remote(const RemoteDescription& remote, bool remote_is_offer) {
  // The offerer controls, unless the other side is ICE-lite (then we must).
  ice_->set_controlling(!remote_is_offer || remote.ice_lite);
  if (!have_remote_ || remote.ice_ufrag != remote_ufrag_) {
    if (auto s = ice_->set_remote_credentials(remote.ice_ufrag, remote.ice_pwd); !s) return s;
    remote_ufrag_ = remote.ice_ufrag;
  }
  have_remote_ = true;
  for (const auto& line : remote.candidates) {
    auto c = parse_ice_candidate(line);
    if (!c) {
      log_.debug("rtc: skipped an SDP candidate", {{"error", c.error().to_string()}});
      continue;
    }
    (void)ice_->add_remote_candidate(*c);
  }
  auto early = std::move(early_remote_candidates_);
  early_remote_candidates_.clear();
  for (const auto& [ufrag, c] : early) {
    if (ufrag.empty() || ufrag == remote_ufrag_) (void)ice_->add_remote_candidate(c);
  }
  if (remote.end_of_candidates) ice_->remote_gathering_done();
  if (state_ == PeerState::kNew) set_state(PeerState::kConnecting);
  return {};
}

Status PeerConnectionImpl::add_remote_candidate(const IceCandidateInit& init) {
  if (closed_) return make_error(ErrorCode::kUnavailable, "peer connection is closed");
  if (init.candidate.empty()) {
    if (have_remote_) ice_->remote_gathering_done();
    return {};
  }
  auto c = parse_ice_candidate(init.candidate);
  if (!c) return tl::unexpected(c.error());
  // Before the remote description, or with another ufrag (an ICE restart whose SDP has not
  // arrived yet, or a stale generation): hold it; apply_remote() keeps those that match.
  if (!have_remote_ || (!init.username_fragment.empty() && init.username_fragment != remote_ufrag_)) {
    if (early_remote_candidates_.size() < 64) early_remote_candidates_.emplace_back(init.username_fragment, *c);
    return {};
  }
  return ice_->add_remote_candidate(*c);
}

AudioTrackSender* PeerConnectionImpl::add_audio_track(const std::string& stream_id, const std::string& track_id) {
  if (closed_ || (have_remote_ && local_sections_.empty())) return nullptr;
  LocalSection s;
  s.kind = SectionKind::kAudio;
  s.mid = next_mid();
  s.stream_id = stream_id.empty() ? "-" : stream_id;
  s.track_id = track_id;
  s.ssrc = rng_() | 1;
  s.cname = cname_;
  local_sections_.push_back(s);
  senders_.push_back(std::make_unique<AudioSender>(*this, s, static_cast<uint16_t>(rng_()), rng_()));
  return senders_.back().get();
}

Status PeerConnectionImpl::create_data_channel(const std::string& label, bool ordered, std::optional<int> max_retransmits) {
  if (closed_) return make_error(ErrorCode::kUnavailable, "peer connection is closed");
  want_data_section_ = true;
  ensure_data();
  return data_->open(label, ordered, max_retransmits);
}

void PeerConnectionImpl::ensure_data() {
  if (!data_) {
    DataChannels::Callbacks cb;
    cb.on_open = [this](const std::string& l) {
      if (!closed_ && callbacks_.on_data_channel_open) callbacks_.on_data_channel_open(l);
    };
    cb.on_close = [this](const std::string& l) {
      if (!closed_ && callbacks_.on_data_channel_close) callbacks_.on_data_channel_close(l);
    };
    cb.on_message = [this](const std::string& l, std::span<const uint8_t> d, bool binary) {
      if (!closed_ && callbacks_.on_data) callbacks_.on_data(l, d, binary);
    };
    cb.on_failed = [this](const Error& e) { log_.warn("rtc: data channels failed", {{"error", e.to_string()}}); };
    data_ = std::make_unique<DataChannels>(loop_, std::move(cb), log_);
  }
}

Status PeerConnectionImpl::send_data(const std::string& label, std::span<const uint8_t> data, bool binary) {
  if (closed_) return make_error(ErrorCode::kUnavailable, "peer connection is closed");
  if (!data_) return make_error(ErrorCode::kUnavailable, "data channel '" + label + "' is not open", true);
  return data_->send(label, data, binary);
}

void PeerConnectionImpl::on_local_candidate(const IceCandidate& c) {
  if (closed_) return;
  held_candidates_.push_back(c);
  if (local_sdp_out_) flush_candidates();
}

void PeerConnectionImpl::flush_candidates() {
  if (closed_ || !local_sdp_out_) return;
  auto held = std::move(held_candidates_);
  held_candidates_.clear();
  for (const auto& c : held) {
    if (callbacks_.on_local_candidate) {
      IceCandidateInit init;
      init.candidate = c.to_string();
      init.sdp_mid = candidate_mid_;
      init.sdp_mline_index = 0;
      init.username_fragment = ice_->local_ufrag();
      callbacks_.on_local_candidate(init);
      if (closed_) return;
    }
  }
  if (gathering_done_ && !gathering_done_reported_) {
    gathering_done_reported_ = true;
    if (callbacks_.on_local_candidates_done) callbacks_.on_local_candidates_done();
  }
}

void PeerConnectionImpl::on_ice_state(IceState s) {
  if (closed_) return;
  log_.debug("rtc: ice state", {{"state", std::string(to_string(s))}});
  switch (s) {
    case IceState::kConnected:
      if (dtls_) dtls_->start();
      if (state_ == PeerState::kDisconnected && dtls_ && dtls_->connected()) set_state(PeerState::kConnected);
      break;
    case IceState::kFailed:
      // No working pair, or consent lost (RFC 7675): the caller decides between an ICE
      // restart and a reconnect.
      set_state(PeerState::kFailed);
      break;
    default:
      break;
  }
}

void PeerConnectionImpl::on_dtls_connected() {
  if (closed_) return;
  auto keys = dtls_->srtp_keys();
  if (!keys) return fail(keys.error());
  auto srtp = SrtpSession::create(keys->profile, keys->local, keys->remote);
  if (!srtp) return fail(srtp.error());
  srtp_ = std::move(*srtp);
  if (data_negotiated_) {
    ensure_data();  // the remote may open channels (DCEP) even if we asked for none
    auto s = data_->start(dtls_->role() == DtlsRole::kClient, remote_sctp_port_,
                          [this](std::span<const uint8_t> p) -> Status {
                            if (!dtls_) return make_error(ErrorCode::kUnavailable, "no DTLS");
                            return dtls_->send(p);
                          });
    if (!s) log_.warn("rtc: SCTP start failed", {{"error", s.error().to_string()}});
  }
  start_rtcp_timer();
  set_state(PeerState::kConnected);
}

void PeerConnectionImpl::on_packet(std::span<const uint8_t> packet) {
  if (closed_) return;
  switch (classify_packet(packet)) {
    case PacketClass::kDtls:
      if (dtls_) dtls_->receive(packet);
      break;
    case PacketClass::kRtp:
      on_rtp(packet);
      break;
    case PacketClass::kRtcp:
      on_rtcp(packet);
      break;
    default:
      break;  // STUN is libnice's; anything else is noise
  }
}

void PeerConnectionImpl::on_rtp(std::span<const uint8_t> packet) {
  if (!srtp_ || remote_audio_.empty()) return;
  std::vector<uint8_t> buf(packet.begin(), packet.end());
  if (auto s = srtp_->unprotect_rtp(buf); !s) {
    log_.trace("rtc: dropped an RTP packet", {{"error", s.error().to_string()}});
    return;
  }
  const RemoteAudio& first = remote_audio_.front();
  auto rtp = parse_rtp(buf, first.audio_level_ext, first.mid_ext);
  if (!rtp) return;
  const RemoteAudio* section = nullptr;
  std::string mid = rtp->mid;
  if (mid.empty()) {
    if (auto it = ssrc_to_mid_.find(rtp->ssrc); it != ssrc_to_mid_.end()) mid = it->second;
  } else {
    ssrc_to_mid_[rtp->ssrc] = mid;
  }
  for (const auto& a : remote_audio_) {
    if (a.mid == mid) section = &a;
  }
  if (section == nullptr && remote_audio_.size() == 1) section = &first;
  if (section == nullptr || rtp->payload_type != section->pt) return;  // RED or an unknown SSRC
  const uint32_t arrival = static_cast<uint32_t>(steady_ms() * 48);
  receive_stats_[rtp->ssrc].on_packet(rtp->seq, rtp->timestamp, arrival);
  if (callbacks_.on_audio) {
    RtpAudioPacket out;
    out.ssrc = rtp->ssrc;
    out.mid = section->mid;
    out.seq = rtp->seq;
    out.timestamp = rtp->timestamp;
    out.marker = rtp->marker;
    out.payload.assign(rtp->payload.begin(), rtp->payload.end());
    out.audio_level = rtp->audio_level;
    callbacks_.on_audio(out);
  }
}

void PeerConnectionImpl::on_rtcp(std::span<const uint8_t> packet) {
  if (!srtp_) return;
  std::vector<uint8_t> buf(packet.begin(), packet.end());
  if (!srtp_->unprotect_rtcp(buf)) return;
  auto c = parse_rtcp(buf);
  if (!c) return;
  for (const auto& r : c->reports) {
    if (r.is_sender_report) {
      auto it = receive_stats_.find(r.ssrc);
      if (it != receive_stats_.end()) it->second.on_sender_report(r.sender.ntp, steady_ms());
    }
    // The far end's reception of what we send (an SFU reports on each published track).
    for (const auto& b : r.blocks) {
      for (auto& sender : senders_) {
        if (sender->ssrc() == b.ssrc) sender->on_report(b);
      }
    }
  }
}

std::vector<RtpReceiveSummary> PeerConnectionImpl::receive_summaries() const {
  std::vector<RtpReceiveSummary> out;
  for (const auto& [ssrc, stats] : receive_stats_) {
    RtpReceiveSummary s;
    s.ssrc = ssrc;
    if (auto it = ssrc_to_mid_.find(ssrc); it != ssrc_to_mid_.end()) s.mid = it->second;
    if (s.mid.empty() && remote_audio_.size() == 1) s.mid = remote_audio_.front().mid;
    s.expected = stats.expected();
    s.lost = stats.lost();
    s.jitter = stats.jitter();
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<RtpSendSummary> PeerConnectionImpl::send_summaries() const {
  std::vector<RtpSendSummary> out;
  for (const auto& s : senders_) out.push_back(s->summary());
  return out;
}

bool PeerConnectionImpl::send_rtp(std::vector<uint8_t>& packet) {
  if (closed_ || !srtp_ || state_ != PeerState::kConnected) {
    ++dropped_audio_;
    return false;
  }
  if (!srtp_->protect_rtp(packet)) return false;
  return static_cast<bool>(ice_->send(packet));
}

void PeerConnectionImpl::start_rtcp_timer() {
  rtcp_timer_ = loop_.post_after(kRtcpInterval, [this] {
    send_rtcp_reports();
    start_rtcp_timer();
  });
}

void PeerConnectionImpl::send_rtcp_reports() {
  if (closed_ || !srtp_) return;
  const uint64_t now = steady_ms();
  std::vector<ReportBlock> blocks;
  for (auto& [ssrc, stats] : receive_stats_) blocks.push_back(stats.make_block(ssrc, now));
  std::vector<uint8_t> packet;
  bool any_sender = false;
  const uint64_t ntp = ntp_now();
  for (const auto& s : senders_) {
    if (!s->has_sent()) continue;
    SenderInfo info = s->sender_info(ntp);
    build_rtcp_report(s->ssrc(), &info, any_sender ? std::vector<ReportBlock>{} : blocks, cname_, packet);
    any_sender = true;
  }
  if (!any_sender) {
    if (blocks.empty()) return;
    build_rtcp_report(receiver_ssrc_, nullptr, blocks, cname_, packet);
  }
  if (srtp_->protect_rtcp(packet)) (void)ice_->send(packet);
}

void PeerConnectionImpl::set_state(PeerState s) {
  if (s == state_ || closed_) return;
  state_ = s;
  log_.info("rtc: peer connection state", {{"state", std::string(to_string(s))}});
  if (callbacks_.on_state) callbacks_.on_state(s);
}

void PeerConnectionImpl::fail(const Error& e) {
  if (closed_) return;
  log_.warn("rtc: peer connection failed", {{"error", e.to_string()}});
  set_state(PeerState::kFailed);
}

void PeerConnectionImpl::close() {
  if (closed_) return;
  closed_ = true;
  state_ = PeerState::kClosed;
  rtcp_timer_.cancel();
  if (data_) data_->close();
  if (dtls_) dtls_->close();
  if (ice_) ice_->close();
  // The transports may be on the stack right now (close() from inside a callback): destroy them
  // on a later turn of the loop, never under their own feet.
  auto graveyard = std::make_shared<std::tuple<std::unique_ptr<DataChannels>, std::unique_ptr<DtlsTransport>,
                                               std::unique_ptr<IceTransport>, std::unique_ptr<SrtpSession>>>(
      std::move(data_), std::move(dtls_), std::move(ice_), std::move(srtp_));
  loop_.post([graveyard = std::move(graveyard)] {});
}

}  // namespace parley::rtc
