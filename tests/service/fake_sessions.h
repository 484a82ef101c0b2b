// Test doubles shared by the admission, queue and reconciler tests: a session factory that
// records what admission asks of sessions, and helpers to run work on the admission loop.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "core/asio_loop.h"
#include "livekit/webhook/webhook_event.h"
#include "service/call_session.h"

namespace parley::service {

// Records what admission asks of sessions.
class FakeSessions : public CallSessionFactory {
 public:
  struct Log {
    std::mutex mutex;
    std::vector<CallRecord> started;
    std::vector<std::pair<std::string, StopReason>> stopped;  // room, reason
    std::vector<std::string> agent_joined;
    std::vector<std::function<void(std::string)>> enders;
  };
  std::shared_ptr<Log> log = std::make_shared<Log>();

  class Session : public CallSession {
   public:
    Session(CallContext ctx, std::shared_ptr<Log> log) : ctx_(std::move(ctx)), log_(std::move(log)) {}
    void start() override {
      EXPECT_TRUE(ctx_.loop->is_current());
      std::lock_guard l(log_->mutex);
      log_->started.push_back(ctx_.record);
      log_->enders.push_back(ctx_.end);
    }
    void stop(StopReason r) override {
      std::lock_guard l(log_->mutex);
      log_->stopped.emplace_back(ctx_.record.room, r);
    }
    void on_agent_joined(const std::string& sid) override {
      std::lock_guard l(log_->mutex);
      log_->agent_joined.push_back(sid);
    }

   private:
    CallContext ctx_;
    std::shared_ptr<Log> log_;
  };

  std::unique_ptr<CallSession> create(CallContext ctx) override { return std::make_unique<Session>(std::move(ctx), log); }

  size_t started() {
    std::lock_guard l(log->mutex);
    return log->started.size();
  }
  size_t stopped() {
    std::lock_guard l(log->mutex);
    return log->stopped.size();
  }
  std::vector<std::string> started_rooms() {
    std::lock_guard l(log->mutex);
    std::vector<std::string> rooms;
    for (const auto& r : log->started) rooms.push_back(r.room);
    return rooms;
  }
  // Ends the n-th started session as if the agent hung up (ctx.end).
  void end(size_t n, const std::string& why) {
    std::function<void(std::string)> f;
    {
      std::lock_guard l(log->mutex);
      f = log->enders.at(n);
    }
    f(why);
  }
};

inline livekit::webhook::WebhookEvent event(const std::string& body) {
  auto ev = livekit::webhook::parse_webhook_event(body);
  EXPECT_TRUE(ev) << body;
  return *ev;
}

inline std::shared_ptr<const Config> config_with(std::vector<std::string> patterns, int max = 50) {
  auto c = std::make_shared<Config>();
  c->calls.room_patterns = std::move(patterns);
  c->calls.max_concurrent = max;
  return c;
}

// Waits until everything submitted before has been processed on the loop.
inline void settle(AsioLoop& loop) {
  std::promise<void> p;
  loop.post([&] { p.set_value(); });
  p.get_future().wait();
}

}  // namespace parley::service
