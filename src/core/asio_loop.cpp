#include "core/asio_loop.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/log.h"

namespace parley {

AsioLoop::AsioLoop(std::string name) : name_(std::move(name)), work_(io_.get_executor()) {
  thread_ = std::thread([this] {
    thread_id_ = std::this_thread::get_id();
    for (;;) {
      try {
        io_.run();
        break;
      } catch (const std::exception& e) {
        // A handler threw: log it and keep the loop alive for everyone else on it.
        log::root().error("event loop handler threw", {{"loop", name_}, {"error", e.what()}});
      }
    }
  });
}

AsioLoop::~AsioLoop() { stop(); }

void AsioLoop::stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) {
    if (std::this_thread::get_id() == thread_.get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
}

void AsioLoop::post(std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); }

TimerHandle AsioLoop::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
  std::weak_ptr<boost::asio::steady_timer> weak = timer;
  return TimerHandle([weak] {
    if (auto t = weak.lock()) t->cancel();
  });
}

bool AsioLoop::is_current() const { return std::this_thread::get_id() == thread_id_.load(); }

}  // namespace parley
