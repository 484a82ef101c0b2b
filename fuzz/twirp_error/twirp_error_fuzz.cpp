// The Twirp/plain-text error parser and explainer, and the HTTP date parser, on arbitrary
// server answers: never crashes, always yields a message, never repeats a token it was sent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "livekit/api/http_client.h"
#include "livekit/api/twirp_error.h"

using namespace parley::livekit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  int status = 400 + data[0] % 200;
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  TwirpError e = parse_twirp_error(status, body);
  if (e.msg.size() > 500) std::abort();
  for (auto skew : {std::optional<std::chrono::seconds>{}, std::optional<std::chrono::seconds>(std::chrono::seconds(-500))}) {
    auto err = explain_api_error(e, {"Svc.Method", "devkey", skew});
    if (err.message.empty()) std::abort();
  }
  (void)error_code_for(e);
  (void)is_sip_not_connected(e);
  (void)parse_http_date(body);
  return 0;
}
