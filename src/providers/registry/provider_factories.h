// Provider factories by role and name: a provider registers how to build its engine from its
// config section (core/provider_section.h), and agent/provider_set builds the engines the
// configured chains name from here, with no list of providers of its own.
//
// Each provider registers both in one function, register_provider_<name>(), which
// parley_provider(<name> ...) in cmake/ParleyTargets.cmake puts into the binary's generated,
// explicit registration list (so the linker cannot drop it). Not thread-safe: register at
// start-up, before the configuration is loaded.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "providers/llm/llm_provider.h"
#include "providers/speech/speech_interfaces.h"

namespace parley::providers {

// What a factory builds from: built once per process, shared by every call.
struct ProviderContext {
  const Config& config;
  ProviderSettings settings;            // providers.<name>, as loaded
  boost::asio::io_context& net;         // where network engines run (an AsioLoop's)
  boost::asio::thread_pool& stt_pool;   // for engines that block while recognising
  boost::asio::thread_pool& tts_pool;   // for engines that block while synthesising
  log::Logger logger;
};

// Per call: a recogniser for the language (nullptr: this engine cannot recognise it), logging
// with the call's logger.
using RecognizerMaker =
    std::function<std::unique_ptr<SpeechRecognizer>(const std::string& language, const log::Logger& logger)>;

// A synthesiser shared by every call, and for one that logs, a call's view of it (logging with
// the call's logger).
struct Synthesizer {
  std::shared_ptr<SpeechSynthesizer> shared;
  std::function<std::shared_ptr<SpeechSynthesizer>(const log::Logger& logger)> for_call;
};

// An error stops the start (the configuration cannot work). An empty engine (no maker, no
// synthesiser, no LLM) means the engine is not usable on this machine, e.g. a model is missing:
// the factory has logged why, and the rest of the chain is used.
using SttFactory = std::function<Result<RecognizerMaker>(const ProviderContext& context)>;
using TtsFactory = std::function<Result<Synthesizer>(const ProviderContext& context)>;
using LlmFactory = std::function<Result<std::shared_ptr<LlmProvider>>(const ProviderContext& context)>;

void register_stt(std::string name, SttFactory factory);
void register_tts(std::string name, TtsFactory factory);
void register_llm(std::string name, LlmFactory factory);

// nullptr when no provider of that name registered for the role.
const SttFactory* find_stt(const std::string& name);
const TtsFactory* find_tts(const std::string& name);
const LlmFactory* find_llm(const std::string& name);

}  // namespace parley::providers

namespace parley {

// Registers every provider below src/: generated from their parley_provider lines into the
// agent's library (CMakeLists.txt). It runs before main() in every binary that links
// agent::ProviderSet, whose call of it keeps it linked (so a provider's own config section is
// known when parley loads its configuration).
void register_builtin_providers();

}  // namespace parley
