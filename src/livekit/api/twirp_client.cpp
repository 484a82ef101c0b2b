#include "livekit/api/twirp_client.h"


#include "core/log.h"
#include "core/loop_watchdog.h"
#include "core/metrics.h"
#include "livekit/api/twirp_error.h"

namespace parley::livekit {
namespace {

using json = nlohmann::json;

metrics::CounterFamily& calls_metric() {
  static auto& f = metrics::registry().counter("parley_livekit_api_calls_total",
                                                "LiveKit server API calls by method and result", {"method", "result"});
  return f;
}

metrics::HistogramFamily& latency_metric() {
  static auto& f = metrics::registry().histogram("parley_livekit_api_latency_seconds",
                                                  "LiveKit server API call latency, retries included", {"method"});
  return f;
}

std::string result_label(const Error& e) {
  std::string s(to_string(e.code));
  return s;
}

// Retry-After: delta-seconds (RFC 9110 §10.2.3); an HTTP date is rare for APIs and ignored.
Millis retry_after(const HttpResponse& r) {
  std::string v = r.header("retry-after");
  if (v.empty() || v.size() > 6) return Millis(0);
  for (char c : v) {
    if (c < '0' || c > '9') return Millis(0);
  }
  return Millis(std::stol(v) * 1000);
}

}  // namespace

ApiOptions ApiOptions::from_config(const LiveKitConfig& c) {
  ApiOptions o;
  o.url = c.url;
  o.api_key = c.api_key;
  o.api_secret = c.api_secret;
  o.request_timeout = c.request_timeout;
  o.retry_attempts = std::max(1, c.retry_attempts);
  o.trust.ca_file = c.ca_file;
  return o;
}

Result<std::unique_ptr<TwirpClient>> TwirpClient::create(ApiOptions options) {
  auto url = parse_url(options.url);
  if (!url) return tl::unexpected(url.error());
  if (url->scheme != "http" && url->scheme != "https" && url->scheme != "ws" && url->scheme != "wss") {
    return make_error(ErrorCode::kInvalidArgument,
                      "LiveKit URL scheme '" + url->scheme + "' is not one of ws, wss, http, https");
  }
  if (options.api_key.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no LiveKit API key (set LIVEKIT_API_KEY or --api-key)");
  }
  if (options.api_secret.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no LiveKit API secret (set LIVEKIT_API_SECRET)");
  }
  return std::unique_ptr<TwirpClient>(new TwirpClient(std::move(options), *url));
}

TwirpClient::TwirpClient(ApiOptions options, Url url)
    : options_(std::move(options)),
      url_(url.as_http()),
      http_(std::make_unique<HttpClient>(url_, options_.request_timeout, options_.trust)) {}

void TwirpClient::cancel() {
  {
    std::lock_guard lock(cancel_mutex_);
    cancelled_ = true;
  }
  cancel_cv_.notify_all();
  http_->cancel();
}

std::optional<std::chrono::seconds> TwirpClient::last_clock_skew() const {
  std::lock_guard lock(skew_mutex_);
  return last_skew_;
}

Result<json> TwirpClient::call(std::string_view service, std::string_view method, const json& request,
                               const TokenClaims& grant, bool idempotent) {
  const std::string name = std::string(service) + "." + std::string(method);
  // Blocking (the request, and a retry's wait of up to a minute): never on an event loop.
  // parley serve runs these on ApiCallControl's per-call lanes and the reconciler's thread.
  loop_watchdog::blocking_call("TwirpClient::call blocks on the server API");
  const std::string prefix = url_.path == "/" ? "" : (url_.path.back() == '/' ? url_.path.substr(0, url_.path.size() - 1) : url_.path);
  HttpRequest req;
  req.method = "POST";
  req.target = prefix + "/twirp/livekit." + std::string(service) + "/" + std::string(method);
  req.headers["Content-Type"] = "application/json";
  req.body = request.dump();
  Backoff backoff(BackoffPolicy{options_.retry_attempts, options_.backoff_base, options_.backoff_cap});
  auto started = std::chrono::steady_clock::now();
  Error last;
  auto finish = [&](const std::string& result) {
    calls_metric().with({name, result}).inc();
    latency_metric().with({name}).observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  const int attempts = std::max(1, options_.retry_attempts);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    auto token = mint_token(grant, options_.api_key, options_.api_secret, options_.token_ttl, *options_.clock);
    if (!token) {
      finish(result_label(token.error()));
      return tl::unexpected(token.error());
    }
    req.headers["Authorization"] = "Bearer " + *token;
    log::root().debug("livekit api call", {{"method", name}, {"attempt", attempt}});
    auto res = http_->request(req, idempotent);
    Millis hint(0);
    if (!res) {
      last = res.error();
      last.message = name + ": " + last.message;
    } else {
      if (auto date = parse_http_date(res->header("date"))) {
        auto skew = std::chrono::duration_cast<std::chrono::seconds>(*date - options_.clock->wall());
        std::lock_guard lock(skew_mutex_);
        last_skew_ = skew;
      }
      if (res->status >= 200 && res->status < 300) {
        json body = json::parse(res->body, nullptr, false);
        if (body.is_discarded()) {
          last = Error(ErrorCode::kProtocol, name + ": the server's answer is not JSON");
          finish(result_label(last));
          return tl::unexpected(last);
        }
        finish("ok");
        return body;
      }
      TwirpError te = parse_twirp_error(res->status, res->body);
      ErrorContext ctx{name, options_.api_key, last_clock_skew(), std::chrono::seconds(60)};
      last = explain_api_error(te, ctx);
      last.retryable = ((res->status >= 500 && idempotent) || res->status == 429) && !is_sip_not_connected(te);
      hint = retry_after(*res);
    }
    if (!last.retryable || attempt == attempts) break;
    // Retry-After is honoured as given (up to a minute), not clipped to the backoff cap.
    auto wait = std::max(backoff.delay(attempt), std::min(hint, Millis(60'000)));
    log::root().info("livekit api call failed, retrying",
                     {{"method", name}, {"attempt", attempt}, {"error", last.message}, {"wait_ms", wait.count()}});
    // On the calling thread (never a loop's: see api_call_control.h), and cut short by cancel().
    std::unique_lock lock(cancel_mutex_);
    if (cancel_cv_.wait_for(lock, wait, [this] { return cancelled_; })) {
      last = Error(ErrorCode::kCancelled, name + ": cancelled while waiting to retry (" + last.message + ")");
      break;
    }
  }
  if (attempts > 1 && last.retryable) last.message += " (after " + std::to_string(attempts) + " attempts)";
  finish(result_label(last));
  return tl::unexpected(last);
}

TokenClaims grant_room_create() {
  TokenClaims c;
  c.video = VideoGrant{};
  c.video->room_create = true;
  return c;
}

TokenClaims grant_room_list() {
  TokenClaims c;
  c.video = VideoGrant{};
  c.video->room_list = true;
  return c;
}

TokenClaims grant_room_admin(std::string_view room) {
  TokenClaims c;
  c.video = VideoGrant{};
  c.video->room_admin = true;
  c.video->room = std::string(room);
  return c;
}

TokenClaims grant_sip_admin() {
  TokenClaims c;
  c.sip = SipGrant{true, false};
  return c;
}

TokenClaims grant_sip_call(std::string_view room_admin_for) {
  TokenClaims c = room_admin_for.empty() ? TokenClaims{} : grant_room_admin(room_admin_for);
  c.sip = SipGrant{false, true};
  return c;
}

}  // namespace parley::livekit
