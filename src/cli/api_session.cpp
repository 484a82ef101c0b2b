#include "cli/api_session.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace parley::cli {

std::chrono::seconds clock_skew_setting(std::optional<long> override_seconds) {
  if (override_seconds) return std::chrono::seconds(*override_seconds);
  const char* env = std::getenv("PARLEY_CLOCK_SKEW");
  if (env == nullptr || *env == '\0') return std::chrono::seconds(0);
  char* end = nullptr;
  long v = std::strtol(env, &end, 10);
  if (end == env || *end != '\0') {
    throw CliExit(kExitUsage, std::string("PARLEY_CLOCK_SKEW='") + env + "' is not a whole number of seconds");
  }
  return std::chrono::seconds(v);
}

ApiSession::ApiSession(CommandContext& ctx, std::optional<long> clock_skew)
    : config_(ctx.config()), clock_(SystemClock::instance(), clock_skew_setting(clock_skew)) {
  auto options = livekit::ApiOptions::from_config(config_.livekit);
  options.clock = &clock_;
  auto client = livekit::TwirpClient::create(options);
  if (!client) throw CliExit(kExitUsage, client.error().message);
  twirp_ = std::move(*client);
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

}  // namespace parley::cli
