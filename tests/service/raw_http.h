// A blocking HTTP client over a raw socket for the front-door tests: it can choose its source
// address (127.0.0.2 is on lo like 127.0.0.1), hold a connection idle, write a request's header
// without its body, and read with a deadline whatever the server answers (or see it close).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace parley::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

struct RawReply {
  unsigned status = 0;  // 0: no response
  std::string body;
  std::string error;    // why there was none (e.g. "end of stream": the server closed)
};

class RawClient {
 public:
  // Connects from `source` (an address on lo) to 127.0.0.1:port.
  RawClient(uint16_t port, const std::string& source = "127.0.0.1") : stream_(io_) {
    auto& sock = stream_.socket();
    sock.open(asio::ip::tcp::v4());
    sock.bind(asio::ip::tcp::endpoint(asio::ip::make_address(source), 0));
    sock.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void send(const std::string& bytes) {
    beast::error_code ec;
    asio::write(stream_.socket(), asio::buffer(bytes), ec);
    if (ec) last_error_ = ec.message();
  }
  // The next response, or why none came within `deadline`.
  RawReply read(std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
    RawReply out;
    stream_.expires_after(deadline);
    http::response<http::string_body> res;
    beast::error_code ec;
    http::read(stream_, buffer_, res, ec);
    if (ec) {
      out.error = ec.message();
      return out;
    }
    out.status = res.result_int();
    out.body = res.body();
    return out;
  }
  // True when the server closed the connection within `deadline` (reading gives EOF or reset).
  bool closed_by_server(std::chrono::milliseconds deadline) {
    stream_.expires_after(deadline);
    char c;
    beast::error_code ec;
    stream_.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  const std::string& last_error() const { return last_error_; }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string last_error_;
};

inline std::string header_only(const std::string& method, const std::string& target, size_t content_length,
                               const std::string& extra = "") {
  return method + " " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/webhook+json\r\n" + extra +
         "Content-Length: " + std::to_string(content_length) + "\r\n\r\n";
}

}  // namespace parley::testing
