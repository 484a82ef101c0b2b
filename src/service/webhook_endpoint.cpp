#include "service/webhook_endpoint.h"

#include <cctype>

#include <boost/beast/core/string.hpp>

#include "core/log.h"
#include "core/metrics.h"
#include "livekit/webhook/webhook_event.h"
#include "service/number_masking.h"

namespace parley::service {
namespace {

namespace http = boost::beast::http;

metrics::CounterFamily& webhooks_family() {
  static auto& f = metrics::registry().counter("parley_webhooks_total", "webhook requests, by event and result",
                                               {"event", "result"});
  return f;
}
metrics::CounterFamily& signature_failures() {
  static auto& f = metrics::registry().counter("parley_webhook_signature_failures_total",
                                               "webhooks whose signature or body hash did not verify, by reason",
                                               {"reason"});
  return f;
}
metrics::CounterFamily& suspicious_family() {
  static auto& f = metrics::registry().counter(
      "parley_suspicious_requests_total",
      "requests refused at the webhook endpoint (rate limit, method, type, size, signature, shape), by reason",
      {"reason"});
  return f;
}
metrics::Histogram& handling_histogram() {
  static auto& h = metrics::registry()
                       .histogram("parley_webhook_handling_seconds", "time to verify, parse and queue a webhook", {},
                                  {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1})
                       .get();
  return h;
}

// Boost 1.74's Beast has its own string_view.
std::string_view sv(boost::beast::string_view v) { return {v.data(), v.size()}; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool acceptable_content_type(std::string_view value) {
  auto semi = value.find(';');
  std::string_view type = value.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
  // LiveKit sends application/webhook+json (§6); plain JSON is what other senders use.
  return iequals(type, "application/webhook+json") || iequals(type, "application/json");
}

}  // namespace

std::map<std::string, std::string> webhook_keys(const Config& config) {
  std::map<std::string, std::string> keys = config.webhook.extra_keys;
  if (!config.livekit.api_key.empty()) keys[config.livekit.api_key] = config.livekit.api_secret;
  return keys;
}

WebhookEndpoint::WebhookEndpoint(std::shared_ptr<const Config> config, CallAdmission& admission, const Clock& clock)
    : admission_(admission),
      clock_(clock),
      verifier_(std::make_shared<livekit::webhook::WebhookVerifier>(webhook_keys(*config), clock)),
      limiter_(config->webhook.rate_limit_per_second, config->webhook.rate_limit_burst, clock),
      mask_numbers_(config->calls.mask_numbers) {}

void WebhookEndpoint::set_config(std::shared_ptr<const Config> config) {
  auto v = std::make_shared<livekit::webhook::WebhookVerifier>(webhook_keys(*config), clock_);
  limiter_.set_limits(config->webhook.rate_limit_per_second, config->webhook.rate_limit_burst);
  mask_numbers_ = config->calls.mask_numbers;
  std::lock_guard lock(mutex_);
  verifier_ = std::move(v);
}

std::shared_ptr<const livekit::webhook::WebhookVerifier> WebhookEndpoint::verifier() const {
  std::lock_guard lock(mutex_);
  return verifier_;
}

void WebhookEndpoint::count_refusal(unsigned status, const std::string& remote) {
  std::string reason = status == 413 ? "too_large" : status == 431 ? "headers_too_large" : "malformed_http";
  webhooks_family().with({"unknown", reason}).inc();
  suspicious_family().with({reason}).inc();
  (void)remote;
}

HttpResponse WebhookEndpoint::refuse(const HttpRequest& request, const std::string& remote, unsigned status,
                                     const std::string& result, const std::string& why, bool warn,
                                     const std::string& shown) {
  webhooks_family().with({"unknown", result}).inc();
  suspicious_family().with({result}).inc();
  log::Fields fields{{"status", status}, {"remote", remote}, {"reason", result}, {"why", why}};
  if (warn) {
    log::root().warn("webhook refused", fields);
  } else {
    log::root().debug("webhook refused", fields);
  }
  return make_response(status, (shown.empty() ? why : shown) + "\n", &request);
}

std::optional<HttpResponse> WebhookEndpoint::admit(const HttpRequest& header, const std::string& remote) {
  if (limiter_.allow(remote)) return std::nullopt;
  // Not a warning per request: a flood would flood the log too. The metric counts each one.
  auto res = refuse(header, remote, 429, "rate_limited", "too many requests from " + remote, false);
  res.set(http::field::retry_after, "1");
  return res;
}

HttpResponse WebhookEndpoint::handle(const HttpRequest& request, const std::string& remote) {
  auto started = clock_.now();
  if (request.method() != http::verb::post) {
    auto res = refuse(request, remote, 405, "wrong_method",
                      "method " + std::string(request.method_string()) + " not allowed; webhooks are POSTed", true);
    res.set(http::field::allow, "POST");
    return res;
  }
  if (!acceptable_content_type(sv(request[http::field::content_type]))) {
    return refuse(request, remote, 415, "wrong_content_type",
                  "content type '" + std::string(request[http::field::content_type]) +
                      "' is not application/webhook+json or application/json",
                  true);
  }
  const std::string& body = request.body();
  auto verified = verifier()->verify(sv(request[http::field::authorization]), body);
  if (!verified) {
    signature_failures().with({std::string(livekit::webhook::to_string(verified.error().failure))}).inc();
    // The same words for every cause: "unknown API key" would tell a stranger which keys exist.
    return refuse(request, remote, 401, "unauthorized", verified.error().message, true,
                  "webhook not authorized: its signature did not verify");
  }
  auto event = livekit::webhook::parse_webhook_event(body);
  if (!event) {
    return refuse(request, remote, 400, "bad_request", "body is not a LiveKit WebhookEvent: " + event.error().message,
                  true);
  }
  const std::string name = event->type == livekit::webhook::WebhookEventType::kOther ? "other" : event->event;
  // A SIP caller's number is in its identity and, with an individual rule, in the room name.
  auto shown = [this](const std::string& text) { return mask_numbers_ ? mask_phone_numbers(text) : text; };
  log::Fields fields{{"event", event->event}, {"id", event->id}, {"room", shown(event->room_name())},
                     {"key", verified->api_key}};
  if (event->participant) fields.emplace_back("participant", shown(event->participant->identity));
  if (event->track) fields.emplace_back("track", event->track->sid);
  if (!event->id.empty() && !dedup_.first_time(event->id)) {
    webhooks_family().with({name, "duplicate"}).inc();
    log::root().info("webhook duplicate ignored (already acted on)", fields);
    return make_response(200, "duplicate\n", &request);
  }
  if (event->type == livekit::webhook::WebhookEventType::kOther) {
    webhooks_family().with({name, "logged"}).inc();
    log::root().info("webhook verified (not acted on)", fields);
  } else {
    webhooks_family().with({name, "accepted"}).inc();
    log::root().info("webhook verified", fields);
    admission_.submit(std::move(*event));
  }
  handling_histogram().observe(std::chrono::duration<double>(clock_.now() - started).count());
  return make_response(200, "ok\n", &request);
}

}  // namespace parley::service
