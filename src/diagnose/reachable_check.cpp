// The host resolves and the port accepts TCP. When it does not, a LiveKit server answering on
// the default port 7880 of the same host means the configured port is wrong.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "diagnose/checks.h"

namespace parley::diagnose {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Probe {
  boost::system::error_code resolve_error, connect_error;
  std::string address;
};

Probe probe(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
  Probe p;
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  tcp::socket socket(ioc);
  bool resolved = false;
  resolver.async_resolve(host, std::to_string(port), [&](boost::system::error_code ec, tcp::resolver::results_type r) {
    p.resolve_error = ec;
    if (ec) return;
    resolved = true;
    asio::async_connect(socket, r, [&](boost::system::error_code ec2, const tcp::endpoint& ep) {
      p.connect_error = ec2;
      if (!ec2) p.address = ep.address().to_string();
    });
  });
  ioc.run_for(timeout);
  if (!ioc.stopped()) {
    // Still resolving or connecting at the deadline.
    if (!resolved) {
      p.resolve_error = asio::error::timed_out;
    } else {
      p.connect_error = asio::error::timed_out;
    }
  }
  return p;
}

class ReachableCheck final : public Check {
 public:
  std::string name() const override { return "reachable"; }
  std::string title() const override { return "server reachable (DNS, TCP)"; }
  std::vector<std::string> depends_on() const override { return {"config"}; }
  CheckResult run(Context& ctx) override {
    auto url = *ctx.http_url();
    auto p = probe(url.host, url.port, ctx.timeout());
    if (p.resolve_error) {
      return CheckResult::fail("cannot resolve host '" + url.host + "': " + p.resolve_error.message(),
                               "check the host name in LIVEKIT_URL and this machine's DNS");
    }
    if (!p.connect_error) return CheckResult::pass(url.authority() + " accepts TCP (" + p.address + ")");
    std::string detail = "nothing accepts TCP on " + url.authority() + ": " + p.connect_error.message();
    constexpr uint16_t kDefaultPort = 7880;
    if (url.port != kDefaultPort) {
      auto alt = probe(url.host, kDefaultPort, std::min(ctx.timeout(), std::chrono::milliseconds(3000)));
      if (!alt.resolve_error && !alt.connect_error) {
        Url fixed = ctx.http_url()->as_websocket();
        fixed.port = kDefaultPort;
        if (fixed.scheme == "wss") fixed.scheme = "ws";  // 7880 is livekit-server's plain port
        fixed.path = "";
        return CheckResult::fail(detail + "; but port " + std::to_string(kDefaultPort) +
                                     " (livekit-server's default) accepts connections, so the port is wrong",
                                 "set LIVEKIT_URL=" + fixed.to_string());
      }
    }
    return CheckResult::fail(detail + " (is livekit-server running?)",
                             "start livekit-server (locally: scripts/stack.sh up) or correct the host and port in "
                             "LIVEKIT_URL (livekit-server listens on 7880 by default)");
  }
};

}  // namespace

std::unique_ptr<Check> make_reachable_check() { return std::make_unique<ReachableCheck>(); }

}  // namespace parley::diagnose
