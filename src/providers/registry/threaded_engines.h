// The embedded (offline) engines of src/providers — pocketsphinx, flite, espeak-ng — behind the
// voice pipeline's asynchronous interfaces. The engines block for milliseconds of CPU per frame
// or sentence, so they run on a small shared worker pool (never the call's loop): a call's
// recogniser works through its frames in order on a strand of that pool, and results come back
// through the callbacks (the pipeline posts them to the call's loop). Their factories use the
// pools of ProviderContext (provider_factories.h).
#pragma once

#include <memory>

#include <boost/asio/thread_pool.hpp>

#include "providers/speech/speech_interfaces.h"
#include "providers/stt/stt_provider.h"
#include "providers/tts/tts_provider.h"

namespace parley::providers {

// Per call: one utterance at a time on an engine stream (re-opened after cancel()).
std::unique_ptr<SpeechRecognizer> make_threaded_recognizer(boost::asio::thread_pool& pool,
                                                           std::shared_ptr<SttProvider> engine, std::string language);

// Shared: each sentence is synthesised on the pool and handed over whole.
std::shared_ptr<SpeechSynthesizer> make_threaded_synthesizer(boost::asio::thread_pool& pool,
                                                             std::shared_ptr<TtsProvider> engine);

}  // namespace parley::providers
