#include "providers/registry/provider_factories.h"

#include <map>

namespace parley::providers {

namespace {

// One table per role, built on first use (registration runs during static initialisation).
template <class Factory>
std::map<std::string, Factory>& table() {
  static std::map<std::string, Factory> factories;
  return factories;
}

template <class Factory>
const Factory* find(const std::string& name) {
  const auto& t = table<Factory>();
  auto it = t.find(name);
  return it == t.end() ? nullptr : &it->second;
}

}  // namespace

void register_stt(std::string name, SttFactory factory) { table<SttFactory>()[std::move(name)] = std::move(factory); }
void register_tts(std::string name, TtsFactory factory) { table<TtsFactory>()[std::move(name)] = std::move(factory); }
void register_llm(std::string name, LlmFactory factory) { table<LlmFactory>()[std::move(name)] = std::move(factory); }

const SttFactory* find_stt(const std::string& name) { return find<SttFactory>(name); }
const TtsFactory* find_tts(const std::string& name) { return find<TtsFactory>(name); }
const LlmFactory* find_llm(const std::string& name) { return find<LlmFactory>(name); }

}  // namespace parley::providers
