// The JSON text messages Deepgram's streaming speech-to-text WebSocket (GET /v1/listen) sends,
// reduced to what a recogniser needs. Field names as documented by Deepgram:
//  - Results: {"type":"Results", "channel_index":[0,1], "duration", "start", "is_final",
//    "speech_final", "from_finalize", "channel":{"alternatives":[{"transcript","confidence",
//    "words":[…]}]}, "metadata":{"request_id",…}}
//    (developers.deepgram.com/reference/speech-to-text/listen-streaming; the JS SDK's
//    LiveTranscriptionEvent type). is_final: this stretch of audio will not be revised;
//    speech_final: the endpointer saw a pause; from_finalize: the answer to a Finalize message
//    (developers.deepgram.com/docs/finalize).
//  - Metadata: {"type":"Metadata", "request_id", "sha256", "created", "duration", "channels"},
//    sent after CloseStream (developers.deepgram.com/docs/close-stream).
//  - UtteranceEnd: {"type":"UtteranceEnd", "channel":[0,1], "last_word_end"} (docs/utterance-end).
//  - SpeechStarted: {"type":"SpeechStarted", "channel":[0], "timestamp"} (with vad_events=true).
//  - Error: {"type":"Error", "description", "message", "variant"} (the Python SDK's ErrorResponse).
// Unknown types are accepted and ignored (the service may add some); a known type whose fields
// have the wrong shape is a protocol error, as is text that is not a JSON object.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace parley::providers {

enum class DeepgramMessageType { kResults, kMetadata, kUtteranceEnd, kSpeechStarted, kError, kOther };

struct DeepgramMessage {
  DeepgramMessageType type = DeepgramMessageType::kOther;
  std::string type_name;   // as sent
  std::string transcript;  // Results: the first alternative's ("" when there is none)
  double confidence = 0;
  bool is_final = false;
  bool speech_final = false;
  bool from_finalize = false;
  std::string request_id;  // Results (metadata.request_id) or Metadata
  std::string error;       // Error: description and message, joined
};

// Parses one text frame. Errors are kProtocol and say what is wrong (quoting at most the
// first 120 characters of the frame).
Result<DeepgramMessage> parse_deepgram_message(std::string_view text);

}  // namespace parley::providers
