// One problem found in the configuration: the key, what is wrong and the fix. Its own header so
// that a provider's own config section (core/provider_section.h) can report problems without
// knowing the whole Config.
#pragma once

#include <string>

namespace parley {

struct ConfigIssue {
  std::string key;      // "livekit.url"; "" for the file as a whole
  std::string message;  // what is wrong
  std::string fix;      // what to do
  bool warning = false;
  std::string to_string() const;
};

}  // namespace parley
