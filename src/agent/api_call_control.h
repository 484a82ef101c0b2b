// CallControl on LiveKit's server API (RoomService.RemoveParticipant, SIP.TransferSIPParticipant).
// The API client blocks, so requests run one at a time on a loop of their own; callbacks come
// on that loop's thread. Thread-safe.
#pragma once

#include <memory>

#include "agent/call_room.h"
#include "core/asio_loop.h"
#include "livekit/api/room_service_client.h"
#include "livekit/api/sip_client.h"
#include "livekit/api/twirp_client.h"

namespace parley::agent {

class ApiCallControl final : public CallControl {
 public:
  static Result<std::unique_ptr<ApiCallControl>> create(const livekit::ApiOptions& options);
  ~ApiCallControl() override;
  void hang_up(const std::string& room, const std::string& identity, std::function<void(Status)> done) override;
  void transfer(const std::string& room, const std::string& identity, const std::string& to,
                std::function<void(Status)> done) override;

 private:
  explicit ApiCallControl(std::unique_ptr<livekit::TwirpClient> twirp);
  std::unique_ptr<livekit::TwirpClient> twirp_;
  livekit::RoomServiceClient rooms_;
  livekit::SipClient sip_;
  AsioLoop worker_{"call-control"};
};

}  // namespace parley::agent
