// CallControl on LiveKit's server API (RoomService.RemoveParticipant, SIP.TransferSIPParticipant).
//
// Each call (room) has a lane of its own: its requests run in order, on a thread of the lane's
// while any is pending, over a connection of the lane's. The API client blocks (a request may
// hang for livekit.request_timeout per attempt, and a retry may wait out a Retry-After of up to
// a minute), so a shared worker would let one call's hung transfer hold every other call's
// hang-up; here it holds only its own call. A lane ends when its queue is empty, so an idle
// process keeps no threads or connections. Retries follow TwirpClient: a transfer (not
// idempotent) is never retried once sent; RemoveParticipant is.
//
// Credentials are read per lane from an options source (the running configuration), so a key
// rotated by a configuration reload reaches the next hang-up or transfer.
//
// Callbacks come on the lane's thread. Thread-safe. The destructor cancels requests in flight
// (their callbacks get kCancelled) and waits for the lanes' threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "agent/call_room.h"
#include "livekit/api/twirp_client.h"

namespace parley::agent {

class ApiCallControl final : public CallControl {
 public:
  using OptionsSource = std::function<livekit::ApiOptions()>;
  // Fails at once for options that cannot make a client (bad URL, no key): a later bad source
  // value fails only the requests made with it.
  static Result<std::unique_ptr<ApiCallControl>> create(OptionsSource options);
  static Result<std::unique_ptr<ApiCallControl>> create(const livekit::ApiOptions& options);
  ~ApiCallControl() override;
  void hang_up(const std::string& room, const std::string& identity, std::function<void(Status)> done) override;
  void transfer(const std::string& room, const std::string& identity, const std::string& to,
                std::function<void(Status)> done) override;
  void set_room_metadata(const std::string& room, const std::string& metadata, std::function<void(Status)> done) override;
  // Lanes with a request pending or running (for tests and the log).
  size_t busy_lanes() const;

 private:
  using Request = std::function<Status(livekit::TwirpClient&)>;
  struct Job {
    Request request;
    std::function<void(Status)> done;
  };
  struct Lane {
    std::string room;
    std::unique_ptr<livekit::TwirpClient> twirp;
    std::deque<Job> jobs;
  };
  explicit ApiCallControl(OptionsSource source);
  void submit(const std::string& room, Request request, std::function<void(Status)> done);
  void drain(std::shared_ptr<Lane> lane);

  OptionsSource source_;
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::map<std::string, std::shared_ptr<Lane>> lanes_;  // by room; a lane here has a thread
  bool closing_ = false;
  int threads_ = 0;  // lane threads that have not yet counted themselves out
};

}  // namespace parley::agent
