#include "agent/api_call_control.h"

#include <thread>

#include <openssl/crypto.h>

#include "core/loop_watchdog.h"
#include "livekit/api/room_service_client.h"
#include "livekit/api/sip_client.h"

namespace parley::agent {

Result<std::unique_ptr<ApiCallControl>> ApiCallControl::create(OptionsSource source) {
  // Checks the URL and credentials now, so a bad configuration fails at start-up, not at a
  // call's first hang-up.
  auto twirp = livekit::TwirpClient::create(source());
  if (!twirp) return tl::unexpected(twirp.error());
  return std::unique_ptr<ApiCallControl>(new ApiCallControl(std::move(source)));
}

Result<std::unique_ptr<ApiCallControl>> ApiCallControl::create(const livekit::ApiOptions& options) {
  return create([options] { return options; });
}

ApiCallControl::ApiCallControl(OptionsSource source) : source_(std::move(source)) {}

ApiCallControl::~ApiCallControl() {
  loop_watchdog::blocking_call("~ApiCallControl waits for the lanes' threads");
  std::unique_lock lock(mutex_);
  closing_ = true;
  for (auto& [room, lane] : lanes_) lane->twirp->cancel();
  idle_.wait(lock, [this] { return lanes_.empty() && threads_ == 0; });
}

size_t ApiCallControl::busy_lanes() const {
  std::lock_guard lock(mutex_);
  return lanes_.size();
}

void ApiCallControl::hang_up(const std::string& room, const std::string& identity, std::function<void(Status)> done) {
  submit(
      room, [room, identity](livekit::TwirpClient& twirp) { return livekit::RoomServiceClient(twirp).remove_participant(room, identity); },
      std::move(done));
}

void ApiCallControl::transfer(const std::string& room, const std::string& identity, const std::string& to,
                              std::function<void(Status)> done) {
  submit(
      room,
      [room, identity, to](livekit::TwirpClient& twirp) {
        return livekit::SipClient(twirp).transfer_sip_participant(room, identity, to, true);
      },
      std::move(done));
}

void ApiCallControl::set_room_metadata(const std::string& room, const std::string& metadata,
                                       std::function<void(Status)> done) {
  submit(
      room,
      [room, metadata](livekit::TwirpClient& twirp) -> Status {
        auto r = livekit::RoomServiceClient(twirp).update_room_metadata(room, metadata);
        if (!r) return tl::unexpected(r.error());
        return {};
      },
      std::move(done));
}

void ApiCallControl::submit(const std::string& room, Request request, std::function<void(Status)> done) {
  std::unique_lock lock(mutex_);
  if (closing_) {
    lock.unlock();
    return done(make_error(ErrorCode::kCancelled, "call control is shutting down"));
  }
  auto& lane = lanes_[room];
  if (lane) {
    // This call's lane is busy: after what it is doing, in order.
    lane->jobs.push_back({std::move(request), std::move(done)});
    return;
  }
  // A new lane reads the running options, so a rotated key applies from the next request on.
  auto twirp = livekit::TwirpClient::create(source_());
  if (!twirp) {
    lanes_.erase(room);
    lock.unlock();
    return done(tl::unexpected(twirp.error()));
  }
  lane = std::make_shared<Lane>();
  lane->room = room;
  lane->twirp = std::move(*twirp);
  lane->jobs.push_back({std::move(request), std::move(done)});
  // Detached: the destructor waits until every lane thread has counted itself out, which is
  // its last act under the mutex; after it the thread touches nothing of this object. Before
  // that it frees its lane (the last reference: its client's TLS state) and its own OpenSSL
  // thread state, which OpenSSL would otherwise free only from a thread-exit handler that may
  // not have run when the process ends (LeakSanitizer saw the 904-byte error state of such a
  // thread).
  ++threads_;
  std::thread([this, lane]() mutable {
    drain(std::move(lane));
    OPENSSL_thread_stop();
    std::lock_guard done_lock(mutex_);
    --threads_;
    idle_.notify_all();
  }).detach();
}

void ApiCallControl::drain(std::shared_ptr<Lane> lane) {
  for (;;) {
    Job job;
    {
      std::lock_guard lock(mutex_);
      if (lane->jobs.empty()) {
        lanes_.erase(lane->room);
        return;
      }
      job = std::move(lane->jobs.front());
      lane->jobs.pop_front();
    }
    Status status = job.request(*lane->twirp);
    job.done(std::move(status));
  }
}

}  // namespace parley::agent
