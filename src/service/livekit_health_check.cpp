#include "service/livekit_health_check.h"

#include <future>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/log.h"
#include "core/metrics.h"
#include "core/url.h"

namespace parley::service {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct LiveKitHealthCheck::State {
  // Loop thread only, except `mutex`-guarded problem and the atomics in the owner.
  std::string url;
  Millis interval{60'000};
  Millis timeout{5'000};
  bool stopped = false;
  uint64_t generation = 0;  // bumps on set_target/stop so an old schedule ends
  std::unique_ptr<asio::steady_timer> timer;
  mutable std::mutex mutex;
  std::string problem = "not checked yet";
};

namespace {

metrics::CounterFamily& api_calls() {
  static auto& f = metrics::registry().counter("parley_livekit_api_calls_total",
                                               "calls parley made to the LiveKit server, by method and result",
                                               {"method", "result"});
  return f;
}
metrics::Gauge& up_gauge() {
  static auto& g = metrics::registry().gauge("parley_livekit_up", "1 when the last LiveKit health check passed").get();
  return g;
}

template <class Stream>
asio::awaitable<std::string> get_root(Stream& stream, const Url& url, beast::error_code& ec) {
  http::request<http::empty_body> req{http::verb::get, "/", 11};
  req.set(http::field::host, url.authority());
  req.set(http::field::user_agent, "parley");
  req.keep_alive(false);
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return "request failed: " + ec.message();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return "no answer: " + ec.message();
  auto& res = parser.get();
  if (res.result_int() != 200) co_return "GET / answered " + std::to_string(res.result_int());
  co_return "";
}

// "" when the server answered 200; else why not.
asio::awaitable<std::string> check_once(std::string url_text, Millis timeout) {
  auto url = parse_url(url_text);
  if (!url) co_return "livekit.url: " + url.error().message;
  Url http_url = url->as_http();
  auto executor = co_await asio::this_coro::executor;
  beast::error_code ec;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(http_url.host, std::to_string(http_url.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return "cannot resolve " + http_url.host + ": " + ec.message();
  if (!http_url.secure()) {
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "cannot connect to " + http_url.authority() + ": " + ec.message();
    co_return co_await get_root(stream, http_url, ec);
  }
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_default_verify_paths();
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
  SSL_set_tlsext_host_name(stream.native_handle(), http_url.host.c_str());
  stream.set_verify_callback(asio::ssl::host_name_verification(http_url.host));
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return "cannot connect to " + http_url.authority() + ": " + ec.message();
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return "TLS handshake with " + http_url.authority() + " failed: " + ec.message();
  co_return co_await get_root(stream, http_url, ec);
}

}  // namespace

LiveKitHealthCheck::LiveKitHealthCheck(AsioLoop& loop, std::string livekit_url, Millis interval, Millis timeout)
    : loop_(loop), state_(std::make_shared<State>()) {
  state_->url = std::move(livekit_url);
  state_->interval = interval;
  state_->timeout = timeout;
}

LiveKitHealthCheck::~LiveKitHealthCheck() { stop(); }

std::string LiveKitHealthCheck::problem() const {
  std::lock_guard lock(state_->mutex);
  return state_->problem;
}

void LiveKitHealthCheck::start() {
  auto state = state_;
  loop_.post([this, state] {
    if (state->stopped) return;
    run_check(++state->generation);
  });
}

// One check, then the next after the interval; a newer generation (or stop) ends this chain.
// Handlers hold the shared state and touch `this` only while not stopped: stop() runs before
// the destructor, on the loop, so a handler that sees stopped == false has a live owner.
void LiveKitHealthCheck::run_check(uint64_t gen) {
  auto state = state_;
  if (state->stopped || gen != state->generation) return;
  asio::co_spawn(loop_.io_context(), check_once(state->url, state->timeout),
                 [this, state, gen](std::exception_ptr e, std::string problem) {
                   if (state->stopped) return;
                   if (e) problem = "health check failed unexpectedly";
                   bool ok = problem.empty();
                   bool was = healthy_.exchange(ok);
                   ++checks_;
                   api_calls().with({"health_check", ok ? "ok" : "error"}).inc();
                   up_gauge().set(ok ? 1 : 0);
                   {
                     std::lock_guard lock(state->mutex);
                     state->problem = problem;
                   }
                   if (ok && !was) log::root().info("LiveKit server reachable", {{"url", state->url}});
                   if (!ok) log::root().warn("LiveKit health check failed", {{"url", state->url}, {"problem", problem}});
                   if (gen != state->generation) return;
                   state->timer = std::make_unique<asio::steady_timer>(loop_.io_context(), state->interval);
                   state->timer->async_wait([this, state, gen](beast::error_code ec) {
                     if (!ec && !state->stopped) run_check(gen);
                   });
                 });
}

void LiveKitHealthCheck::set_target(std::string livekit_url, Millis interval, Millis timeout) {
  auto state = state_;
  loop_.post([state, livekit_url = std::move(livekit_url), interval, timeout]() mutable {
    state->url = std::move(livekit_url);
    state->interval = interval;
    state->timeout = timeout;
  });
}

void LiveKitHealthCheck::stop() {
  if (stop_requested_.exchange(true)) return;
  auto state = state_;
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  loop_.post([state, done] {
    state->stopped = true;
    ++state->generation;
    if (state->timer) state->timer->cancel();
    done->set_value();
  });
  fut.wait_for(std::chrono::seconds(5));
}

}  // namespace parley::service
