// Fuzzes what an attacker controls at the webhook endpoint: the body (protojson parser) and the
// Authorization header with it (verifier). Input: header line, '\n', body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "livekit/webhook/webhook_event.h"
#include "livekit/webhook/webhook_verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const parley::livekit::webhook::WebhookVerifier verifier({{"devkey", "secret"}, {"k2", "another-secret-value"}});
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto ev = parley::livekit::webhook::parse_webhook_event(input);
  if (ev) {
    (void)ev->room_name();
    if (ev->participant) (void)parley::livekit::webhook::to_string(ev->participant->kind);
  }
  auto nl = input.find('\n');
  std::string_view header = nl == std::string_view::npos ? input : input.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  auto v = verifier.verify(header, body);
  if (!v) (void)parley::livekit::webhook::to_string(v.error().failure);
  auto ev2 = parley::livekit::webhook::parse_webhook_event(body);
  (void)ev2;
  return 0;
}
