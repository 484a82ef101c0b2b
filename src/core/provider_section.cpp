#include "core/provider_section.h"

#include <algorithm>

namespace parley {

namespace {

std::vector<ProviderSection>& sections() {
  static std::vector<ProviderSection> all;
  return all;
}

}  // namespace

void register_provider_section(ProviderSection section) {
  auto& all = sections();
  auto it = std::find_if(all.begin(), all.end(), [&](const ProviderSection& s) { return s.name == section.name; });
  if (it != all.end()) {
    *it = std::move(section);
  } else {
    all.push_back(std::move(section));
  }
}

const std::vector<ProviderSection>& provider_sections() { return sections(); }

const ProviderSection* find_provider_section(const std::string& name) {
  for (const auto& s : sections()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string ProviderSettings::text(const std::string& key) const {
  if (auto it = values_.find(key); it != values_.end()) return it->second;
  if (const auto* section = find_provider_section(provider_)) {
    for (const auto& k : section->keys) {
      if (k.name == key) return k.default_value;
    }
  }
  return "";
}

// The loader has checked every value against its kind, so these parse what is known to parse;
// a default written wrongly in a provider's declaration reads as zero.
long long ProviderSettings::integer(const std::string& key) const {
  try {
    return std::stoll(text(key));
  } catch (const std::exception&) {
    return 0;
  }
}

double ProviderSettings::number(const std::string& key) const {
  try {
    return std::stod(text(key));
  } catch (const std::exception&) {
    return 0;
  }
}

Millis ProviderSettings::duration(const std::string& key) const { return parse_duration(text(key)).value_or(Millis(0)); }

bool ProviderSettings::boolean(const std::string& key) const {
  const std::string v = text(key);
  return v == "true" || v == "yes" || v == "on";
}

}  // namespace parley
