#include "core/log.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace parley::log {

namespace {

struct State {
  std::mutex mutex;
  Sink sink;
  // Copy-on-write, so a line is redacted outside the lock. Bounded: only configured secrets are
  // registered; tokens (a new one every join and refresh) are found by their shape instead.
  std::shared_ptr<const std::vector<std::string>> secrets = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<spdlog::logger> stderr_logger;
};

State& state() {
  static State s;
  return s;
}

std::atomic<Level> g_level{Level::kInfo};
std::atomic<Format> g_format{Format::kText};

std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = time_point_cast<seconds>(now);
  auto ms = duration_cast<milliseconds>(now - secs).count();
  std::time_t t = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// Text values: strings bare unless they contain spaces or quotes, everything else as JSON.
std::string text_value(const nlohmann::json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (!s.empty() && s.find_first_of(" \"=\n\t") == std::string::npos) return s;
  }
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool base64url_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// A JWT (join, refresh or API token) is three base64url parts joined by dots, the first an
// encoded JSON object, so it starts with "eyJ". Each one is replaced whole, wherever it is (a URL
// query, an error echoed by a server), without being registered: tokens are minted per join and
// refresh, and a list of them would grow without end.
void redact_tokens(std::string& line) {
  for (size_t pos = line.find("eyJ"); pos != std::string::npos; pos = line.find("eyJ", pos)) {
    if (pos > 0 && base64url_char(line[pos - 1])) {
      pos += 3;
      continue;
    }
    size_t end = pos;
    int dots = 0;
    while (end < line.size() && (base64url_char(line[end]) || line[end] == '.')) dots += line[end++] == '.';
    if (dots >= 2 && end - pos >= 20) {
      line.replace(pos, end - pos, "[redacted]");
      pos += 10;
    } else {
      pos = end;
    }
  }
}

void redact(std::string& line, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    for (size_t pos = line.find(secret); pos != std::string::npos; pos = line.find(secret, pos)) {
      line.replace(pos, secret.size(), "[redacted]");
      pos += 10;
    }
  }
  redact_tokens(line);
}

}  // namespace

std::string_view to_string(Level level) {
  switch (level) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "info";
}

bool parse_level(std::string_view text, Level& out) {
  if (text == "trace") out = Level::kTrace;
  else if (text == "debug") out = Level::kDebug;
  else if (text == "info") out = Level::kInfo;
  else if (text == "warn" || text == "warning") out = Level::kWarn;
  else if (text == "error") out = Level::kError;
  else if (text == "off") out = Level::kOff;
  else return false;
  return true;
}

bool parse_format(std::string_view text, Format& out) {
  if (text == "text") out = Format::kText;
  else if (text == "json") out = Format::kJson;
  else return false;
  return true;
}

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }
void set_format(Format format) { g_format = format; }

void set_sink(Sink sink) {
  std::lock_guard lock(state().mutex);
  state().sink = std::move(sink);
}

void add_secret(std::string secret) {
  if (secret.size() < 4) return;
  std::lock_guard lock(state().mutex);
  const auto& current = *state().secrets;
  if (std::find(current.begin(), current.end(), secret) != current.end()) return;
  auto next = std::make_shared<std::vector<std::string>>(current);
  next->push_back(std::move(secret));
  state().secrets = std::move(next);
}

size_t secret_count() {
  std::lock_guard lock(state().mutex);
  return state().secrets->size();
}

void clear_secrets() {
  std::lock_guard lock(state().mutex);
  state().secrets = std::make_shared<std::vector<std::string>>();
}

Logger Logger::for_call(std::string_view call_id, std::string_view room) {
  return Logger().with("call_id", std::string(call_id)).with("room", std::string(room));
}

Logger Logger::with(std::string key, nlohmann::json value) const {
  auto fields = context_ ? std::make_shared<Fields>(*context_) : std::make_shared<Fields>();
  for (auto& f : *fields) {
    if (f.first == key) {
      f.second = std::move(value);
      Logger out = *this;
      out.context_ = std::move(fields);
      return out;
    }
  }
  fields->emplace_back(std::move(key), std::move(value));
  Logger out = *this;
  out.context_ = std::move(fields);
  return out;
}

Logger Logger::masking(const Replacements& replacements) const {
  auto masks = masks_ ? std::make_shared<Replacements>(*masks_) : std::make_shared<Replacements>();
  for (const auto& r : replacements) {
    if (!r.first.empty() && r.first != r.second) masks->push_back(r);
  }
  // Longest first, so a number is never half-replaced by a shorter one it contains.
  std::stable_sort(masks->begin(), masks->end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  Logger out = *this;
  out.masks_ = std::move(masks);
  return out;
}

void Logger::log(Level l, std::string_view message, const Fields& fields) const {
  if (!enabled(l) || l == Level::kOff) return;
  std::string line;
  if (g_format.load() == Format::kJson) {
    nlohmann::ordered_json j;
    j["ts"] = timestamp();
    j["level"] = to_string(l);
    j["msg"] = message;
    if (context_) {
      for (const auto& [k, v] : *context_) j[k] = v;
    }
    for (const auto& [k, v] : fields) j[k] = v;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = timestamp();
    line += ' ';
    std::string lvl(to_string(l));
    for (auto& c : lvl) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    lvl.resize(5, ' ');
    line += lvl;
    line += ' ';
    line += message;
    for (const auto& [k, v] : fields) line += " " + k + "=" + text_value(v);
    if (context_) {
      for (const auto& [k, v] : *context_) line += " " + k + "=" + text_value(v);
    }
  }
  if (masks_) {
    for (const auto& [from, to] : *masks_) {
      for (size_t pos = line.find(from); pos != std::string::npos; pos = line.find(from, pos + to.size())) {
        line.replace(pos, from.size(), to);
      }
    }
  }
  auto& s = state();
  std::shared_ptr<const std::vector<std::string>> secrets;
  {
    std::lock_guard lock(s.mutex);
    secrets = s.secrets;
  }
  redact(line, *secrets);
  std::lock_guard lock(s.mutex);
  if (s.sink) {
    s.sink(line);
    return;
  }
  if (!s.stderr_logger) {
    s.stderr_logger = std::make_shared<spdlog::logger>("parley", std::make_shared<spdlog::sinks::stderr_sink_st>());
    s.stderr_logger->set_pattern("%v");
    s.stderr_logger->set_level(spdlog::level::trace);
    s.stderr_logger->flush_on(spdlog::level::trace);
  }
  s.stderr_logger->info(line);
}

const Logger& root() {
  static const Logger logger;
  return logger;
}

}  // namespace parley::log
