// An EventLoop on a boost::asio::io_context run by one thread of its own.
// Construction starts the thread; stop() (or the destructor) ends it after the queue drains
// of what is ready. Network code takes io_context() to create sockets on this loop.
#pragma once

#include <atomic>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "core/event_loop.h"

namespace parley {

class AsioLoop final : public EventLoop {
 public:
  explicit AsioLoop(std::string name);
  ~AsioLoop() override;
  AsioLoop(const AsioLoop&) = delete;
  AsioLoop& operator=(const AsioLoop&) = delete;

  void post(std::function<void()> fn) override;
  TimerHandle post_after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  bool is_current() const override;
  const std::string& name() const override { return name_; }

  boost::asio::io_context& io_context() { return io_; }
  // True once stop() was called: nothing posted runs any more.
  bool stopped() const { return io_.stopped(); }
  void stop();

 private:
  std::string name_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
};

}  // namespace parley
