#include "agent/api_call_control.h"

namespace parley::agent {

Result<std::unique_ptr<ApiCallControl>> ApiCallControl::create(const livekit::ApiOptions& options) {
  auto twirp = livekit::TwirpClient::create(options);
  if (!twirp) return tl::unexpected(twirp.error());
  return std::unique_ptr<ApiCallControl>(new ApiCallControl(std::move(*twirp)));
}

ApiCallControl::ApiCallControl(std::unique_ptr<livekit::TwirpClient> twirp)
    : twirp_(std::move(twirp)), rooms_(*twirp_), sip_(*twirp_) {}

ApiCallControl::~ApiCallControl() { worker_.stop(); }

void ApiCallControl::hang_up(const std::string& room, const std::string& identity, std::function<void(Status)> done) {
  worker_.post([this, room, identity, done = std::move(done)] { done(rooms_.remove_participant(room, identity)); });
}

void ApiCallControl::transfer(const std::string& room, const std::string& identity, const std::string& to,
                              std::function<void(Status)> done) {
  worker_.post([this, room, identity, to, done = std::move(done)] {
    done(sip_.transfer_sip_participant(room, identity, to, true));
  });
}

}  // namespace parley::agent
