// A provider's own section of the configuration, providers.<name>, declared by the provider in
// its own folder instead of in config.h: the keys it takes with their defaults, which of them are
// secrets (redacted in `parley config`, kept out of logs, warned about when written into a file),
// the environment variable that may set each, and a check of the loaded values. load_config reads,
// checks, shows and hashes every registered section like the built-in ones; a chain may name the
// provider once its section is registered for that role.
//
// Sections register before load_config runs: each provider's register function (generated into
// the binary's explicit registration list by parley_provider in cmake/ParleyTargets.cmake) runs
// at start-up.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/config_issue.h"
#include "core/duration.h"

namespace parley {

struct ProviderKey {
  enum class Kind { kString, kInteger, kNumber, kDuration, kBoolean };
  std::string name;           // "api_key": providers.<provider>.api_key
  std::string default_value;  // as it would be written in parley.yaml ("" = empty)
  Kind kind = Kind::kString;
  bool secret = false;        // redacted, kept out of logs, warned about when written into a file
  std::string env;            // the environment variable that sets it, e.g. EXAMPLE_API_KEY ("" = none)
  double min = 0, max = 0;    // kInteger: the range; kNumber: min only

  // How a provider declares its keys.
  static ProviderKey text(std::string name, std::string default_value, std::string env = "") {
    return {std::move(name), std::move(default_value), Kind::kString, false, std::move(env), 0, 0};
  }
  static ProviderKey secret_text(std::string name, std::string env) {
    return {std::move(name), "", Kind::kString, true, std::move(env), 0, 0};
  }
  static ProviderKey integer(std::string name, long long default_value, long long min, long long max) {
    return {std::move(name), std::to_string(default_value), Kind::kInteger, false, "", double(min), double(max)};
  }
  static ProviderKey number(std::string name, std::string default_value, double min) {
    return {std::move(name), std::move(default_value), Kind::kNumber, false, "", min, 0};
  }
  static ProviderKey duration(std::string name, std::string default_value) {
    return {std::move(name), std::move(default_value), Kind::kDuration, false, "", 0, 0};
  }
  static ProviderKey boolean(std::string name, bool default_value) {
    return {std::move(name), default_value ? "true" : "false", Kind::kBoolean, false, "", 0, 0};
  }
};

// The loaded values of one section: every key as text, already checked against its kind.
class ProviderSettings {
 public:
  ProviderSettings() = default;
  explicit ProviderSettings(std::string provider) : provider_(std::move(provider)) {}

  const std::string& provider() const { return provider_; }
  // The value, or the key's declared default when it was not loaded (a Config built in code).
  std::string text(const std::string& key) const;
  long long integer(const std::string& key) const;
  double number(const std::string& key) const;
  Millis duration(const std::string& key) const;
  bool boolean(const std::string& key) const;
  void set(const std::string& key, std::string value) { values_[key] = std::move(value); }
  bool operator==(const ProviderSettings& o) const { return provider_ == o.provider_ && values_ == o.values_; }

 private:
  std::string provider_;
  std::map<std::string, std::string> values_;
};

struct ProviderSection {
  std::string name;                // providers.<name>, and the name chains use
  std::vector<std::string> roles;  // the chains that may name it: stt, llm, tts
  std::vector<ProviderKey> keys;
  // Runs when a chain names the provider. Each issue's key is the section's own ("api_key");
  // load_config prefixes providers.<name>.
  std::function<std::vector<ConfigIssue>(const ProviderSettings&)> validate;
};

// Adds (or, by the same name, replaces) a section. Not thread-safe: call at start-up.
void register_provider_section(ProviderSection section);
// In the order registered.
const std::vector<ProviderSection>& provider_sections();
const ProviderSection* find_provider_section(const std::string& name);

}  // namespace parley
