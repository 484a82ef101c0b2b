#include "providers/http/ws_client.h"

#include <cctype>
#include <deque>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <openssl/crypto.h>

#include "core/tls_client.h"

#include "providers/http/http_stream.h"

namespace parley::providers {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ws = beast::websocket;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string url_encode(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

namespace {

using PlainStream = ws::stream<beast::tcp_stream>;
using TlsStream = ws::stream<beast::ssl_stream<beast::tcp_stream>>;

Error net_error(std::string_view step, const beast::error_code& ec, const Url& url) {
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted) {
    return Error(ErrorCode::kTimeout, std::string(step) + " " + url.authority() + " timed out", true);
  }
  if (ec.category() == asio::error::get_ssl_category() || ec == asio::ssl::error::stream_truncated) {
    return Error(ErrorCode::kProtocol, "TLS failed with " + url.authority() + ": " + ec.message() +
                                           " (is it a ws:// server behind a wss:// URL, or an untrusted certificate?)");
  }
  return Error(ErrorCode::kUnavailable, std::string(step) + " " + url.authority() + ": " + ec.message(), true);
}

template <class Stream>
class Client final : public WsClient, public std::enable_shared_from_this<Client<Stream>> {
 public:
  Client(asio::io_context& io, WsClientRequest req, WsClientHandler handler)
      : io_(io), req_(std::move(req)), handler_(std::move(handler)), resolver_(io), close_timer_(io) {}
  ~Client() override {
    for (auto& out : queue_) {
      if (out.binary) OPENSSL_cleanse(out.data.data(), out.data.size());
    }
  }

  void start() {
    if constexpr (kTls) {
      auto ctx = tls::client_context(tls::Trust{req_.ca_file, "providers.ca_file"});
      if (!ctx) return fail_open(ctx.error());
      ssl_ = *ctx;
      ws_ = std::make_unique<Stream>(io_, *ssl_);
      if (auto prepared = tls::prepare_client(ws_->next_layer().native_handle(), req_.url.host); !prepared) {
        return fail_open(prepared.error());
      }
    } else {
      ws_ = std::make_unique<Stream>(io_);
    }
    ws_->read_message_max(req_.max_message_bytes);
    deadline_ = std::chrono::steady_clock::now() + req_.connect_timeout;
    auto self = this->shared_from_this();
    // The resolver has no deadline of its own: the close timer cancels it.
    close_timer_.expires_after(req_.connect_timeout);
    close_timer_.async_wait([self](beast::error_code ec) {
      if (!ec) self->resolver_.cancel();
    });
    resolver_.async_resolve(req_.url.host, std::to_string(req_.url.port),
                            [self](beast::error_code ec, tcp::resolver::results_type results) {
                              self->close_timer_.cancel();
                              if (self->closing_) return;
                              if (ec) return self->fail_open(net_error("resolving", ec, self->req_.url));
                              self->tcp_layer().expires_after(self->remaining());
                              self->tcp_layer().async_connect(results, [self](beast::error_code e, const tcp::endpoint&) {
                                self->on_connected(e);
                              });
                            });
  }

  Status send(std::string message, bool binary) override {
    if (!open_ || closing_) return make_error(ErrorCode::kUnavailable, "the WebSocket to " + req_.url.authority() + " is not open", true);
    if (queued_bytes_ + message.size() > req_.max_queued_bytes) {
      return make_error(ErrorCode::kResourceExhausted,
                        "the send queue to " + req_.url.authority() + " is full (" + std::to_string(queued_bytes_) +
                            " bytes unsent: the network is too slow)", true);
    }
    queued_bytes_ += message.size();
    queue_.push_back({std::move(message), binary});
    if (queue_.size() == 1) write_next();
    return {};
  }

  void close() override {
    handler_ = {};
    if (closing_ || !ws_) return;
    closing_ = true;
    if (!open_) return shut();
    if (queue_.empty()) send_close();
    // else write_next() sends the close frame once the queue drains
  }

  void abort() override {
    handler_ = {};
    closing_ = true;
    shut();
  }

  bool is_open() const override { return open_ && !closing_; }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, PlainStream>;
  struct Out {
    std::string data;
    bool binary;
  };

  beast::tcp_stream& tcp_layer() {
    if constexpr (kTls) {
      return beast::get_lowest_layer(*ws_);
    } else {
      return ws_->next_layer();
    }
  }

  std::chrono::steady_clock::duration remaining() const {
    auto left = deadline_ - std::chrono::steady_clock::now();
    return left > std::chrono::steady_clock::duration::zero() ? left : std::chrono::milliseconds(1);
  }

  void on_connected(beast::error_code ec) {
    if (closing_) return;
    if (ec) return fail_open(net_error("connecting to", ec, req_.url));
    if constexpr (kTls) {
      tcp_layer().expires_after(remaining());
      auto self = this->shared_from_this();
      ws_->next_layer().async_handshake(asio::ssl::stream_base::client, [self](beast::error_code e) {
        if (self->closing_) return;
        if (e && e.category() == asio::error::get_ssl_category()) {  // a TLS failure: name it
          return self->fail_open(Error(ErrorCode::kProtocol,
                                       tls::describe_handshake_failure(self->ws_->next_layer().native_handle(), e,
                                                                       self->req_.url.authority(), self->req_.url.host,
                                                                       tls::Trust{self->req_.ca_file, "providers.ca_file"})));
        }
        if (e) return self->fail_open(net_error("TLS handshake with", e, self->req_.url));
        self->upgrade();
      });
    } else {
      upgrade();
    }
  }

  void upgrade() {
    tcp_layer().expires_never();
    ws::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::duration_cast<std::chrono::seconds>(remaining()) + std::chrono::seconds(1);
    t.idle_timeout = ws::stream_base::none();  // the provider's own keep-alive messages detect dead peers
    t.keep_alive_pings = false;
    ws_->set_option(t);
    auto headers = req_.headers;
    ws_->set_option(ws::stream_base::decorator([headers](ws::request_type& r) {
      r.set(http::field::user_agent, "parley");
      for (const auto& [k, v] : headers) r.set(k, v);
    }));
    std::string host = req_.url.host;
    if (req_.url.port != (kTls ? 443 : 80)) host += ":" + std::to_string(req_.url.port);
    auto self = this->shared_from_this();
    ws_->async_handshake(response_, host, req_.url.path.empty() ? "/" : req_.url.path,
                         [self](beast::error_code e) { self->on_upgraded(e); });
  }

  void on_upgraded(beast::error_code ec) {
    if (closing_) return;
    if (ec && response_.result_int() != 0 && response_.result() != http::status::switching_protocols) {
      std::map<std::string, std::string> headers;
      for (const auto& f : response_) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        headers[name] = std::string(f.value());
      }
      std::string body = response_.body().substr(0, 4096);
      int status = response_.result_int();
      return fail_open(req_.describe_refusal ? req_.describe_refusal(status, headers, body)
                                             : http_status_error("the WebSocket server", status, body));
    }
    if (ec) return fail_open(net_error("the WebSocket upgrade with", ec, req_.url));
    response_ = {};
    open_ = true;
    ws_->binary(true);
    if (auto h = handler_.on_open) h({});
    read_next();
  }

  void fail_open(Error e) {
    closing_ = true;
    shut();
    auto h = std::move(handler_.on_open);
    handler_ = {};
    if (h) h(tl::unexpected(std::move(e)));
  }

  void read_next() {
    if (closing_) return;
    auto self = this->shared_from_this();
    ws_->async_read(buffer_, [self](beast::error_code ec, size_t) {
      if (self->closing_) return;
      if (ec) {
        WsClose c;
        if (ec == ws::error::closed) {
          c.code = self->ws_->reason().code;
          c.reason = std::string(self->ws_->reason().reason.c_str());
        } else if (ec == ws::error::message_too_big) {
          c.reason = "the server sent a message over " + std::to_string(self->req_.max_message_bytes) + " bytes";
        } else {
          c.reason = ec.message();
        }
        return self->lost(std::move(c));
      }
      std::string msg = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      bool binary = self->ws_->got_binary();
      if (self->handler_.on_message) self->handler_.on_message(std::move(msg), binary);
      self->read_next();
    });
  }

  void write_next() {
    auto self = this->shared_from_this();
    ws_->binary(queue_.front().binary);
    ws_->async_write(asio::buffer(queue_.front().data), [self](beast::error_code ec, size_t) {
      auto& sent = self->queue_.front();
      self->queued_bytes_ -= sent.data.size();
      if (sent.binary) OPENSSL_cleanse(sent.data.data(), sent.data.size());  // caller audio, gone once sent
      self->queue_.pop_front();
      if (ec) {
        if (!self->closing_) self->lost({0, "sending failed: " + ec.message()});
        return;
      }
      if (!self->queue_.empty()) return self->write_next();
      if (self->closing_ && self->open_) self->send_close();
    });
  }

  void send_close() {
    auto self = this->shared_from_this();
    // Bounded, so a silent server cannot hold the socket.
    close_timer_.expires_after(std::chrono::seconds(2));
    close_timer_.async_wait([self](beast::error_code ec) {
      if (!ec) self->shut();
    });
    ws_->async_close(ws::close_code::normal, [self](beast::error_code) {
      self->close_timer_.cancel();
      self->shut();
    });
  }

  void lost(WsClose c) {
    closing_ = true;
    shut();
    auto h = std::move(handler_.on_closed);
    handler_ = {};
    if (h) h(std::move(c));
  }

  void shut() {
    open_ = false;
    resolver_.cancel();
    if (ws_) {
      beast::error_code ignored;
      tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
      tcp_layer().socket().close(ignored);
    }
  }

  asio::io_context& io_;
  WsClientRequest req_;
  WsClientHandler handler_;
  tcp::resolver resolver_;
  asio::steady_timer close_timer_;
  std::shared_ptr<asio::ssl::context> ssl_;  // shared (core/tls_client)
  std::unique_ptr<Stream> ws_;
  ws::response_type response_;
  beast::flat_buffer buffer_;
  std::deque<Out> queue_;
  size_t queued_bytes_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  bool open_ = false;
  bool closing_ = false;
};

}  // namespace

std::shared_ptr<WsClient> start_ws_client(asio::io_context& io, WsClientRequest request, WsClientHandler handler) {
  if (request.url.secure()) {
    auto c = std::make_shared<Client<TlsStream>>(io, std::move(request), std::move(handler));
    c->start();
    return c;
  }
  auto c = std::make_shared<Client<PlainStream>>(io, std::move(request), std::move(handler));
  c->start();
  return c;
}

}  // namespace parley::providers
