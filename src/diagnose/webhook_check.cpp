// Webhooks reach parley: signs a test event the way livekit-server does (HS256 JWT with the
// body's sha256, protocol notes §6) and POSTs it to parley serve's webhook URL
// (webhook.listen + webhook.path); it must be accepted (200). The same event signed with a
// wrong secret must be refused (401): otherwise parley would act on forged webhooks.
// The test event's name is not one parley acts on, so no call is started.
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "diagnose/checks.h"
#include "livekit/auth/access_token.h"

namespace parley::diagnose {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

std::string sha256_base64(const std::string& body) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  unsigned char out[64];
  int n = EVP_EncodeBlock(out, digest, SHA256_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

// The status of one POST, or -1 and why when there is no answer.
int post(const std::string& host, const std::string& port, const std::string& path, const std::string& body,
         const std::string& auth, std::chrono::milliseconds timeout, std::string& why) {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req{http::verb::post, path, 11};
    req.set(http::field::host, host + ":" + port);
    req.set(http::field::content_type, "application/webhook+json");
    req.set(http::field::user_agent, "parley-diagnose");
    req.set(http::field::authorization, auth);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    return static_cast<int>(res.result_int());
  } catch (const std::exception& e) {
    why = e.what();
    return -1;
  }
}

class WebhookCheck final : public Check {
 public:
  std::string name() const override { return "webhook"; }
  std::string title() const override { return "webhooks reach parley"; }
  std::vector<std::string> depends_on() const override { return {"api_secret"}; }
  CheckResult run(Context& ctx) override {
    const auto& c = ctx.config();
    auto colon = c.webhook.listen.rfind(':');
    std::string host = c.webhook.listen.substr(0, colon), port = c.webhook.listen.substr(colon + 1);
    if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
    if (host == "[::]" || host == "::") host = "::1";
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    std::string url = "http://" + c.webhook.listen + c.webhook.path;
    unsigned char rnd[6];
    RAND_bytes(rnd, sizeof rnd);
    std::string id = "EV_diagnose_";
    for (unsigned char b : rnd) id += "0123456789abcdef"[b & 15];
    std::string body = R"({"event":"parley_diagnose","id":")" + id + R"("})";
    livekit::TokenClaims claims;
    claims.sha256 = sha256_base64(body);
    auto good = livekit::mint_token(claims, c.livekit.api_key, c.livekit.api_secret, std::chrono::minutes(5),
                                    ctx.token_clock());
    auto forged = livekit::mint_token(claims, c.livekit.api_key, c.livekit.api_secret + "-forged",
                                      std::chrono::minutes(5), ctx.token_clock());
    if (!good || !forged) return CheckResult::fail("cannot sign a test webhook", "check livekit.api_key and api_secret");
    std::string why;
    int forged_status = post(host, port, c.webhook.path, body, *forged, ctx.timeout(), why);
    if (forged_status < 0) {
      return CheckResult::warn("parley serve does not answer at " + url + ": " + why,
                               "start `parley serve` (or set webhook.listen to where it runs)");
    }
    if (forged_status != 401) {
      return CheckResult::fail("a webhook signed with a wrong secret got " + std::to_string(forged_status) +
                                   " instead of 401 at " + url,
                               "make sure " + url + " is parley serve, not another service");
    }
    int status = post(host, port, c.webhook.path, body, *good, ctx.timeout(), why);
    if (status == 200) return CheckResult::pass("signed test event accepted and forged one refused at " + url);
    if (status == 401) {
      return CheckResult::fail("parley serve at " + url + " refused a webhook signed with livekit.api_key '" +
                                   c.livekit.api_key + "'",
                               "run parley serve with the same key and secret as livekit-server's webhook.api_key");
    }
    return CheckResult::fail("signed test event got " + (status < 0 ? why : std::to_string(status)) + " at " + url,
                             "see parley serve's log for the reason");
  }
};

}  // namespace

std::unique_ptr<Check> make_webhook_check() { return std::make_unique<WebhookCheck>(); }

}  // namespace parley::diagnose
