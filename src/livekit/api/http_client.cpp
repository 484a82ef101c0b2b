#include "livekit/api/http_client.h"

#include <atomic>
#include <ctime>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/tls_client.h"

namespace parley::livekit {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr size_t kMaxBody = 16 * 1024 * 1024;

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

struct HttpClient::Impl {
  asio::io_context ioc;
  tls::Trust trust;
  Result<std::shared_ptr<asio::ssl::context>> tls_ctx = nullptr;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout;
  int opened = 0;
  std::atomic<bool> cancelled{false};

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  bool connected() const { return plain.has_value() || tls.has_value(); }

  // Runs one asynchronous operation to completion on the private io_context.
  template <class Start>
  error_code run(Start&& start) {
    if (cancelled) return asio::error::operation_aborted;
    error_code result = asio::error::would_block;
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    // cancel() sets the flag before it stops the context: seen here, or the run returns at once.
    if (!cancelled) ioc.run();
    if (cancelled) return asio::error::operation_aborted;
    return result;
  }

  void reset() {
    if (tls) {
      error_code ignored;
      beast::get_lowest_layer(*tls).socket().close(ignored);
    }
    if (plain) {
      error_code ignored;
      plain->socket().close(ignored);
    }
    tls.reset();
    plain.reset();
    buffer.clear();
  }
};

HttpClient::HttpClient(Url base, std::chrono::milliseconds timeout, tls::Trust trust)
    : base_(base.as_http()), impl_(std::make_unique<Impl>()) {
  impl_->timeout = timeout;
  impl_->trust = std::move(trust);
  if (base_.secure()) impl_->tls_ctx = tls::client_context(impl_->trust);
}

HttpClient::~HttpClient() = default;

int HttpClient::connections_opened() const {
  std::lock_guard lock(mutex_);
  return impl_->opened;
}

void HttpClient::cancel() {
  // Not under mutex_: a request in flight holds it. io_context::stop is thread-safe.
  impl_->cancelled = true;
  impl_->ioc.stop();
}

void HttpClient::close() {
  std::lock_guard lock(mutex_);
  impl_->reset();
}

Result<HttpResponse> HttpClient::request(const HttpRequest& req, bool idempotent) {
  std::lock_guard lock(mutex_);
  Impl& s = *impl_;
  const std::string where = base_.authority();
  auto failed = [&](const char* step, const error_code& ec) {
    s.reset();
    if (s.cancelled) return make_error(ErrorCode::kCancelled, std::string(step) + " " + where + ": cancelled");
    bool timeout = ec == beast::error::timeout;
    std::string msg = std::string(step) + " " + where + ": " + (timeout ? "timed out" : ec.message());
    if (std::string(step) == "connect to" && ec == asio::error::connection_refused) {
      msg += " (nothing listens on that port: is the server running, and is the port right?)";
    }
    return make_error(timeout ? ErrorCode::kTimeout : ErrorCode::kUnavailable, msg, true);
  };

  // A reused keep-alive connection may have been closed by the server meanwhile; that shows as
  // an error before any response byte, and then one fresh connection is tried.
  for (int round = 0; round < 2; ++round) {
    bool reused = s.connected();
    if (!reused) {
      tcp::resolver resolver(s.ioc);
      tcp::resolver::results_type endpoints;
      error_code ec = s.run([&](auto handler) {
        resolver.async_resolve(base_.host, std::to_string(base_.port),
                               [&endpoints, handler](error_code e, tcp::resolver::results_type r) mutable {
                                 endpoints = std::move(r);
                                 handler(e);
                               });
      });
      if (ec) {
        if (s.cancelled) return failed("resolve", ec);
        s.reset();
        return make_error(ErrorCode::kUnavailable, "cannot resolve host '" + base_.host + "': " + ec.message(), true);
      }
      if (base_.secure()) {
        if (!s.tls_ctx) return tl::unexpected(s.tls_ctx.error());
        s.tls.emplace(s.ioc, **s.tls_ctx);
      } else {
        s.plain.emplace(s.ioc);
      }
      s.tcp().expires_after(s.timeout);
      ec = s.run([&](auto handler) { s.tcp().async_connect(endpoints, handler); });
      if (ec) return failed("connect to", ec);
      ++s.opened;
      if (s.tls) {
        if (auto prepared = tls::prepare_client(s.tls->native_handle(), base_.host); !prepared) {
          s.reset();
          return tl::unexpected(prepared.error());
        }
        s.tcp().expires_after(s.timeout);
        ec = s.run([&](auto handler) { s.tls->async_handshake(asio::ssl::stream_base::client, handler); });
        if (ec) {
          if (s.cancelled) return failed("TLS handshake with", ec);
          if (ec == beast::error::timeout) return failed("TLS handshake with", ec);
          std::string why = tls::describe_handshake_failure(s.tls->native_handle(), ec, where, base_.host, s.trust);
          s.reset();
          return make_error(ErrorCode::kProtocol, why);
        }
      }
    }

    http::request<http::string_body> hreq{http::string_to_verb(req.method), req.target, 11};
    hreq.set(http::field::host, base_.host);
    hreq.set(http::field::user_agent, "parley/0.1");
    hreq.keep_alive(true);
    for (const auto& [k, v] : req.headers) hreq.set(k, v);
    hreq.body() = req.body;
    hreq.prepare_payload();

    s.tcp().expires_after(s.timeout);
    error_code ec = s.run([&](auto handler) {
      if (s.tls) {
        http::async_write(*s.tls, hreq, handler);
      } else {
        http::async_write(*s.plain, hreq, handler);
      }
    });
    if (ec && reused && ec != beast::error::timeout) {
      s.reset();
      continue;
    }
    if (ec) return failed("send request to", ec);

    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    s.tcp().expires_after(s.timeout);
    ec = s.run([&](auto handler) {
      if (s.tls) {
        http::async_read(*s.tls, s.buffer, parser, handler);
      } else {
        http::async_read(*s.plain, s.buffer, parser, handler);
      }
    });
    if (ec && reused && !parser.got_some() && ec != beast::error::timeout && idempotent) {
      s.reset();
      continue;
    }
    if (ec && !idempotent) {
      // Written, then no (whole) answer: the server may have acted on it.
      auto e = failed("read response from", ec);
      e.value().retryable = false;
      e.value().message += " (not retried: the request may have reached the server, and it must not run twice)";
      return e;
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) {
      return failed("read response from", ec);
    }
    if (ec == beast::error::timeout) return failed("read response from", ec);
    if (ec && ec.category() == asio::error::get_ssl_category()) return failed("read response from", ec);
    if (ec) {
      s.reset();
      return make_error(ErrorCode::kProtocol, "the answer from " + where + " is not HTTP: " + ec.message());
    }
    auto res = parser.release();
    HttpResponse out;
    out.status = int(res.result_int());
    for (const auto& f : res) out.headers[lower(std::string(f.name_string()))] = std::string(f.value());
    out.body = std::move(res.body());
    if (!res.keep_alive()) s.reset();
    return out;
  }
  return make_error(ErrorCode::kUnavailable, "the connection to " + where + " kept closing", true);
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  std::time_t t = timegm(&tm);
  if (t == -1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

}  // namespace parley::livekit
