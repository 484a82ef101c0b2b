// GET / answers "OK" (livekit-server's health answer). Tells apart an https:// URL to a
// plain-HTTP server, a port that is not HTTP at all (e.g. ICE/TCP 7881), and another web server;
// and behind a TLS proxy: each certificate failure (core/tls_client names it), an http:// or
// ws:// URL aimed at the TLS port, and the proxy's 502 when livekit-server behind it is down.
#include "core/tls_client.h"
#include "diagnose/checks.h"

namespace parley::diagnose {
namespace {

class HttpCheck final : public Check {
 public:
  std::string name() const override { return "http"; }
  std::string title() const override { return "LiveKit HTTP answers (GET /)"; }
  std::vector<std::string> depends_on() const override { return {"reachable"}; }
  CheckResult run(Context& ctx) override {
    auto url = *ctx.http_url();
    auto res = ctx.http().request({"GET", "/", {}, ""});
    if (!res) {
      const auto& e = res.error();
      if (e.message.find("plain HTTP") != std::string::npos) {
        Url plain = ctx.http_url()->as_websocket();
        plain.scheme = "ws";
        plain.path = "";
        return CheckResult::fail("the URL says TLS (" + ctx.config().livekit.url +
                                     ") but the server at " + url.authority() + " speaks plain HTTP",
                                 "use LIVEKIT_URL=" + plain.to_string() +
                                     " (or put a TLS terminator with a certificate in front of livekit-server)");
      }
      if (e.code == ErrorCode::kProtocol && e.message.find("TLS") != std::string::npos) {
        auto [detail, fix] = split_fix(e.message);
        return CheckResult::fail(detail, fix.empty() ? "install a certificate valid for '" + url.host +
                                                           "' on the server, or use the host name the certificate names"
                                                     : fix);
      }
      return CheckResult::fail(url.authority() + " accepts TCP but does not answer HTTP (" + e.message + ")",
                               "point LIVEKIT_URL at livekit-server's HTTP port (7880 by default; 7881 is ICE/TCP, "
                               "7882 is UDP)");
    }
    if (auto date = livekit::parse_http_date(res->header("date"))) {
      ctx.facts["server_date"] = std::to_string(std::chrono::system_clock::to_time_t(*date));
    }
    if (tls::is_plain_request_to_tls_port(res->status, res->body)) {
      Url tls_url = url.as_websocket();
      tls_url.scheme = "wss";
      tls_url.path = "";
      return CheckResult::fail("the URL says plain (" + ctx.config().livekit.url + ") but " + url.authority() +
                                   " is a TLS port: it answered 400 'The plain HTTP request was sent to HTTPS port'",
                               "use LIVEKIT_URL=" + tls_url.to_string() + " (wss:// and https:// for a TLS port)");
    }
    if (res->status == 502 || res->status == 504) {
      std::string server = res->header("server");
      return CheckResult::fail("GET / answered HTTP " + std::to_string(res->status) + " from a proxy" +
                                   (server.empty() ? "" : " (" + server + ")") +
                                   " in front of livekit-server: livekit-server behind it is down or unreachable",
                               "start livekit-server behind the proxy (locally: scripts/stack.sh up), or correct the "
                               "proxy's upstream address (nginx: proxy_pass http://127.0.0.1:7880)");
    }
    std::string body = res->body.substr(0, 80);
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    if (res->status == 200 && body == "OK") return CheckResult::pass(url.to_string() + " answered OK");
    return CheckResult::fail("GET / answered HTTP " + std::to_string(res->status) + " '" + body +
                                 "', not livekit-server's 'OK'",
                             "point LIVEKIT_URL at livekit-server (a proxy must pass / and /rtc through)");
  }
};

}  // namespace

std::unique_ptr<Check> make_http_check() { return std::make_unique<HttpCheck>(); }

}  // namespace parley::diagnose
