#include "core/asio_loop.h"

#include <atomic>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/log.h"
#include "core/loop_watchdog.h"

namespace parley {

AsioLoop::AsioLoop(std::string name) : name_(std::move(name)), work_(io_.get_executor()) {
  thread_ = std::thread([this] {
    thread_id_ = std::this_thread::get_id();
    loop_watchdog::LoopThread watched(*this);
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
  // steady_timer::cancel() cannot stop a handler whose timer already expired and is queued to
  // run in this same loop iteration: it would still run with success, after its owner (which
  // cancelled it, maybe in its destructor) is gone. The flag makes cancel() final.
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  timer->async_wait([timer, cancelled, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec && !cancelled->load()) fn();
  });
  std::weak_ptr<boost::asio::steady_timer> weak = timer;
  return TimerHandle([weak, cancelled] {
    cancelled->store(true);
    if (auto t = weak.lock()) t->cancel();
  });
}

bool AsioLoop::is_current() const { return std::this_thread::get_id() == thread_id_.load(); }

}  // namespace parley
