#include "voice/sentence_splitter.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace parley::voice {

namespace {

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Sentence terminators: ASCII . ! ? and the ellipsis U+2026 (E2 80 A6). Returns the byte length.
size_t terminator_at(std::string_view s, size_t i) {
  if (s[i] == '.' || s[i] == '!' || s[i] == '?') return 1;
  if (s.compare(i, 3, "\xE2\x80\xA6") == 0) return 3;
  return 0;
}

// Closing quotes and brackets that stay with the sentence: " ' ) ] » ” ’
size_t closer_at(std::string_view s, size_t i) {
  if (s[i] == '"' || s[i] == '\'' || s[i] == ')' || s[i] == ']') return 1;
  if (s.compare(i, 2, "\xC2\xBB") == 0) return 2;
  if (s.compare(i, 3, "\xE2\x80\x9D") == 0 || s.compare(i, 3, "\xE2\x80\x99") == 0) return 3;
  return 0;
}

// Clause separators for the first sentence: , ; : and the em dash U+2014 (E2 80 94) when spaced.
size_t clause_at(std::string_view s, size_t i) {
  if (s[i] == ',' || s[i] == ';' || s[i] == ':') return 1;
  if (s.compare(i, 3, "\xE2\x80\x94") == 0) return 3;
  return 0;
}

bool starts_lowercase(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c >= 'a' && c <= 'z') return true;
  if (i + 1 >= s.size()) return false;
  auto d = static_cast<unsigned char>(s[i + 1]);
  // Cyrillic а-п (D0 B0-BF), р-я (D1 80-8F), ё (D1 91)
  return (c == 0xD0 && d >= 0xB0 && d <= 0xBF) || (c == 0xD1 && ((d >= 0x80 && d <= 0x8F) || d == 0x91));
}

// The word just before position `dot` (letters and inner dots), lower-cased ASCII, Cyrillic kept.
std::string word_before(std::string_view s, size_t dot) {
  size_t b = dot;
  while (b > 0 && !is_space(static_cast<unsigned char>(s[b - 1])) && s[b - 1] != '(' && s[b - 1] != '"') --b;
  std::string w(s.substr(b, dot - b));
  for (auto& ch : w) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return w;
}

bool is_abbreviation(const std::string& w) {
  static const std::array<std::string_view, 38> kAbbrev = {
      "mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "jr", "sr", "no", "approx", "inc", "ltd",
      "co", "mt", "ave", "apt", "dept", "fig", "est", "min", "max", "a.m", "p.m",
      // Russian (UTF-8): т.е т.д т.п г ул д им др см стр
      "\xD1\x82.\xD0\xB5", "\xD1\x82.\xD0\xB4", "\xD1\x82.\xD0\xBF", "\xD0\xB3", "\xD1\x83\xD0\xBB", "\xD0\xB4",
      "\xD0\xB8\xD0\xBC", "\xD0\xB4\xD1\x80", "\xD1\x81\xD0\xBC", "\xD1\x81\xD1\x82\xD1\x80",
      "\xD1\x80\xD1\x83\xD0\xB1"};
  if (std::find(kAbbrev.begin(), kAbbrev.end(), w) != kAbbrev.end()) return true;
  // A single capital letter is an initial ("J. Smith"); lower-cased above, so any 1 ASCII letter.
  return w.size() == 1 && std::isalpha(static_cast<unsigned char>(w[0]));
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && is_space(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

int count_words(std::string_view s) {
  int n = 0;
  bool in = false;
  for (char ch : s) {
    bool sp = is_space(static_cast<unsigned char>(ch));
    if (!sp && !in) ++n;
    in = !sp;
  }
  return n;
}

}  // namespace

bool SentenceSplitter::emit_from(size_t end, std::vector<std::string>& out) {
  std::string sentence = trim(std::string_view(buffer_).substr(0, end));
  if (sentence.size() < options_.min_sentence_chars) return false;
  out.push_back(std::move(sentence));
  buffer_.erase(0, end);
  scan_ = 0;
  emitted_ = true;
  return true;
}

std::vector<std::string> SentenceSplitter::push(std::string_view delta) {
  std::vector<std::string> out;
  buffer_.append(delta);
  std::string_view s = buffer_;
  size_t i = scan_;
  while (i < buffer_.size()) {
    s = buffer_;
    // A character split across deltas: wait for the rest of it (it may be an ellipsis or a quote).
    auto lead = static_cast<unsigned char>(s[i]);
    size_t char_len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (i + char_len > s.size()) break;
    size_t t = terminator_at(s, i);
    size_t clause = (t == 0 && !emitted_ && options_.first_clause_words > 0) ? clause_at(s, i) : 0;
    bool newline = s[i] == '\n';
    if (t == 0 && clause == 0 && !newline) {
      ++i;
      continue;
    }
    // The end of the punctuation run (?!, ..., closing quotes).
    size_t end = i + std::max<size_t>({t, clause, size_t{1}});
    if (t) {
      while (end < s.size()) {
        size_t more = terminator_at(s, end);
        if (!more) more = closer_at(s, end);
        if (!more) break;
        end += more;
      }
    }
    // Decide only once the next word has begun; until then resume here on the next push.
    size_t next = end;
    while (next < s.size() && is_space(static_cast<unsigned char>(s[next]))) ++next;
    if (next >= s.size()) {
      scan_ = i;
      return out;
    }
    bool spaced = next > end || newline;
    bool boundary = false;
    if (spaced && !starts_lowercase(s, next)) {
      if (t) {
        boundary = !(s[i] == '.' && t == 1 && end == i + 1 && is_abbreviation(word_before(s, i)));
      } else if (newline) {
        boundary = true;
      }
    }
    if (clause && spaced && count_words(s.substr(0, i)) >= options_.first_clause_words) boundary = true;
    if (boundary && emit_from(end, out)) {
      i = 0;
      continue;
    }
    i = end;
  }
  scan_ = i;
  return out;
}

std::optional<std::string> SentenceSplitter::flush() {
  std::string rest = trim(buffer_);
  reset();
  if (rest.empty()) return std::nullopt;
  return rest;
}

void SentenceSplitter::reset() {
  buffer_.clear();
  scan_ = 0;
  emitted_ = false;
}

}  // namespace parley::voice
