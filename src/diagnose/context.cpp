#include "diagnose/check.h"

namespace parley::diagnose {

std::pair<std::string, std::string> split_fix(const std::string& message) {
  auto at = message.rfind("fix: ");
  if (at == std::string::npos) return {message, ""};
  std::string fix = message.substr(at + 5);
  if (!fix.empty() && fix.back() == ')') fix.pop_back();
  std::string detail = message.substr(0, at);
  // "… (fix: " ends the detail; "… (reason; fix: " keeps the reason, closed.
  if (detail.size() >= 2 && detail.compare(detail.size() - 2, 2, " (") == 0) {
    detail.resize(detail.size() - 2);
  } else if (detail.size() >= 2 && detail.compare(detail.size() - 2, 2, "; ") == 0) {
    detail.resize(detail.size() - 2);
    detail += ")";
  }
  return {detail, fix};
}

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kPass: return "pass";
    case Status::kWarn: return "warn";
    case Status::kFail: return "fail";
    case Status::kSkip: return "skip";
  }
  return "skip";
}

Context::Context(Config config, std::vector<std::string> config_errors, const Clock& token_clock)
    : config_(std::move(config)), config_errors_(std::move(config_errors)), token_clock_(token_clock) {}

std::chrono::milliseconds Context::timeout() const {
  auto t = config_.livekit.request_timeout;
  if (t.count() <= 0 || t > std::chrono::milliseconds(10'000)) return std::chrono::milliseconds(10'000);
  return t;
}

std::optional<Url> Context::http_url() const {
  auto u = parse_url(config_.livekit.url);
  if (!u) return std::nullopt;
  return u->as_http();
}

livekit::HttpClient& Context::http() {
  if (!http_) http_ = std::make_unique<livekit::HttpClient>(http_url().value_or(Url{"http", "127.0.0.1", 7880, "/"}), timeout(),
                                                   tls::Trust{config_.livekit.ca_file});
  return *http_;
}

livekit::TwirpClient* Context::api() {
  if (api_) return api_.get();
  livekit::ApiOptions o = livekit::ApiOptions::from_config(config_.livekit);
  o.retry_attempts = 1;  // a diagnosis reports what it sees, at once
  o.request_timeout = timeout();
  o.clock = &token_clock_;
  auto c = livekit::TwirpClient::create(o);
  if (!c) return nullptr;
  api_ = std::move(*c);
  return api_.get();
}

}  // namespace parley::diagnose
