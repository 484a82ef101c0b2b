// Cuts an LLM's streamed text into sentences for TTS, so the first sentence can be spoken while
// the rest is still being written. English and Russian punctuation (. ! ? … and their runs,
// closing quotes and brackets after them); no cut inside numbers (3.5, 1,000), after common
// abbreviations (Mr., Dr., e.g., т.е., ул.) or initials, or before a lower-case word. A boundary
// is decided only once the next word has begun, so a delta ending in "3." never cuts too early.
// Sentences shorter than min_sentence_chars merge with the next (TTS prosody is better and one
// request cheaper). For latency, the first sentence of a reply may end at a comma (or ; : —)
// once it has first_clause_words words.
// Not thread-safe: one reply on one loop.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::voice {

struct SentenceSplitterOptions {
  size_t min_sentence_chars = 20;
  int first_clause_words = 8;  // 0: never cut the first sentence at a comma
};

class SentenceSplitter {
 public:
  explicit SentenceSplitter(SentenceSplitterOptions options = {}) : options_(options) {}

  // Appends a delta; returns the sentences it completed, trimmed, in order.
  std::vector<std::string> push(std::string_view delta);
  // The rest of the text as the last sentence (nullopt when only spaces remain); resets.
  std::optional<std::string> flush();
  void reset();

 private:
  bool emit_from(size_t end, std::vector<std::string>& out);

  SentenceSplitterOptions options_;
  std::string buffer_;
  size_t scan_ = 0;  // where the search for the next boundary resumes
  bool emitted_ = false;
};

}  // namespace parley::voice
