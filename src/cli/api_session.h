// What the server-API commands share: a TwirpClient built from the configuration (with the
// token clock shifted by PARLEY_CLOCK_SKEW seconds when set, to reproduce clock skew), and
// printing of results and failures.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "cli/command.h"
#include "core/error.h"
#include "livekit/api/twirp_client.h"
#include "livekit/auth/shifted_clock.h"

namespace parley::cli {

// PARLEY_CLOCK_SKEW (seconds, may be negative), or the given override; 0 when neither.
std::chrono::seconds clock_skew_setting(std::optional<long> override_seconds = std::nullopt);

class ApiSession {
 public:
  // Loads the configuration (livekit.* needed) and builds the client; CliExit on failure.
  explicit ApiSession(CommandContext& ctx, std::optional<long> clock_skew = std::nullopt);
  livekit::TwirpClient& twirp() { return *twirp_; }
  const Config& config() const { return config_; }
  const Clock& token_clock() const { return clock_; }

 private:
  const Config& config_;
  livekit::ShiftedClock clock_;
  std::unique_ptr<livekit::TwirpClient> twirp_;
};

// Unwraps a result or stops with exit 1 and the explained error.
// An invalid argument (checked before sending, or refused by the server as such) is bad usage (2);
// anything else failed (1).
inline int exit_code(const Error& e) { return e.code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailed; }

template <class T>
T must(Result<T> r) {
  if (!r) throw CliExit(exit_code(r.error()), r.error().message);
  return std::move(*r);
}
inline void must(Status s) {
  if (!s) throw CliExit(exit_code(s.error()), s.error().message);
}

// Prints rows as an aligned table (first row = header).
void print_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace parley::cli
