#include "agent/provider_set.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include <boost/asio/post.hpp>

#include "providers/llm/fallback_llm.h"
#include "providers/llm/openai_llm.h"
#include "providers/llm/ru_llms.h"
#include "providers/registry/provider_factories.h"
#include "providers/speech/deepgram_stt.h"
#include "providers/speech/openai_stt.h"
#include "providers/speech/openai_tts.h"
#include "providers/yandex/yandex_stt.h"
#include "providers/yandex/yandex_tts.h"
#include "agent/embedded_engines.h"
#include "providers/stt/pocketsphinx_stt.h"
#include "providers/tts/espeak_tts.h"
#include "providers/tts/flite_tts.h"
#include "voice/energy_vad.h"

namespace parley::agent {

namespace {

// What Yandex's STT and TTS options share: where, and the credentials.
template <class Options>
Options yandex_options(const YandexConfig& y, const std::string& endpoint) {
  Options o;
  o.endpoint = endpoint;
  o.api_key = y.api_key;
  o.iam_token = y.iam_token;
  o.folder_id = y.folder_id;
  o.ca_file = y.ca_file;
  return o;
}

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

// A provider registered by name for its role (providers/registry): built from its own section,
// or nullptr when none registered under that name.
template <class Engine, class Factory>
Result<std::optional<Engine>> build_registered(const Factory* factory, const std::string& name, const Config& config,
                                               boost::asio::io_context& net, boost::asio::thread_pool& stt_pool,
                                               boost::asio::thread_pool& tts_pool, const log::Logger& logger) {
  if (!factory) return std::optional<Engine>();
  providers::ProviderContext context{config, config.providers.section(name), net, stt_pool, tts_pool, logger};
  auto engine = (*factory)(context);
  if (!engine) return tl::unexpected(engine.error());
  return std::optional<Engine>(std::move(*engine));
}

}  // namespace

Result<std::shared_ptr<ProviderSet>> ProviderSet::create(const Config& config, boost::asio::io_context& net,
                                                         log::Logger logger) {
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

  const auto stt_names = chain_names(p.stt, config.agent, &CallLineConfig::stt);
  const auto llm_names = chain_names(p.llm, config.agent, &CallLineConfig::llm);
  const auto tts_names = chain_names(p.tts, config.agent, &CallLineConfig::tts);
  set->default_stt_ = p.stt;
  set->default_tts_ = p.tts;
  for (const auto& n : p.llm) {
    if (n != "script") set->default_llm_.push_back(n);
  }
  Url openai_base;
  bool needs_openai = false;
  for (const auto* chain : {&llm_names, &stt_names, &tts_names}) {
    for (const auto& n : *chain) needs_openai |= n == "openai";
  }
  if (needs_openai) {
    auto u = parse_url(p.openai.base_url);
    if (!u) return make_error(ErrorCode::kInvalidArgument, "providers.openai.base_url: " + u.error().message);
    openai_base = *u;
  }
  for (const auto& name : llm_names) {
    if (name == "script") continue;  // always last
    if (name == "openai") {
      providers::OpenAiLlmOptions o;
      o.base_url = openai_base;
      o.api_key = p.openai.api_key;
      o.ca_file = p.ca_file;
      o.model = p.openai.llm_model;
      o.system_prompt = p.openai.system_prompt;
      o.connect_timeout = p.llm_timeout;
      o.idle_timeout = p.llm_timeout;
      set->llms_[name] = std::make_shared<providers::OpenAiLlm>(net, o);
    } else if (name == "yandexgpt" || name == "gigachat") {
      auto o = name == "yandexgpt" ? providers::yandexgpt_llm_options(p) : providers::gigachat_llm_options(p, net);
      if (!o) return tl::unexpected(o.error());
      o->connect_timeout = p.llm_timeout;
      o->idle_timeout = p.llm_timeout;
      set->llms_[name] = std::make_shared<providers::OpenAiLlm>(net, *o);
    } else {
      auto llm = build_registered<std::shared_ptr<providers::LlmProvider>>(providers::find_llm(name), name, config, net,
                                                                          *set->pool_, *set->tts_pool_, logger);
      if (!llm) return tl::unexpected(llm.error());
      if (*llm) {
        set->llms_[name] = std::move(**llm);
      } else {
        set->skipped_.push_back("llm " + name);
      }
    }
  }
  for (const auto& name : stt_names) {
    if (name == "openai") {
      providers::OpenAiSttOptions o;
      o.base_url = openai_base;
      o.api_key = p.openai.api_key;
      o.ca_file = p.ca_file;
      o.model = p.openai.stt_model;
      o.connect_timeout = p.stt_timeout;
      o.idle_timeout = p.stt_timeout;
      auto* io = &net;
      set->recognizers_.emplace(name, [io, o](const std::string& language, const log::Logger&) mutable {
        o.language = language;
        return std::make_unique<providers::OpenAiStt>(*io, o);
      });
    } else if (name == "deepgram") {
      auto u = parse_url(p.deepgram.url);
      if (!u || !u->websocket()) {
        return make_error(ErrorCode::kInvalidArgument,
                          "providers.deepgram.url: '" + p.deepgram.url + "' is not a ws:// or wss:// URL");
      }
      providers::DeepgramSttOptions o;
      o.url = *u;
      o.api_key = p.deepgram.api_key;
      o.ca_file = p.ca_file;
      o.model = p.deepgram.model;
      o.connect_timeout = p.stt_timeout;
      // Inside the turn's STT timeout, so the caller hears of a silent Deepgram as such.
      o.finalize_timeout = std::max<std::chrono::milliseconds>(p.stt_timeout * 4 / 5, std::chrono::milliseconds(500));
      auto* io = &net;
      set->recognizers_.emplace(name, [io, o](const std::string& language, const log::Logger&) mutable {
        o.language = language;
        return std::make_unique<providers::DeepgramStt>(*io, o);
      });
    } else if (name == "yandex") {
      auto o = yandex_options<providers::YandexSttOptions>(p.yandex, p.yandex.stt_endpoint);
      o.model = p.yandex.stt_model;
      o.yandex_endpointing = p.yandex.endpointing == "yandex";
      // Inside the turn's STT timeout, so the caller hears of a silent Yandex as such.
      o.finalize_timeout = std::max<std::chrono::milliseconds>(p.stt_timeout * 4 / 5, std::chrono::milliseconds(500));
      set->recognizers_.emplace(name, [o](const std::string& language, const log::Logger& call_logger) mutable {
        // Yandex's codes are BCP-47 with a region: "ru" → "ru-RU", "en" → "en-US".
        if (language == "ru") {
          o.language = "ru-RU";
        } else if (language == "en") {
          o.language = "en-US";
        } else {
          o.language = language;
        }
        return std::make_unique<providers::YandexStt>(o, call_logger);
      });
    } else if (name == "pocketsphinx") {
      auto ps = providers::PocketsphinxStt::shared(static_cast<size_t>(p.pocketsphinx.max_decoders));
      if (!ps) {
        logger.warn("pocketsphinx is not usable; the rest of the STT chain is used", {{"error", ps.error().to_string()}});
        set->skipped_.push_back("stt pocketsphinx");
        continue;
      }
      auto* pool = set->pool_.get();
      // Every decoder loads now, on the workers, rather than under the first calls' speech.
      boost::asio::post(*pool, [ps = *ps, logger] {
        auto t0 = std::chrono::steady_clock::now();
        if (auto s = ps->warm_up(); !s) {
          logger.warn("pocketsphinx: could not load every decoder", {{"error", s.error().to_string()}});
        }
        logger.debug("pocketsphinx decoders loaded",
                     {{"decoders", ps->decoders_created()},
                      {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}});
      });
      std::shared_ptr<providers::SttProvider> engine = *ps;
      set->recognizers_.emplace(name, [pool, engine](const std::string& language,
                                                     const log::Logger&) -> std::unique_ptr<voice::SpeechRecognizer> {
        if (!engine->supports_language(language)) return nullptr;
        return make_threaded_recognizer(*pool, engine, language);
      });
    } else {
      auto maker = build_registered<providers::RecognizerMaker>(providers::find_stt(name), name, config, net, *set->pool_,
                                                                *set->tts_pool_, logger);
      if (!maker) return tl::unexpected(maker.error());
      if (*maker) {
        set->recognizers_.emplace(name, std::move(**maker));
      } else {
        set->skipped_.push_back("stt " + name);
      }
    }
  }
  for (const auto& name : tts_names) {
    if (name == "openai") {
      providers::OpenAiTtsOptions o;
      o.base_url = openai_base;
      o.api_key = p.openai.api_key;
      o.ca_file = p.ca_file;
      o.model = p.openai.tts_model;
      o.voice = p.openai.tts_voice;
      o.connect_timeout = p.tts_timeout;
      o.idle_timeout = p.tts_timeout;
      set->synthesizers_[name] = std::make_shared<providers::OpenAiTts>(net, o);
    } else if (name == "yandex") {
      auto o = yandex_options<providers::YandexTtsOptions>(p.yandex, p.yandex.tts_endpoint);
      o.voice = p.yandex.tts_voice;
      o.role = p.yandex.tts_role;
      o.speed = p.yandex.tts_speed;
      o.timeout = p.tts_timeout;
      auto tts = std::make_shared<providers::YandexTts>(o, logger);
      set->synthesizers_[name] = tts;
      set->call_views_[name] = [tts](const log::Logger& call_logger) { return tts->for_call(call_logger); };
    } else if (name == "flite") {
      set->synthesizers_[name] = make_threaded_synthesizer(*set->tts_pool_, std::make_shared<providers::FliteTts>());
    } else if (name == "espeak-ng") {
      set->synthesizers_[name] = make_threaded_synthesizer(*set->tts_pool_, std::make_shared<providers::EspeakTts>());
    } else {
      auto tts = build_registered<std::shared_ptr<voice::SpeechSynthesizer>>(providers::find_tts(name), name, config, net,
                                                                            *set->pool_, *set->tts_pool_, logger);
      if (!tts) return tl::unexpected(tts.error());
      if (*tts) {
        set->synthesizers_[name] = std::move(**tts);
      } else {
        set->skipped_.push_back("tts " + name);
      }
    }
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
