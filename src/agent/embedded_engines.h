// The embedded (offline) engines of src/providers — WebRTC VAD, pocketsphinx, flite, espeak-ng —
// behind the voice pipeline's asynchronous interfaces. The engines block for milliseconds of
// CPU per frame or sentence, so they run on a small shared worker pool (never the call's loop):
// a call's recogniser works through its frames in order on a strand of that pool, and results
// come back through the callbacks (the pipeline posts them to the call's loop).
#pragma once

#include <memory>

#include <boost/asio/thread_pool.hpp>

#include "providers/stt/stt_provider.h"
#include "providers/tts/tts_provider.h"
#include "voice/speech_interfaces.h"

namespace parley::agent {

// Per call: one utterance at a time on an engine stream (re-opened after cancel()).
std::unique_ptr<voice::SpeechRecognizer> make_threaded_recognizer(boost::asio::thread_pool& pool,
                                                                  std::shared_ptr<providers::SttProvider> engine,
                                                                  std::string language);

// Shared: each sentence is synthesised on the pool and handed over whole.
std::shared_ptr<voice::SpeechSynthesizer> make_threaded_synthesizer(boost::asio::thread_pool& pool,
                                                                    std::shared_ptr<providers::TtsProvider> engine);

// Per call: the WebRTC VAD's decision on 10/20/30 ms frames at 8/16/32/48 kHz; frames it cannot
// judge (other sizes) fall back to a level-based decision.
std::unique_ptr<voice::VoiceActivityDetector> make_webrtc_vad(int mode);

}  // namespace parley::agent
