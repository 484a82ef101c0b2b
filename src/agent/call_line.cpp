#include "agent/call_line.h"

#include "core/phone_number.h"

namespace parley::agent {

namespace {

std::string greeting_for(const Config& config, const std::string& language) {
  const auto& g = config.agent.greeting;
  auto it = g.find(language);
  if (it != g.end()) return it->second;
  return g.empty() ? std::string() : g.begin()->second;
}

std::string attribute(const std::map<std::string, std::string>& a, const char* key) {
  auto it = a.find(key);
  return it == a.end() ? std::string() : it->second;
}

}  // namespace

CallLine call_line(const Config& config, const std::map<std::string, std::string>& caller_attributes) {
  const CallLineConfig* found = nullptr;
  CallLine out;
  // The bridge writes E.164 ("+74951234567"); the map's keys were rewritten so when loaded.
  if (auto number = attribute(caller_attributes, "sip.trunkPhoneNumber"); !number.empty()) {
    auto e164 = normalize_e164(number);
    auto it = config.agent.numbers.find(e164 ? *e164 : number);
    if (it != config.agent.numbers.end()) found = &it->second, out.matched = "number";
  }
  if (!found) {
    if (auto trunk = attribute(caller_attributes, "sip.trunkID"); !trunk.empty()) {
      auto it = config.agent.trunks.find(trunk);
      if (it != config.agent.trunks.end()) found = &it->second, out.matched = "trunk";
    }
  }
  if (!found) {
    out.language = config.agent.language.empty() ? "en" : config.agent.language;
    out.greeting = greeting_for(config, out.language);
    out.matched = "default";
    return out;
  }
  out.language = found->language;
  out.greeting = found->greeting.empty() ? greeting_for(config, out.language) : found->greeting;
  out.stt = found->stt;
  out.llm = found->llm;
  out.tts = found->tts;
  return out;
}

}  // namespace parley::agent
