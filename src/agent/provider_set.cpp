#include "agent/provider_set.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "agent/embedded_engines.h"
#include "providers/llm/fallback_llm.h"
#include "providers/registry/provider_factories.h"

namespace parley::agent {

namespace {

// Every engine name a role's chains use: the default chain's, then the lines', each once.
std::vector<std::string> chain_names(const std::vector<std::string>& chain, const AgentConfig& agent,
                                     std::vector<std::string> CallLineConfig::*role) {
  std::vector<std::string> out;
  auto add = [&](const std::vector<std::string>& names) {
    for (const auto& n : names) {
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
  };
  add(chain);
  for (const auto* lines : {&agent.numbers, &agent.trunks}) {
    for (const auto& [key, line] : *lines) add(line.*role);
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<ProviderSet>> ProviderSet::create(const Config& config, boost::asio::io_context& net,
                                                         log::Logger logger) {
  // The providers below src/ registered before main(); this call is what links their generated
  // list into every binary with a ProviderSet (registering them again changes nothing).
  static std::once_flag builtin;
  std::call_once(builtin, register_builtin_providers);
  std::shared_ptr<ProviderSet> set(new ProviderSet());
  // The embedded engines block: recognition shares two worker threads (the machine's cores) and
  // synthesis one more, never a thread per call. Synthesis has its own because a reply is on the
  // critical path: in one FIFO pool with 20 callers, flite's first audio waited 100 ms (p50)
  // behind their frames (bench/voice).
  set->pool_ = std::make_unique<boost::asio::thread_pool>(2);
  set->tts_pool_ = std::make_unique<boost::asio::thread_pool>(1);
  const auto& p = config.providers;
  set->llm_timeout_ = p.llm_timeout;
  auto script = providers::ScriptLlm::create(p.script);
  if (!script) return tl::unexpected(script.error());
  set->script_ = *script;

  set->default_stt_ = p.stt;
  set->default_tts_ = p.tts;
  for (const auto& n : p.llm) {
    if (n != "script") set->default_llm_.push_back(n);
  }
  // Each engine a chain names, built by the factory its provider registered for the role
  // (providers/registry); a name without one, or an engine not usable here, is skipped.
  auto context = [&](const std::string& name) {
    return providers::ProviderContext{config, p.section(name), net, *set->pool_, *set->tts_pool_, logger};
  };
  for (const auto& name : chain_names(p.llm, config.agent, &CallLineConfig::llm)) {
    if (name == "script") continue;  // always last
    const auto* factory = providers::find_llm(name);
    auto engine = factory ? (*factory)(context(name)) : Result<std::shared_ptr<providers::LlmProvider>>();
    if (!engine) return tl::unexpected(engine.error());
    if (*engine) {
      set->llms_[name] = std::move(*engine);
    } else {
      set->skipped_.push_back("llm " + name);
    }
  }
  for (const auto& name : chain_names(p.stt, config.agent, &CallLineConfig::stt)) {
    const auto* factory = providers::find_stt(name);
    auto maker = factory ? (*factory)(context(name)) : Result<providers::RecognizerMaker>();
    if (!maker) return tl::unexpected(maker.error());
    if (*maker) {
      set->recognizers_.emplace(name, std::move(*maker));
    } else {
      set->skipped_.push_back("stt " + name);
    }
  }
  for (const auto& name : chain_names(p.tts, config.agent, &CallLineConfig::tts)) {
    const auto* factory = providers::find_tts(name);
    auto engine = factory ? (*factory)(context(name)) : Result<providers::Synthesizer>();
    if (!engine) return tl::unexpected(engine.error());
    if (!engine->shared) {
      set->skipped_.push_back("tts " + name);
      continue;
    }
    set->synthesizers_[name] = std::move(engine->shared);
    if (engine->for_call) set->call_views_[name] = std::move(engine->for_call);
  }
  for (const auto& s : set->skipped_) {
    logger.warn("provider not built into this binary yet; the rest of its chain is used", {{"provider", s}});
  }
  return set;
}

std::unique_ptr<providers::LlmProvider> ProviderSet::llm(EventLoop& call_loop, log::Logger logger, const Chain& chain,
                                                         providers::FallbackLlm::OnFallback on_fallback) const {
  std::vector<std::shared_ptr<providers::LlmProvider>> engines;
  for (const auto& name : chain.empty() ? default_llm_ : chain) {
    auto it = llms_.find(name);
    if (it != llms_.end()) engines.push_back(it->second);
  }
  engines.push_back(script_);
  return std::make_unique<providers::FallbackLlm>(call_loop, std::move(engines), llm_timeout_, std::move(logger),
                                                  std::move(on_fallback));
}

std::unique_ptr<voice::SpeechRecognizer> ProviderSet::recognizer(const std::string& language, const Chain& chain,
                                                                 const log::Logger& logger) const {
  // The first engine of the chain that can recognise the language.
  for (const auto& name : chain.empty() ? default_stt_ : chain) {
    auto it = recognizers_.find(name);
    if (it == recognizers_.end()) continue;
    if (auto r = it->second(language, logger)) return r;
  }
  return nullptr;
}

std::unique_ptr<voice::VoiceActivityDetector> ProviderSet::vad() const {
  if (vad_) return vad_();
  // Mode 3 (the strictest): mode 1 heard the soft start of words 150–300 ms sooner (a quicker
  // barge-in on live calls, tests/agent/agent_fallbacks_live_test.py) but also made utterances
  // longer and the recogniser 3–4× slower to answer; endpointing matters more.
  return make_webrtc_vad(3);
}

ProviderSet::~ProviderSet() {
  if (tts_pool_) tts_pool_->join();
  if (pool_) pool_->join();
}

std::vector<std::shared_ptr<voice::SpeechSynthesizer>> ProviderSet::tts(const Chain& chain,
                                                                        const log::Logger& logger) const {
  std::vector<std::shared_ptr<voice::SpeechSynthesizer>> out;
  for (const auto& name : chain.empty() ? default_tts_ : chain) {
    if (auto view = call_views_.find(name); view != call_views_.end()) {
      out.push_back(view->second(logger));
      continue;
    }
    auto it = synthesizers_.find(name);
    if (it != synthesizers_.end()) out.push_back(it->second);
  }
  return out;
}

void ProviderSet::add_recognizer(std::string name, RecognizerFactory factory) {
  default_stt_.push_back(name);
  recognizers_[std::move(name)] = [factory = std::move(factory)](const std::string& language, const log::Logger&) {
    return factory(language);
  };
}

void ProviderSet::add_synthesizer(std::shared_ptr<voice::SpeechSynthesizer> synthesizer) {
  std::string name(synthesizer->name());
  default_tts_.push_back(name);
  call_views_.erase(name);
  synthesizers_[name] = std::move(synthesizer);
}

void ProviderSet::add_llm(std::shared_ptr<providers::LlmProvider> llm) {
  std::string name(llm->name());
  default_llm_.push_back(name);
  llms_[name] = std::move(llm);
}

}  // namespace parley::agent
