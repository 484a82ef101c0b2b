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

std::chrono::milliseconds endpointing_delay(std::string_view transcript, const EndpointingOptions& options) {
  return looks_incomplete(transcript) ? std::max(options.max_delay, options.min_delay) : options.min_delay;
}

}  // namespace parley::voice
