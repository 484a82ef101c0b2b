#include "core/duration.h"

#include <cctype>
#include <charconv>
#include <cmath>

namespace parley {

std::optional<Millis> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool negative = false;
  if (text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  double total_ms = 0;
  bool any = false;
  while (!text.empty()) {
    size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    double value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, value);
    if (ec != std::errc() || ptr != text.data() + i) return std::nullopt;
    text.remove_prefix(i);
    size_t j = 0;
    while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
    std::string_view unit = text.substr(0, j);
    text.remove_prefix(j);
    double scale;
    if (unit.empty()) {
      if (any || !text.empty()) return std::nullopt;  // a bare number stands alone
      scale = 1000;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else {
      return std::nullopt;
    }
    total_ms += value * scale;
    any = true;
  }
  if (!any || !std::isfinite(total_ms) || total_ms > 1e15) return std::nullopt;
  auto ms = static_cast<long long>(std::llround(total_ms));
  return Millis(negative ? -ms : ms);
}

std::string format_duration(Millis d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  if (ms % 1000 != 0) return out + std::to_string(ms) + "ms";
  long long s = ms / 1000;
  if (s >= 3600 && s % 3600 == 0) return out + std::to_string(s / 3600) + "h";
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    if (s % 60) out += std::to_string(s % 60) + "s";
    return out;
  }
  return out + std::to_string(s) + "s";
}

}  // namespace parley
