// Structured logs. Human text by default, one JSON object per line with --log-format json.
// Every line of a call carries call_id and room: take a Logger from Logger::for_call() and
// pass it along; fields added with with() travel with it.
//
// A Logger may also carry replacements of its own (masking()): the call's phone numbers under
// calls.mask_numbers, replaced in every line that logger writes, whichever layer wrote it.
//
// Secrets registered with add_secret() are replaced by "[redacted]" in every line, whatever
// code wrote them: a last line of defence behind never logging secrets in the first place.
// Only long-lived secrets are registered (the configuration's); every JWT-shaped token (join,
// refresh and API tokens) is redacted by its shape, so the list stays as long as the config.
//
// Thread-safe: any thread may log. Lines are written whole, one write per line.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace parley::log {

enum class Level { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };
enum class Format { kText, kJson };

std::string_view to_string(Level level);
// "trace", "debug", "info", "warn"/"warning", "error", "off"; false when unknown.
bool parse_level(std::string_view text, Level& out);
bool parse_format(std::string_view text, Format& out);

using Field = std::pair<std::string, nlohmann::json>;
using Fields = std::vector<Field>;

// Where finished lines go (without the trailing newline). Default: stderr.
using Sink = std::function<void(std::string_view line)>;

void set_level(Level level);
Level level();
void set_format(Format format);
void set_sink(Sink sink);  // nullptr restores stderr
void add_secret(std::string secret);  // values shorter than 4 characters are ignored
void clear_secrets();
size_t secret_count();  // how many are registered (tokens are not: they are redacted by shape)

class Logger {
 public:
  Logger() = default;
  // A logger whose lines all carry call_id and room.
  static Logger for_call(std::string_view call_id, std::string_view room);

  Logger with(std::string key, nlohmann::json value) const;
  // A logger that writes `to` wherever `from` appears in its lines (keys, values, message).
  // Replacements accumulate and travel with with(); empty `from` texts are ignored.
  Logger masking(const std::vector<std::pair<std::string, std::string>>& replacements) const;

  bool enabled(Level l) const { return l >= level(); }
  void log(Level l, std::string_view message, const Fields& fields = {}) const;
  void trace(std::string_view m, const Fields& f = {}) const { log(Level::kTrace, m, f); }
  void debug(std::string_view m, const Fields& f = {}) const { log(Level::kDebug, m, f); }
  void info(std::string_view m, const Fields& f = {}) const { log(Level::kInfo, m, f); }
  void warn(std::string_view m, const Fields& f = {}) const { log(Level::kWarn, m, f); }
  void error(std::string_view m, const Fields& f = {}) const { log(Level::kError, m, f); }

 private:
  std::shared_ptr<const Fields> context_;
  using Replacements = std::vector<std::pair<std::string, std::string>>;
  std::shared_ptr<const Replacements> masks_;
};

// The process-wide logger without call context.
const Logger& root();

}  // namespace parley::log
