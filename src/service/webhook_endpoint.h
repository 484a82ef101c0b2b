// The webhook endpoint: LiveKit's events come in here (POST config.webhook.path).
//
// Checks, in order: the source address's rate limit (429, from the request's header alone, before
// HttpServer reads the body: admit()), the method (405), the content type (415), the signature and
// body hash (401) and the body's shape (400) — the body size (413) is enforced by HttpServer
// before any of it is read. Every 401 has the same body: whether the key is unknown or the
// signature wrong is told to the log only, never to an unauthenticated caller. A verified event is answered 200 at once and
// queued for CallAdmission; an event id seen before is answered 200 and not acted on again.
// Every refusal is logged with its cause (never a secret) and counted as suspicious activity.
//
// Thread-safe: handle() runs on any HTTP loop; set_config() from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/config.h"
#include "livekit/webhook/webhook_verifier.h"
#include "service/call_admission.h"
#include "service/event_deduplicator.h"
#include "service/http_server.h"
#include "service/rate_limiter.h"

namespace parley::service {

class WebhookEndpoint {
 public:
  WebhookEndpoint(std::shared_ptr<const Config> config, CallAdmission& admission,
                  const Clock& clock = SystemClock::instance());

  // The header check (HttpHeaderCheck): a 429 when `remote` is over its rate limit.
  std::optional<HttpResponse> admit(const HttpRequest& header, const std::string& remote);
  // The request, its body read, once admit() let it in.
  HttpResponse handle(const HttpRequest& request, const std::string& remote);
  // New keys (rotation) and rate limits apply to the next request.
  void set_config(std::shared_ptr<const Config> config);
  // Counts a refusal HttpServer made before the handler (413, 431, 400).
  static void count_refusal(unsigned status, const std::string& remote);

 private:
  // `why` goes to the log; the caller reads `shown` (`why` when empty).
  HttpResponse refuse(const HttpRequest& request, const std::string& remote, unsigned status, const std::string& result,
                      const std::string& why, bool warn, const std::string& shown = "");
  std::shared_ptr<const livekit::webhook::WebhookVerifier> verifier() const;

  CallAdmission& admission_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::shared_ptr<const livekit::webhook::WebhookVerifier> verifier_;
  RateLimiter limiter_;
  EventDeduplicator dedup_;
  std::atomic<bool> mask_numbers_{false};  // calls.mask_numbers
};

// Every key whose webhooks are accepted: livekit.api_key plus webhook.extra_keys.
std::map<std::string, std::string> webhook_keys(const Config& config);

}  // namespace parley::service
