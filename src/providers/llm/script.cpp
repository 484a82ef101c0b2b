#include "providers/llm/script.h"

#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace parley::providers {

std::string default_script_yaml();  // default_script.cpp, generated from default_script.yaml

std::string_view to_string(ScriptAction a) {
  switch (a) {
    case ScriptAction::kNone: return "none";
    case ScriptAction::kEndCall: return "end_call";
    case ScriptAction::kTransferCall: return "transfer_call";
  }
  return "unknown";
}

namespace {

// Decodes one UTF-8 code point at s[i]; returns its length (0 on invalid input).
size_t decode(std::string_view s, size_t i, char32_t& cp) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c >> 6) != 2) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  return len;
}

void encode(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Letters we fold: ASCII, Latin-1/Extended-A letters and Cyrillic.
bool is_word_char(char32_t cp) {
  if (cp < 0x80) return std::isalnum(static_cast<int>(cp)) || cp == '\'';
  return (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) || (cp >= 0x400 && cp <= 0x4FF) ||
         cp == 0x2019;  // ’ as an apostrophe
}

char32_t fold(char32_t cp) {
  if (cp < 0x80) return static_cast<char32_t>(std::tolower(static_cast<int>(cp)));
  if (cp == 0x2019) return '\'';
  if (cp >= 0x410 && cp <= 0x42F) cp += 0x20;           // А-Я
  else if (cp >= 0x400 && cp <= 0x40F) cp += 0x50;      // Ѐ-Џ
  else if (cp >= 0xC0 && cp <= 0xDE) cp += 0x20;        // À-Þ
  if (cp == 0x451) cp = 0x435;                          // ё -> е: spelled either way
  return cp;
}

struct ParseError {
  std::string message;
};

std::string where(const YAML::Node& n, std::string_view source) {
  auto m = n.Mark();
  if (m.line < 0) return std::string(source);
  return std::string(source) + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

std::map<std::string, std::string> text_map(const YAML::Node& n, std::string_view key, std::string_view source) {
  std::map<std::string, std::string> out;
  if (!n) return out;
  if (!n.IsMap()) throw ParseError{where(n, source) + ": '" + std::string(key) + "' must map languages to text, e.g. {en: \"...\"}"};
  for (const auto& kv : n) {
    if (!kv.second.IsScalar() || kv.second.as<std::string>().empty()) {
      throw ParseError{where(kv.second, source) + ": '" + std::string(key) + "." + kv.first.as<std::string>() +
                       "' must be non-empty text"};
    }
    out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return out;
}

ScriptIntent parse_intent(const YAML::Node& n, std::string_view source) {
  if (!n.IsMap()) throw ParseError{where(n, source) + ": each intent must be a map with name, phrases, answer"};
  ScriptIntent intent;
  if (!n["name"] || !n["name"].IsScalar() || n["name"].as<std::string>().empty()) {
    throw ParseError{where(n, source) + ": an intent has no name"};
  }
  intent.name = n["name"].as<std::string>();
  std::string ctx = "intent '" + intent.name + "'";
  for (const auto& kv : n) {
    auto key = kv.first.as<std::string>();
    if (key != "name" && key != "phrases" && key != "answer" && key != "dtmf" && key != "action") {
      throw ParseError{where(kv.first, source) + ": " + ctx + ": unknown key '" + key +
                       "' (known: name, phrases, answer, dtmf, action)"};
    }
  }
  if (auto p = n["phrases"]) {
    if (!p.IsMap()) throw ParseError{where(p, source) + ": " + ctx + ": phrases must map languages to lists"};
    for (const auto& kv : p) {
      auto lang = kv.first.as<std::string>();
      if (!kv.second.IsSequence()) throw ParseError{where(kv.second, source) + ": " + ctx + ": phrases." + lang + " must be a list"};
      for (const auto& ph : kv.second) {
        auto words = normalize_words(ph.IsScalar() ? ph.as<std::string>() : std::string());
        // Keep a trailing '*' (prefix match): normalize_words drops it, so re-read the raw text.
        if (ph.IsScalar() && !words.empty() && !ph.as<std::string>().empty() && ph.as<std::string>().back() == '*') {
          words.back() += '*';
        }
        if (words.empty()) throw ParseError{where(ph, source) + ": " + ctx + ": an empty phrase in phrases." + lang};
        intent.phrases[lang].push_back(std::move(words));
      }
    }
  }
  intent.answer = text_map(n["answer"], ctx + ".answer", source);
  if (auto d = n["dtmf"]) {
    auto s = d.IsScalar() ? d.as<std::string>() : std::string();
    if (s.size() != 1 || std::string_view("0123456789*#").find(s[0]) == std::string_view::npos) {
      throw ParseError{where(d, source) + ": " + ctx + ": dtmf must be one keypad key 0-9, * or #"};
    }
    intent.dtmf = s[0];
  }
  if (auto a = n["action"]) {
    auto s = a.IsScalar() ? a.as<std::string>() : std::string();
    if (s == "end_call") intent.action = ScriptAction::kEndCall;
    else if (s == "transfer_call") intent.action = ScriptAction::kTransferCall;
    else if (s != "none") throw ParseError{where(a, source) + ": " + ctx + ": action '" + s + "' is unknown (use end_call or transfer_call)"};
  }
  if (intent.answer.empty()) throw ParseError{where(n, source) + ": " + ctx + " has no answer"};
  if (intent.phrases.empty() && !intent.dtmf) {
    throw ParseError{where(n, source) + ": " + ctx + " can never match: give it phrases or a dtmf key"};
  }
  return intent;
}

}  // namespace

bool word_matches(std::string_view pattern, std::string_view word) {
  if (!pattern.empty() && pattern.back() == '*') {
    return word.compare(0, pattern.size() - 1, pattern.substr(0, pattern.size() - 1)) == 0;
  }
  return pattern == word;
}

std::vector<std::string> normalize_words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp = 0;
    size_t len = decode(text, i, cp);
    if (len == 0) {
      len = 1;
      cp = 0xFFFD;
    }
    if (is_word_char(cp)) {
      encode(fold(cp), cur);
    } else if (!cur.empty()) {
      words.push_back(std::move(cur));
      cur.clear();
    }
    i += len;
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  // Apostrophes at the edges are quotes, not part of the word.
  for (auto& w : words) {
    while (!w.empty() && w.back() == '\'') w.pop_back();
    while (!w.empty() && w.front() == '\'') w.erase(0, 1);
  }
  std::erase_if(words, [](const std::string& w) { return w.empty(); });
  return words;
}

Result<Script> Script::parse(std::string_view yaml, std::string_view source) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (!root.IsMap()) return make_error(ErrorCode::kInvalidArgument, std::string(source) + ": a script is a map with default and intents");
    Script s;
    for (const auto& kv : root) {
      auto key = kv.first.as<std::string>();
      if (key != "default" && key != "repeat" && key != "intents") {
        throw ParseError{where(kv.first, source) + ": unknown key '" + key + "' (known: default, repeat, intents)"};
      }
    }
    s.default_ = text_map(root["default"], "default", source);
    if (s.default_.empty()) throw ParseError{std::string(source) + ": 'default' (the answer when nothing matches) is missing"};
    s.repeat_ = text_map(root["repeat"], "repeat", source);
    auto intents = root["intents"];
    if (!intents || !intents.IsSequence() || intents.size() == 0) {
      throw ParseError{std::string(source) + ": 'intents' must be a non-empty list"};
    }
    std::set<std::string> names;
    std::set<char> digits;
    for (const auto& n : intents) {
      auto intent = parse_intent(n, source);
      if (!names.insert(intent.name).second) throw ParseError{where(n, source) + ": intent '" + intent.name + "' is defined twice"};
      if (intent.dtmf && !digits.insert(*intent.dtmf).second) {
        throw ParseError{where(n, source) + ": dtmf key '" + std::string(1, *intent.dtmf) + "' is used by two intents"};
      }
      s.intents_.push_back(std::move(intent));
    }
    return s;
  } catch (const ParseError& e) {
    return make_error(ErrorCode::kInvalidArgument, e.message);
  } catch (const YAML::Exception& e) {
    std::string msg = std::string(source);
    if (e.mark.line >= 0) msg += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    return make_error(ErrorCode::kInvalidArgument, msg + ": " + e.msg);
  }
}

Result<Script> Script::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, path + ": cannot open the script file (check providers.script)");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

std::string_view Script::embedded_text() {
  static const std::string text = default_script_yaml();
  return text;
}

const Script& Script::embedded() {
  // The embedded script is tested; failing to parse it is a build defect, so crash loudly.
  static const Script s = [] {
    auto r = parse(embedded_text(), "embedded script");
    if (!r) std::abort();
    return std::move(*r);
  }();
  return s;
}

std::string Script::pick(const std::map<std::string, std::string>& m, std::string_view language) {
  if (auto it = m.find(std::string(language)); it != m.end()) return it->second;
  if (auto it = m.find("en"); it != m.end()) return it->second;
  return m.empty() ? std::string() : m.begin()->second;
}

ScriptMatch Script::result(const ScriptIntent* intent, int score, std::string_view language) const {
  ScriptMatch m;
  m.intent = intent;
  m.score = score;
  m.answer = intent ? pick(intent->answer, language) : default_answer(language);
  m.action = intent ? intent->action : ScriptAction::kNone;
  return m;
}

ScriptMatch Script::match(std::string_view text, std::string_view language) const {
  auto words = normalize_words(text);
  const ScriptIntent* best = nullptr;
  int best_score = 0;
  for (const auto& intent : intents_) {
    int score = 0;
    // Phrases of the caller's language first; all languages count (callers mix them).
    for (const auto& [lang, phrases] : intent.phrases) {
      for (const auto& phrase : phrases) {
        for (size_t i = 0; i + phrase.size() <= words.size(); ++i) {
          bool ok = true;
          for (size_t k = 0; k < phrase.size() && ok; ++k) ok = word_matches(phrase[k], words[i + k]);
          if (ok) {
            // A longer phrase is stronger evidence; the caller's language breaks ties.
            score += static_cast<int>(phrase.size()) * 2 + (lang == language ? 1 : 0);
            break;
          }
        }
      }
    }
    if (score > best_score) {
      best = &intent;
      best_score = score;
    }
  }
  return result(best, best_score, language);
}

ScriptMatch Script::match_digit(char digit, std::string_view language) const {
  for (const auto& intent : intents_) {
    if (intent.dtmf == digit) return result(&intent, 1, language);
  }
  return result(nullptr, 0, language);
}

}  // namespace parley::providers
