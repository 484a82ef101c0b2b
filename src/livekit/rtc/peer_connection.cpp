// Skeleton: the interface compiles and fails clearly until the transport lands.
#include "livekit/rtc/peer_connection.h"

namespace parley::rtc {
namespace {

Error not_yet() { return Error(ErrorCode::kInternal, "rtc: PeerConnection is not implemented yet"); }

class SkeletonPeerConnection final : public PeerConnection {
 public:
  Result<std::string> create_answer(const std::string&) override { return tl::unexpected(not_yet()); }
  Result<std::string> create_offer(bool) override { return tl::unexpected(not_yet()); }
  Status set_answer(const std::string&) override { return tl::unexpected(not_yet()); }
  Status add_remote_candidate(const IceCandidateInit&) override { return tl::unexpected(not_yet()); }
  AudioTrackSender* add_audio_track(const std::string&, const std::string&) override { return nullptr; }
  Status create_data_channel(const std::string&, bool, std::optional<int>) override { return tl::unexpected(not_yet()); }
  Status send_data(const std::string&, std::span<const uint8_t>, bool) override { return tl::unexpected(not_yet()); }
  PeerState state() const override { return PeerState::kNew; }
  void close() override {}
};

}  // namespace

std::unique_ptr<PeerConnection> PeerConnection::create(GlibLoop&, PeerConfig, PeerCallbacks) {
  return std::make_unique<SkeletonPeerConnection>();
}

}  // namespace parley::rtc
