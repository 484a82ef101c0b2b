// The PeerConnection glue: offer/answer state, the transport stack (ICE → DTLS → SRTP/SCTP),
// the RFC 7983 demultiplexer, Opus senders and receivers, and RTCP reports. Private to the
// library; see peer_connection.h for the contract.
#pragma once

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/log.h"
#include "livekit/rtc/data_channel.h"
#include "livekit/rtc/dtls_transport.h"
#include "livekit/rtc/ice_transport.h"
#include "livekit/rtc/negotiation.h"
#include "livekit/rtc/peer_connection.h"
#include "livekit/rtc/rtcp_packet.h"
#include "livekit/rtc/srtp_session.h"

namespace parley::rtc {

class PeerConnectionImpl;

class AudioSender final : public AudioTrackSender {
 public:
  AudioSender(PeerConnectionImpl& pc, LocalSection section, uint16_t first_seq, uint32_t first_ts);
  const std::string& track_id() const override { return section_.track_id; }
  uint32_t ssrc() const override { return section_.ssrc; }
  bool negotiated() const override { return negotiated_; }
  void set_negotiated() { negotiated_ = true; }
  void send_opus(std::span<const uint8_t> frame, uint32_t samples, uint8_t audio_level_dbov) override;

  const LocalSection& section() const { return section_; }
  SenderInfo sender_info(uint64_t ntp) const;
  bool has_sent() const { return packets_ > 0; }
  uint32_t packets_sent() const { return packets_; }
  uint16_t first_seq() const { return first_seq_; }
  // A receiver report block about this SSRC.
  void on_report(const ReportBlock& block);
  RtpSendSummary summary() const;

 private:
  PeerConnectionImpl& pc_;
  LocalSection section_;
  uint16_t seq_;
  uint16_t first_seq_;
  uint32_t timestamp_;
  uint64_t reports_ = 0;
  ReportBlock last_report_;
  uint32_t packets_ = 0;
  uint32_t octets_ = 0;
  bool first_ = true;
  bool negotiated_ = false;
  std::vector<uint8_t> buffer_;
  std::chrono::steady_clock::time_point last_sent_{};
};

class PeerConnectionImpl final : public PeerConnection {
 public:
  PeerConnectionImpl(GlibLoop& loop, PeerConfig config, PeerCallbacks callbacks);
  ~PeerConnectionImpl() override;
  Status init();
  const log::Logger& log() const { return log_; }

  Result<std::string> create_answer(const std::string& remote_offer_sdp) override;
  Result<std::string> create_offer(bool ice_restart) override;
  Status set_answer(const std::string& remote_answer_sdp) override;
  Status add_remote_candidate(const IceCandidateInit& candidate) override;
  AudioTrackSender* add_audio_track(const std::string& stream_id, const std::string& track_id) override;
  Status create_data_channel(const std::string& label, bool ordered, std::optional<int> max_retransmits) override;
  Status send_data(const std::string& label, std::span<const uint8_t> data, bool binary) override;
  PeerState state() const override { return state_; }
  void close() override;
  std::vector<RtpReceiveSummary> receive_summaries() const override;
  std::vector<RtpSendSummary> send_summaries() const override;

  // For AudioSender: protect and send one RTP packet; false when not connected.
  bool send_rtp(std::vector<uint8_t>& packet);
  int audio_level_ext_for_sending() const { return send_audio_level_ext_; }
  const std::string& cname() const { return cname_; }

 private:
  Status apply_remote(const RemoteDescription& remote, bool remote_is_offer);
  Status ensure_dtls(DtlsRole role, const Fingerprint& remote_fp);
  void on_ice_state(IceState s);
  void on_local_candidate(const IceCandidate& c);
  void flush_candidates();
  void on_packet(std::span<const uint8_t> packet);
  void on_rtp(std::span<const uint8_t> packet);
  void on_rtcp(std::span<const uint8_t> packet);
  void on_dtls_connected();
  void set_state(PeerState s);
  void fail(const Error& e);
  void start_rtcp_timer();
  void send_rtcp_reports();
  LocalTransport local_transport(DtlsSetup setup) const;
  std::string next_mid();
  void ensure_data();

  GlibLoop& loop_;
  PeerConfig config_;
  PeerCallbacks callbacks_;
  log::Logger log_;  // PeerConfig::logger with pc=<name>
  std::mt19937 rng_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool closed_ = false;
  PeerState state_ = PeerState::kNew;

  std::shared_ptr<DtlsCertificate> cert_;
  std::unique_ptr<IceTransport> ice_;
  std::unique_ptr<DtlsTransport> dtls_;
  std::unique_ptr<SrtpSession> srtp_;
  std::unique_ptr<DataChannels> data_;

  SdpSession sdp_session_;
  // Offerer side (publisher).
  std::vector<LocalSection> local_sections_;
  std::vector<std::unique_ptr<AudioSender>> senders_;
  bool want_data_section_ = false;
  bool awaiting_answer_ = false;
  int next_mid_ = 0;
  // Both sides.
  bool have_remote_ = false;
  std::string remote_ufrag_;
  bool data_negotiated_ = false;
  uint16_t remote_sctp_port_ = kSctpPort;
  int send_audio_level_ext_ = 0;
  struct RemoteAudio {
    std::string mid;
    int pt = kOpusPayloadType;
    int audio_level_ext = 0;
    int mid_ext = 0;
  };
  std::vector<RemoteAudio> remote_audio_;
  std::map<uint32_t, std::string> ssrc_to_mid_;
  std::map<uint32_t, RtpReceiveStats> receive_stats_;

  // Trickle: local candidates wait until the SDP they belong to has been handed out.
  bool local_sdp_out_ = false;
  std::string candidate_mid_ = "0";  // the BUNDLE tag's mid
  std::vector<IceCandidate> held_candidates_;
  bool gathering_done_ = false;
  bool gathering_done_reported_ = false;
  std::vector<std::pair<std::string, IceCandidate>> early_remote_candidates_;  // (ufrag, candidate)

  uint32_t receiver_ssrc_ = 0;
  TimerHandle rtcp_timer_;
  uint64_t dropped_audio_ = 0;
  std::string cname_;
};

}  // namespace parley::rtc
