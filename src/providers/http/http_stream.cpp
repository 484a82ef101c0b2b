#include "providers/http/http_stream.h"

#include <atomic>
#include <limits>
#include <mutex>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include "core/tls_client.h"
#include "net/http_status.h"

namespace parley::providers {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

Error net_error(const char* step, const beast::error_code& ec, const Url& url) {
  if (ec == beast::error::timeout) {
    return Error(ErrorCode::kTimeout, std::string(step) + " " + url.authority() + " timed out", true);
  }
  if (ec.category() == asio::error::get_ssl_category() || ec == asio::ssl::error::stream_truncated) {
    return Error(ErrorCode::kProtocol,
                 std::string("TLS failed with ") + url.authority() + ": " + ec.message() +
                     " (is it an http:// server behind an https:// URL, or an untrusted certificate?)");
  }
  return Error(ErrorCode::kUnavailable, std::string(step) + " " + url.authority() + ": " + ec.message(), true);
}

template <class Stream>
class StreamImpl final : public HttpStream, public std::enable_shared_from_this<StreamImpl<Stream>> {
 public:
  StreamImpl(asio::io_context& io, Stream stream, HttpStreamRequest req, HttpStreamHandler handler)
      : io_(io), resolver_(io), stream_(std::move(stream)), req_(std::move(req)), handler_(std::move(handler)) {}

  void start() {
    auto self = this->shared_from_this();
    tcp_layer().expires_after(req_.connect_timeout);
    resolver_.async_resolve(req_.url.host, std::to_string(req_.url.port),
                            [self](beast::error_code ec, tcp::resolver::results_type results) {
                              if (ec) return self->fail(net_error("resolving", ec, self->req_.url));
                              self->connect(results);
                            });
  }

  void cancel() override {
    cancelled_ = true;
    auto self = this->shared_from_this();
    asio::post(io_, [self] {
      self->handler_ = {};  // drops what the callbacks hold (it may hold this stream's owner)
      self->resolver_.cancel();
      beast::error_code ec;
      self->tcp_layer().socket().close(ec);
    });
  }

 private:
  beast::tcp_stream& tcp_layer() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) return stream_;
    else return beast::get_lowest_layer(stream_);
  }

  void connect(const tcp::resolver::results_type& results) {
    auto self = this->shared_from_this();
    tcp_layer().async_connect(results, [self](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return self->fail(net_error("connecting to", ec, self->req_.url));
      if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
        self->write();
      } else {
        if (auto prepared = tls::prepare_client(self->stream_.native_handle(), self->req_.url.host); !prepared) {
          return self->fail(prepared.error());
        }
        self->stream_.async_handshake(asio::ssl::stream_base::client, [self](beast::error_code hec) {
          if (hec && hec.category() == asio::error::get_ssl_category()) {  // a TLS failure: name it
            return self->fail(Error(ErrorCode::kProtocol,
                                    tls::describe_handshake_failure(self->stream_.native_handle(), hec,
                                                                    self->req_.url.authority(), self->req_.url.host,
                                                                    tls::Trust{self->req_.ca_file, "providers.ca_file"})));
          }
          if (hec) return self->fail(net_error("TLS handshake with", hec, self->req_.url));
          self->write();
        });
      }
    });
  }

  void write() {
    request_.method_string(req_.method);
    request_.target(req_.url.path.empty() ? "/" : req_.url.path);
    request_.version(11);
    request_.set(http::field::host, req_.url.authority());
    request_.set(http::field::user_agent, "parley");
    for (const auto& [k, v] : req_.headers) request_.set(k, v);
    request_.body() = req_.body;
    request_.prepare_payload();
    auto self = this->shared_from_this();
    http::async_write(stream_, request_, [self](beast::error_code ec, size_t) {
      if (ec) return self->fail(net_error("sending the request to", ec, self->req_.url));
      self->read_header();
    });
  }

  void read_header() {
    // Streamed: no limit on the whole (each read is bounded). Not boost::none: Boost 1.74 compares
    // a Content-Length against an empty optional as "greater" and fails with body_limit.
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
    auto self = this->shared_from_this();
    http::async_read_header(stream_, buffer_, parser_, [self](beast::error_code ec, size_t) {
      if (ec) return self->fail(net_error("reading the response from", ec, self->req_.url));
      std::map<std::string, std::string> headers;
      for (const auto& f : self->parser_.get()) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        headers[name] = std::string(f.value());
      }
      if (self->cancelled_) return self->read_body();  // drops the handler
      if (self->handler_.on_headers) self->handler_.on_headers(self->parser_.get().result_int(), headers);
      self->read_body();
    });
  }

  // Called from this stream's own callbacks only, never from inside a handler_ function, so
  // handler_ may be dropped here: a cancel() from inside on_data or on_headers (the caller
  // ending the turn) breaks the handler -> owner -> stream cycle at once, not only when the
  // posted cancel runs, which it never does if the loop stops first (LeakSanitizer saw that).
  void read_body() {
    if (cancelled_) {
      handler_ = {};
      return;
    }
    if (parser_.is_done()) return done({});
    tcp_layer().expires_after(req_.idle_timeout);
    parser_.get().body().data = chunk_;
    parser_.get().body().size = sizeof(chunk_);
    auto self = this->shared_from_this();
    http::async_read_some(stream_, buffer_, parser_, [self](beast::error_code ec, size_t) {
      size_t got = sizeof(self->chunk_) - self->parser_.get().body().size;
      if (got > 0 && !self->cancelled_ && self->handler_.on_data) self->handler_.on_data(std::string_view(self->chunk_, got));
      if (ec == http::error::need_buffer) ec = {};
      if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
        return self->fail(Error(ErrorCode::kProtocol, "the response from " + self->req_.url.authority() + " was cut short", true));
      }
      if (ec) return self->fail(net_error("reading the response from", ec, self->req_.url));
      self->read_body();
    });
  }

  void done(Status s) {
    beast::error_code ec;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp_layer().expires_never();
    if (finished_) return;
    finished_ = true;
    if (!cancelled_ && handler_.on_done) handler_.on_done(std::move(s));
    handler_ = {};
  }
  void fail(Error e) { done(tl::unexpected(std::move(e))); }

  asio::io_context& io_;
  tcp::resolver resolver_;
  Stream stream_;
  HttpStreamRequest req_;
  HttpStreamHandler handler_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
  char chunk_[8192];
  std::atomic<bool> cancelled_{false};
  bool finished_ = false;
};

class FailedStream final : public HttpStream {
 public:
  void cancel() override {}
};

}  // namespace

std::shared_ptr<HttpStream> start_http_stream(asio::io_context& io, HttpStreamRequest request, HttpStreamHandler handler) {
  auto url = request.url.as_http();
  request.url = url;
  if (url.secure()) {
    auto ctx = tls::client_context(tls::Trust{request.ca_file, "providers.ca_file"});
    if (!ctx) {
      // Reported like any other failure: asynchronously, never from inside the call.
      asio::post(io, [done = std::move(handler.on_done), e = ctx.error()] {
        if (done) done(tl::unexpected(e));
      });
      return std::make_shared<FailedStream>();
    }
    auto s = std::make_shared<StreamImpl<beast::ssl_stream<beast::tcp_stream>>>(
        io, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(io), **ctx), std::move(request), std::move(handler));
    s->start();
    return s;
  }
  auto s = std::make_shared<StreamImpl<beast::tcp_stream>>(io, beast::tcp_stream(io), std::move(request), std::move(handler));
  s->start();
  return s;
}

Error http_status_error(std::string_view provider, int status, std::string_view body) {
  std::string detail;
  // OpenAI-style {"error": {"message": "..."}} bodies say what is wrong; quote that, briefly.
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) detail = e["message"].get<std::string>();
    else if (e.is_string()) detail = e.get<std::string>();
  } else {
    detail = std::string(body.substr(0, 200));
  }
  if (detail.size() > 200) detail = detail.substr(0, 200) + "…";
  std::string msg = std::string(provider) + " answered HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail);
  if (status == 401) msg += " (check the API key)";
  if (status == 404) msg += " (check the base URL and model)";
  return net::http_status_error(status, std::move(msg));
}

}  // namespace parley::providers
