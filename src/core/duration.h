// Durations as written in configuration and on the command line: "30s", "500ms", "1m", "2h",
// "1m30s", or a bare number of seconds ("30", "0.5").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

using Millis = std::chrono::milliseconds;

// Returns nullopt when the text is not a duration. Negative values are parsed ("-5s") so the
// caller can say "must not be negative" instead of "not a duration".
std::optional<Millis> parse_duration(std::string_view text);

// The shortest exact spelling: 30000ms -> "30s", 90000ms -> "1m30s", 250ms -> "250ms".
std::string format_duration(Millis d);

}  // namespace parley
