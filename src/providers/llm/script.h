// The scripted dialogue: the embedded default "LLM" and the fallback when a network LLM fails.
// A YAML file lists intents; each has phrases per language (words or word sequences; a trailing
// '*' matches any word ending, for inflected languages such as Russian), an answer per language,
// an optional action (end_call, transfer_call) and an optional keypad digit. The caller's words
// are matched against every intent's phrases; the intent whose matched phrases cover the most
// words wins (ties: the earlier intent); nothing matched gives the default answer.
//
// The file format (see default_script.yaml, the embedded one):
//   default: {en: "...", ru: "..."}
//   repeat:  {en: "...", ru: "..."}        # said when speech was not understood (optional)
//   intents:
//     - name: hours
//       phrases: {en: [opening hours, open], ru: [открыт*]}
//       answer: {en: "...", ru: "..."}
//       dtmf: "1"
//       action: end_call | transfer_call  # optional
//
// Immutable after parsing; thread-safe to share.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace parley::providers {

enum class ScriptAction { kNone, kEndCall, kTransferCall };
std::string_view to_string(ScriptAction a);

struct ScriptIntent {
  std::string name;
  std::map<std::string, std::vector<std::vector<std::string>>> phrases;  // language -> phrases -> words
  std::map<std::string, std::string> answer;                             // language -> text
  std::optional<char> dtmf;
  ScriptAction action = ScriptAction::kNone;
};

struct ScriptMatch {
  const ScriptIntent* intent = nullptr;  // nullptr: the default answer
  std::string answer;
  ScriptAction action = ScriptAction::kNone;
  int score = 0;
};

class Script {
 public:
  // Parses and validates the YAML text; `source` names it in errors ("script.yaml").
  static Result<Script> parse(std::string_view yaml, std::string_view source);
  static Result<Script> load_file(const std::string& path);
  // The embedded default script (a small business line).
  static const Script& embedded();
  static std::string_view embedded_text();

  ScriptMatch match(std::string_view text, std::string_view language) const;
  ScriptMatch match_digit(char digit, std::string_view language) const;
  // A line in the language, falling back to English, then to any.
  std::string default_answer(std::string_view language) const { return pick(default_, language); }
  std::string repeat_prompt(std::string_view language) const { return pick(repeat_, language); }
  const std::vector<ScriptIntent>& intents() const { return intents_; }

 private:
  static std::string pick(const std::map<std::string, std::string>& m, std::string_view language);
  ScriptMatch result(const ScriptIntent* intent, int score, std::string_view language) const;

  std::map<std::string, std::string> default_;
  std::map<std::string, std::string> repeat_;
  std::vector<ScriptIntent> intents_;
};

// Lower-cases ASCII and Cyrillic letters (ё as е) and splits into words of letters, digits and
// apostrophes; everything else separates words. Invalid UTF-8 bytes separate words too.
std::vector<std::string> normalize_words(std::string_view text);
// A phrase's word against a caller's normalised word: equal, or a prefix when it ends in '*'.
bool word_matches(std::string_view pattern, std::string_view word);

}  // namespace parley::providers
