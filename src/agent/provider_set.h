// The speech and language engines named in config.providers and in the lines' own chains
// (agent.numbers / agent.trunks), each built once per process and shared by every call: per
// call it hands out what holds call state (a recogniser, a VAD, the LLM fallback chain on the
// call's loop). A call uses the default chains (providers.stt / llm / tts) or its line's; each
// chain keeps its configured order; the scripted dialogue always ends the LLM chain, so an LLM
// failure is answered by the script.
//
// Per-call engines log with the call's logger (call_id, room): the recogniser is built with it,
// and a shared synthesiser that logs (yandex) is handed out as a per-call view of itself.
//
// Each engine is built by the factory its provider registered under that name for the role
// (providers/registry/provider_factories.h); ProviderSet knows no provider by name but the
// script. Engines unknown or unusable here (a missing model) are skipped with a warning at
// creation, so a chain like [pocketsphinx, openai] still works on openai. Thread-safe after
// create().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/config.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "providers/llm/fallback_llm.h"
#include "providers/llm/llm_provider.h"
#include "providers/llm/script_llm.h"
#include "voice/speech_interfaces.h"

namespace parley::agent {

class ProviderSet {
 public:
  // `net`: the io_context network providers run on (an AsioLoop's).
  static Result<std::shared_ptr<ProviderSet>> create(const Config& config, boost::asio::io_context& net,
                                                     log::Logger logger = log::root());

  // A chain of engine names; empty = the default chain of that role.
  using Chain = std::vector<std::string>;

  // Per call.
  // `on_fallback`: each hand-over inside the chain (the call's observer marks it).
  std::unique_ptr<providers::LlmProvider> llm(EventLoop& call_loop, log::Logger logger, const Chain& chain = {},
                                              providers::FallbackLlm::OnFallback on_fallback = {}) const;
  std::unique_ptr<voice::SpeechRecognizer> recognizer(const std::string& language, const Chain& chain = {},
                                                      const log::Logger& logger = log::root()) const;
  std::unique_ptr<voice::VoiceActivityDetector> vad() const;
  // The synthesisers of the chain: shared engines, or a call's view of one (logging with `logger`).
  std::vector<std::shared_ptr<voice::SpeechSynthesizer>> tts(const Chain& chain = {},
                                                             const log::Logger& logger = log::root()) const;
  const providers::Script& script() const { return script_->script(); }

  // Extension points for engines built elsewhere (embedded engines, tests): each is added to
  // the default chain of its role, at its end, and can be named in a line's chain.
  using RecognizerFactory = std::function<std::unique_ptr<voice::SpeechRecognizer>(const std::string& language)>;
  using VadFactory = std::function<std::unique_ptr<voice::VoiceActivityDetector>()>;
  void add_recognizer(std::string name, RecognizerFactory factory);
  void add_synthesizer(std::shared_ptr<voice::SpeechSynthesizer> synthesizer);
  void add_llm(std::shared_ptr<providers::LlmProvider> llm);
  void set_vad(VadFactory factory) { vad_ = std::move(factory); }

  const std::vector<std::string>& skipped() const { return skipped_; }
  ~ProviderSet();

 private:
  ProviderSet() = default;
  // First members, destroyed last: joined in ~ProviderSet. Recognition and synthesis have a pool
  // each, so a sentence to speak never queues behind many callers' audio frames.
  std::unique_ptr<boost::asio::thread_pool> pool_;      // recognition (and decoder loading)
  std::unique_ptr<boost::asio::thread_pool> tts_pool_;  // synthesis
  std::shared_ptr<providers::ScriptLlm> script_;
  // Every engine built, by name; and the default chains (the LLM one without the script).
  std::map<std::string, std::shared_ptr<providers::LlmProvider>> llms_;
  using CallRecognizerFactory =
      std::function<std::unique_ptr<voice::SpeechRecognizer>(const std::string& language, const log::Logger& logger)>;
  using CallSynthesizerView = std::function<std::shared_ptr<voice::SpeechSynthesizer>(const log::Logger& logger)>;
  std::map<std::string, CallRecognizerFactory> recognizers_;
  std::map<std::string, std::shared_ptr<voice::SpeechSynthesizer>> synthesizers_;
  std::map<std::string, CallSynthesizerView> call_views_;  // by name: engines that log per call
  Chain default_stt_, default_llm_, default_tts_;
  VadFactory vad_;
  std::chrono::milliseconds llm_timeout_{5000};
  std::vector<std::string> skipped_;
};

}  // namespace parley::agent
