// `parley diagnose` checks. Each check is one class in one file of this folder, listed once in
// builtin_checks.cpp (the order there is the order they run and print in). A check declares the
// checks it depends on; when one of those failed (or was skipped), it is skipped with a reason,
// so the first failure printed is the cause and nothing after it fails for the same reason.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/url.h"
#include "livekit/api/http_client.h"
#include "livekit/api/twirp_client.h"

namespace parley::diagnose {

enum class Status { kPass, kWarn, kFail, kSkip };
std::string_view to_string(Status s);

struct CheckResult {
  Status status = Status::kPass;
  std::string detail;  // what was found
  std::string fix;     // on fail/warn: what to do
  static CheckResult pass(std::string detail) { return {Status::kPass, std::move(detail), {}}; }
  static CheckResult warn(std::string detail, std::string fix) { return {Status::kWarn, std::move(detail), std::move(fix)}; }
  static CheckResult fail(std::string detail, std::string fix) { return {Status::kFail, std::move(detail), std::move(fix)}; }
  static CheckResult skip(std::string reason) { return {Status::kSkip, std::move(reason), {}}; }
};

// What the checks share: the configuration, clients built from it, and facts earlier checks
// found (e.g. the server's clock offset) for later ones.
class Context {
 public:
  Context(Config config, std::vector<std::string> config_errors, const Clock& token_clock);

  const Config& config() const { return config_; }
  // Configuration errors found when loading (the config check reports them).
  const std::vector<std::string>& config_errors() const { return config_errors_; }
  // The clock tokens are minted with (the system clock, shifted by --clock-skew).
  const Clock& token_clock() const { return token_clock_; }
  // Per-request timeout: the configured one, at most 10 s so a diagnosis never hangs long.
  std::chrono::milliseconds timeout() const;

  // The parsed LiveKit URL as http(s); nullopt when it does not parse.
  std::optional<Url> http_url() const;
  // A keep-alive HTTP client for GET / and /rtc/validate (created on first use).
  livekit::HttpClient& http();
  // A server-API client with a single attempt (created on first use); nullptr when the
  // configuration cannot make one.
  livekit::TwirpClient* api();

  // Free-form facts for later checks ("server_clock_offset_s", "auth", ...).
  std::map<std::string, std::string> facts;

 private:
  Config config_;
  std::vector<std::string> config_errors_;
  const Clock& token_clock_;
  std::unique_ptr<livekit::HttpClient> http_;
  std::unique_ptr<livekit::TwirpClient> api_;
};

class Check {
 public:
  virtual ~Check() = default;
  virtual std::string name() const = 0;   // stable id for --json and metrics: "api_key"
  virtual std::string title() const = 0;  // "API key known to the server"
  // Names of checks that must pass (or warn) for this one to run.
  virtual std::vector<std::string> depends_on() const { return {}; }
  virtual CheckResult run(Context& ctx) = 0;
};

// Splits an error message that ends in its fix ("… (fix: do X)" or "… (…; fix: do X)") into
// the detail and the fix; the fix is "" when the message names none.
std::pair<std::string, std::string> split_fix(const std::string& message);

// Every check, in order (builtin_checks.cpp).
std::vector<std::unique_ptr<Check>> builtin_checks();

}  // namespace parley::diagnose
