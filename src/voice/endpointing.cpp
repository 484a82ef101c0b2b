#include "voice/endpointing.h"

#include <algorithm>
#include <array>
#include <string>

#include "providers/llm/script.h"

namespace parley::voice {

bool looks_incomplete(std::string_view transcript) {
  size_t e = transcript.find_last_not_of(" \t\r\n");
  if (e == std::string_view::npos) return false;
  if (transcript[e] == ',') return true;
  if (transcript[e] == '.' || transcript[e] == '?' || transcript[e] == '!') return false;
  auto words = providers::normalize_words(transcript);
  if (words.empty()) return false;
  static const std::array<std::string_view, 56> kContinuations = {
      "and", "or", "but", "so", "because", "the", "a", "an", "to", "of", "for", "with", "my", "your", "our", "um",
      "uh", "er", "erm", "hmm", "like", "if", "about", "in", "on", "at", "from", "is", "are", "was", "what", "which",
      "that", "than", "then", "can", "could", "would", "i'm", "i",
      // Russian: и а но или что потому чтобы в на с к по мой моя ну эм
      "\xD0\xB8", "\xD0\xB0", "\xD0\xBD\xD0\xBE", "\xD0\xB8\xD0\xBB\xD0\xB8", "\xD1\x87\xD1\x82\xD0\xBE",
      "\xD0\xBF\xD0\xBE\xD1\x82\xD0\xBE\xD0\xBC\xD1\x83", "\xD1\x87\xD1\x82\xD0\xBE\xD0\xB1\xD1\x8B", "\xD0\xB2",
      "\xD0\xBD\xD0\xB0", "\xD1\x81", "\xD0\xBA", "\xD0\xBF\xD0\xBE", "\xD0\xBC\xD0\xBE\xD0\xB9",
      "\xD0\xBC\xD0\xBE\xD1\x8F", "\xD0\xBD\xD1\x83", "\xD1\x8D\xD0\xBC"};
  return std::find(kContinuations.begin(), kContinuations.end(), words.back()) != kContinuations.end();
}

bool ends_in_intent(std::string_view transcript, const providers::Script& script, std::string_view language) {
  auto words = providers::normalize_words(transcript);
  if (words.empty()) return false;
  auto match = script.match(transcript, language);
  if (!match.intent) return false;
  // Only the winning intent counts: the words' meaning is what the script would answer, and its
  // phrase at the very end says the caller has just named what they want.
  for (const auto& [lang, phrases] : match.intent->phrases) {
    for (const auto& phrase : phrases) {
      if (phrase.empty() || phrase.size() > words.size()) continue;
      size_t at = words.size() - phrase.size();
      bool ok = true;
      for (size_t k = 0; k < phrase.size() && ok; ++k) ok = providers::word_matches(phrase[k], words[at + k]);
      if (ok) return true;
    }
  }
  return false;
}

TurnShape turn_shape(std::string_view transcript, const EndpointingOptions& options) {
  if (looks_incomplete(transcript)) return TurnShape::kUnfinished;
  size_t e = transcript.find_last_not_of(" \t\r\n");
  if (e != std::string_view::npos && transcript[e] == '?') return TurnShape::kFinished;
  if (options.script && ends_in_intent(transcript, *options.script, options.language)) return TurnShape::kFinished;
  return TurnShape::kUnknown;
}

std::chrono::milliseconds endpointing_delay(std::string_view transcript, const EndpointingOptions& options) {
  switch (turn_shape(transcript, options)) {
    case TurnShape::kUnfinished: return std::max(options.max_delay, options.delay);
    case TurnShape::kFinished: return std::min(options.min_delay, options.delay);
    case TurnShape::kUnknown: break;
  }
  return options.delay;
}

}  // namespace parley::voice
