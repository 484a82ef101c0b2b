#include "service/livekit_health_check.h"

#include <atomic>
#include <functional>
#include <mutex>
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
#include "core/tls_client.h"
#include "core/url.h"
#include "livekit/auth/access_token.h"

// GCC 12 with sanitizers takes the operator new/delete pair of Boost.Asio's coroutine frames
// (awaitable_frame_base) for a mismatch (GCC bug 109224); this is the only file with coroutines.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace parley::service {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct LiveKitHealthCheck::State {
  // Loop thread only, except the `mutex`-guarded problem and the atomics.
  AsioLoop* loop = nullptr;
  std::atomic<bool> healthy{false};
  std::atomic<uint64_t> checks{0};
  std::string url;
  Credentials credentials;
  std::string ca_file;  // livekit.ca_file
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

enum class AuthResult { kUnknown, kAccepted, kRefused };

struct Probe {
  std::string problem;       // "" when the server answered GET / with 200
  AuthResult auth = AuthResult::kUnknown;
  std::string auth_problem;  // why the credentials were refused
};

metrics::Gauge& auth_gauge() {
  static auto& g = metrics::registry()
                       .gauge("parley_livekit_auth_ok",
                              "1 when the LiveKit server accepted parley's API key and secret on the last check, 0 when it refused them")
                       .get();
  return g;
}

// One request on a fresh connection: the status code (and the body in `body`), or 0 with `ec` set.
template <class Stream>
asio::awaitable<unsigned> request_status(Stream& stream, http::request<http::string_body> req, const Url& url,
                                         beast::error_code& ec, std::string* body = nullptr) {
  req.set(http::field::host, url.authority());
  req.set(http::field::user_agent, "parley");
  req.keep_alive(false);
  req.prepare_payload();
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return 0;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return 0;
  if (body != nullptr) *body = parser.get().body();
  co_return parser.get().result_int();
}

// GET / (LiveKit answers 200 "OK"), then, when credentials are set, ListRooms with a token
// signed by them: the server's 401 is the one place a wrong key or secret shows before calls
// fail (its webhooks would fail parley's verification too, but so do forged ones).
template <class Stream>
asio::awaitable<void> probe(std::function<asio::awaitable<std::string>(std::unique_ptr<Stream>&)> connect,
                            const Url& url, const Credentials& credentials, Probe& out) {
  std::unique_ptr<Stream> stream;
  if (out.problem = co_await connect(stream); !out.problem.empty()) co_return;
  beast::error_code ec;
  std::string body;
  unsigned status = co_await request_status(*stream, {http::verb::get, "/", 11}, url, ec, &body);
  if (ec) {
    out.problem = "no answer: " + ec.message();
    co_return;
  }
  if (tls::is_plain_request_to_tls_port(status, body)) {
    out.problem = tls::plain_request_to_tls_port_message(url.authority());
    co_return;
  }
  if (status == 502 || status == 504) {
    out.problem = "GET / answered " + std::to_string(status) +
                  " from a proxy in front of livekit-server: livekit-server behind it is down or unreachable";
    co_return;
  }
  if (status != 200) {
    out.problem = "GET / answered " + std::to_string(status);
    co_return;
  }
  if (credentials.api_key.empty() || credentials.api_secret.empty()) co_return;
  livekit::TokenClaims claims;
  claims.video = livekit::VideoGrant{};
  claims.video->room_list = true;
  auto token = livekit::mint_token(claims, credentials.api_key, credentials.api_secret, std::chrono::seconds(60));
  if (!token) {
    out.auth = AuthResult::kRefused;
    out.auth_problem = token.error().message;
    co_return;
  }
  if (out.problem = co_await connect(stream); !out.problem.empty()) co_return;
  http::request<http::string_body> list{http::verb::post, "/twirp/livekit.RoomService/ListRooms", 11};
  list.set(http::field::authorization, "Bearer " + *token);
  list.set(http::field::content_type, "application/json");
  list.body() = "{}";
  status = co_await request_status(*stream, std::move(list), url, ec);
  if (ec) co_return;  // a lost answer says nothing about the credentials
  if (status == 401 || status == 403) {
    out.auth = AuthResult::kRefused;
    out.auth_problem = "the server refuses API key " + credentials.api_key + " or its secret (ListRooms answered " +
                       std::to_string(status) + ")";
  } else if (status == 200) {
    out.auth = AuthResult::kAccepted;
  }
}

// The server's health; `problem` "" when it answered 200.
asio::awaitable<Probe> check_once(std::string url_text, Credentials credentials, std::string ca_file, Millis timeout) {
  Probe out;
  auto url = parse_url(url_text);
  if (!url) {
    out.problem = "livekit.url: " + url.error().message;
    co_return out;
  }
  Url http_url = url->as_http();
  auto executor = co_await asio::this_coro::executor;
  beast::error_code ec;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(http_url.host, std::to_string(http_url.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.problem = "cannot resolve " + http_url.host + ": " + ec.message();
    co_return out;
  }
  if (!http_url.secure()) {
    co_await probe<beast::tcp_stream>(
        [&](std::unique_ptr<beast::tcp_stream>& s) -> asio::awaitable<std::string> {
          s = std::make_unique<beast::tcp_stream>(executor);
          s->expires_after(timeout);
          beast::error_code cec;
          co_await s->async_connect(endpoints, asio::redirect_error(asio::use_awaitable, cec));
          co_return cec ? "cannot connect to " + http_url.authority() + ": " + cec.message() : "";
        },
        http_url, credentials, out);
    co_return out;
  }
  const tls::Trust trust{ca_file};
  auto ctx = tls::client_context(trust);
  if (!ctx) {
    out.problem = ctx.error().message;
    co_return out;
  }
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;
  co_await probe<TlsStream>(
      [&](std::unique_ptr<TlsStream>& s) -> asio::awaitable<std::string> {
        s = std::make_unique<TlsStream>(executor, **ctx);
        if (auto prepared = tls::prepare_client(s->native_handle(), http_url.host); !prepared) {
          co_return prepared.error().message;
        }
        beast::get_lowest_layer(*s).expires_after(timeout);
        beast::error_code cec;
        co_await beast::get_lowest_layer(*s).async_connect(endpoints, asio::redirect_error(asio::use_awaitable, cec));
        if (cec) co_return "cannot connect to " + http_url.authority() + ": " + cec.message();
        co_await s->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, cec));
        if (cec == beast::error::timeout) co_return "TLS handshake with " + http_url.authority() + " timed out";
        if (cec) co_return tls::describe_handshake_failure(s->native_handle(), cec, http_url.authority(), http_url.host, trust);
        co_return "";
      },
      http_url, credentials, out);
  co_return out;
}

// The credentials' verdict, counted and logged when it changes; an unanswered probe leaves it.
void record_auth(const Probe& probe, const std::string& url) {
  if (probe.auth == AuthResult::kUnknown) return;
  bool accepted = probe.auth == AuthResult::kAccepted;
  api_calls().with({"health_check_auth", accepted ? "ok" : "unauthenticated"}).inc();
  bool was = auth_gauge().value() == 1;
  auth_gauge().set(accepted ? 1 : 0);
  if (!accepted) log::root().error("LiveKit refuses parley's credentials", {{"url", url}, {"problem", probe.auth_problem}});
  else if (!was) log::root().info("LiveKit accepts parley's credentials", {{"url", url}});
}

// One check, then the next after the interval; a newer generation (or stop) ends this chain.
// Every handler holds the shared state and nothing else: the owner may be gone when it runs.
void run_check(const std::shared_ptr<LiveKitHealthCheck::State>& state, uint64_t gen) {
  if (state->stopped || gen != state->generation) return;
  auto& io = state->loop->io_context();
  asio::co_spawn(io, check_once(state->url, state->credentials, state->ca_file, state->timeout), [state, gen](std::exception_ptr e, Probe probe) {
    if (state->stopped) return;
    std::string problem = e ? "health check failed unexpectedly" : probe.problem;
    bool ok = problem.empty();
    if (!e) record_auth(probe, state->url);
    bool was = state->healthy.exchange(ok);
    ++state->checks;
    api_calls().with({"health_check", ok ? "ok" : "error"}).inc();
    up_gauge().set(ok ? 1 : 0);
    {
      std::lock_guard lock(state->mutex);
      state->problem = problem;
    }
    if (ok && !was) log::root().info("LiveKit server reachable", {{"url", state->url}});
    if (!ok) log::root().warn("LiveKit health check failed", {{"url", state->url}, {"problem", problem}});
    if (gen != state->generation) return;
    state->timer = std::make_unique<asio::steady_timer>(state->loop->io_context(), state->interval);
    state->timer->async_wait([state, gen](beast::error_code ec) {
      if (!ec && !state->stopped) run_check(state, gen);
    });
  });
}

}  // namespace

LiveKitHealthCheck::LiveKitHealthCheck(AsioLoop& loop, std::string livekit_url, Credentials credentials,
                                       Millis interval, Millis timeout, std::string ca_file)
    : loop_(loop), state_(std::make_shared<State>()) {
  state_->loop = &loop;
  state_->url = std::move(livekit_url);
  state_->credentials = std::move(credentials);
  state_->ca_file = std::move(ca_file);
  state_->interval = interval;
  state_->timeout = timeout;
}

LiveKitHealthCheck::~LiveKitHealthCheck() { stop(); }

bool LiveKitHealthCheck::healthy() const { return state_->healthy.load(); }

uint64_t LiveKitHealthCheck::checks() const { return state_->checks.load(); }

std::string LiveKitHealthCheck::problem() const {
  std::lock_guard lock(state_->mutex);
  return state_->problem;
}

void LiveKitHealthCheck::start() {
  loop_.post([state = state_] {
    if (state->stopped) return;
    run_check(state, ++state->generation);
  });
}

void LiveKitHealthCheck::set_target(std::string livekit_url, Credentials credentials, Millis interval,
                                    Millis timeout, std::string ca_file) {
  auto state = state_;
  loop_.post([state, livekit_url = std::move(livekit_url), credentials = std::move(credentials), interval, timeout,
              ca_file = std::move(ca_file)]() mutable {
    state->url = std::move(livekit_url);
    state->credentials = std::move(credentials);
    state->ca_file = std::move(ca_file);
    state->interval = interval;
    state->timeout = timeout;
  });
}

void LiveKitHealthCheck::stop() {
  if (stop_requested_.exchange(true)) return;
  loop_.post([state = state_] {
    state->stopped = true;
    ++state->generation;
    if (state->timer) state->timer->cancel();
  });
}

}  // namespace parley::service
