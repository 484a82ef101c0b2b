#include "core/config.h"

#include <algorithm>
#include <fstream>
#include <cctype>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/sha.h>
#include <yaml-cpp/yaml.h>

#include "core/phone_number.h"
#include "core/sip_config.h"
#include "core/tls_client.h"
#include "core/url.h"

extern char** environ;

namespace parley {

namespace {

// Walks one YAML mapping, converting known keys and remembering which keys it saw, so that
// unknown (misspelt) keys can be reported with the key they probably meant.
class Reader {
 public:
  Reader(YAML::Node node, std::string prefix, std::vector<ConfigIssue>& issues,
         const std::map<std::string, std::string>& env)
      : node_(std::move(node)), prefix_(std::move(prefix)), issues_(issues), env_(env) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) {
      error("", "must be a mapping of keys to values", "write it as 'key: value' lines indented below it");
      node_ = YAML::Node();
    }
  }

  ~Reader() { report_unknown(); }

  std::string key(const std::string& name) const { return prefix_.empty() ? name : prefix_ + "." + name; }

  void error(const std::string& name, std::string message, std::string fix) {
    issues_.push_back({name.empty() ? prefix_ : key(name), std::move(message), std::move(fix), false});
  }
  void warn(const std::string& name, std::string message, std::string fix) {
    issues_.push_back({key(name), std::move(message), std::move(fix), true});
  }

  YAML::Node child(const std::string& name) {
    known_.insert(name);
    if (!node_ || !node_.IsMap()) return YAML::Node();
    return node_[name];
  }

  Reader section(const std::string& name) { return Reader(child(name), key(name), issues_, env_); }
  // A mapping found under a key of a mapping this reader holds (e.g. one entry of agent.numbers).
  Reader entry(YAML::Node node, const std::string& dotted_key) { return Reader(std::move(node), dotted_key, issues_, env_); }

  // A scalar as text, with ${VAR} expanded. nullopt when absent.
  std::optional<std::string> scalar(const std::string& name, bool secret = false) {
    YAML::Node n = child(name);
    if (!n || n.IsNull()) return std::nullopt;
    if (!n.IsScalar()) {
      error(name, "must be a single value, not a list or mapping", "write it as '" + name + ": value'");
      return std::nullopt;
    }
    return expand(name, n.Scalar(), secret);
  }

  void string(const std::string& name, std::string& out, bool secret = false) {
    if (auto v = scalar(name, secret)) out = *v;
  }

  void duration(const std::string& name, Millis& out) {
    auto v = scalar(name);
    if (!v) return;
    auto d = parse_duration(*v);
    if (!d) {
      error(name, "'" + *v + "' is not a duration", "write a duration such as 30s, 500ms or 2m");
    } else if (d->count() < 0) {
      error(name, "'" + *v + "' is negative", "use a positive duration such as " + format_duration(out));
    } else {
      out = *d;
    }
  }

  template <class Int>
  void integer(const std::string& name, Int& out, long long min, long long max) {
    auto v = scalar(name);
    if (!v) return;
    try {
      size_t used = 0;
      long long x = std::stoll(*v, &used);
      if (used != v->size()) throw std::invalid_argument("trailing");
      if (x < min || x > max) {
        error(name, "'" + *v + "' is out of range", "use a whole number from " + std::to_string(min) + " to " + std::to_string(max));
        return;
      }
      out = static_cast<Int>(x);
    } catch (const std::exception&) {
      error(name, "'" + *v + "' is not a whole number", "write a whole number such as " + std::to_string(out));
    }
  }

  void number(const std::string& name, double& out, double min) {
    auto v = scalar(name);
    if (!v) return;
    try {
      size_t used = 0;
      double x = std::stod(*v, &used);
      if (used != v->size()) throw std::invalid_argument("trailing");
      if (!(x >= min)) {
        error(name, "'" + *v + "' is out of range", "use a number of at least " + std::to_string(min));
        return;
      }
      out = x;
    } catch (const std::exception&) {
      error(name, "'" + *v + "' is not a number", "write a number such as 10");
    }
  }

  void boolean(const std::string& name, bool& out) {
    auto v = scalar(name);
    if (!v) return;
    if (*v == "true" || *v == "yes" || *v == "on") out = true;
    else if (*v == "false" || *v == "no" || *v == "off") out = false;
    else error(name, "'" + *v + "' is not true or false", "write true or false");
  }

  // A list of strings; a single scalar counts as a list of one.
  void list(const std::string& name, std::vector<std::string>& out) {
    YAML::Node n = child(name);
    if (!n || n.IsNull()) return;
    if (n.IsScalar()) {
      out = {expand(name, n.Scalar(), false)};
      return;
    }
    if (!n.IsSequence()) {
      error(name, "must be a list", "write it as [a, b] or as '- a' lines");
      return;
    }
    out.clear();
    for (const auto& item : n) {
      if (!item.IsScalar()) {
        error(name, "every entry must be a single value", "write it as [a, b]");
        return;
      }
      out.push_back(expand(name, item.Scalar(), false));
    }
  }

  void string_map(const std::string& name, std::map<std::string, std::string>& out, bool secret) {
    YAML::Node n = child(name);
    if (!n || n.IsNull()) return;
    if (!n.IsMap()) {
      error(name, "must be a mapping", "write it as 'name: value' lines indented below " + name);
      return;
    }
    out.clear();
    for (const auto& kv : n) {
      if (!kv.second.IsScalar()) {
        error(name + "." + kv.first.as<std::string>(), "must be a single value", "write 'name: value'");
        continue;
      }
      out[kv.first.as<std::string>()] = expand(name + "." + kv.first.as<std::string>(), kv.second.Scalar(), secret);
    }
  }

 private:
  // Replaces each ${NAME} with the environment variable NAME; an unset one is an error.
  std::string expand(const std::string& name, const std::string& text, bool secret) {
    std::string out;
    bool had_var = false;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t open = text.find("${", pos);
      size_t close = open == std::string::npos ? std::string::npos : text.find('}', open + 2);
      if (close == std::string::npos) {
        out += text.substr(pos);
        break;
      }
      std::string var_name = text.substr(open + 2, close - open - 2);
      bool valid = !var_name.empty() && !std::isdigit(static_cast<unsigned char>(var_name[0])) &&
                   std::all_of(var_name.begin(), var_name.end(),
                               [](unsigned char c) { return std::isalnum(c) || c == '_'; });
      out += text.substr(pos, open - pos);
      if (!valid) {
        out += text.substr(open, close + 1 - open);
      } else {
        had_var = true;
        auto found = env_.find(var_name);
        if (found == env_.end()) {
          error(name, "names the environment variable " + var_name + ", which is not set",
                "export " + var_name + " before starting parley, or change " + key(name));
        } else {
          out += found->second;
        }
      }
      pos = close + 1;
    }
    if (secret && !had_var && !text.empty()) {
      warn(name, "a secret is written into the configuration file",
           "keep secrets out of files: use the environment or ${VARIABLE}");
    }
    return out;
  }

  static size_t distance(const std::string& a, const std::string& b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  }

  void report_unknown() {
    if (!node_ || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      std::string name = kv.first.as<std::string>();
      if (known_.count(name)) continue;
      std::string best;
      size_t best_d = 3;
      for (const auto& k : known_) {
        size_t d = distance(name, k);
        if (d < best_d) best_d = d, best = k;
      }
      std::string fix = best.empty() ? "remove it; known keys here: " + join_known() : "did you mean '" + key(best) + "'?";
      error(name, "is not a configuration key", fix);
    }
  }

  std::string join_known() const {
    std::string out;
    for (const auto& k : known_) out += (out.empty() ? "" : ", ") + k;
    return out;
  }

  YAML::Node node_;
  std::string prefix_;
  std::vector<ConfigIssue>& issues_;
  const std::map<std::string, std::string>& env_;
  std::set<std::string> known_;
};

void set_dotted(YAML::Node root, const std::string& dotted, const std::string& value) {
  std::vector<std::string> parts;
  std::stringstream ss(dotted);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  // yaml-cpp nodes are handles: walk by reassigning to children.
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (!next.IsMap()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    }
    chain.push_back(next);
  }
  // "--set calls.room_patterns=[a-*,b-*]": a YAML flow list stays a list.
  if (value.size() >= 2 && value.front() == '[' && value.back() == ']') {
    try {
      YAML::Node list = YAML::Load(value);
      if (list.IsSequence()) {
        chain.back()[parts.back()] = list;
        return;
      }
    } catch (const YAML::Exception&) {
      // Not valid YAML: kept as the plain string, and the key's reader says what is wrong.
    }
  }
  chain.back()[parts.back()] = value;
}

void validate_ca_file(const std::string& key, const std::string& ca_file, std::vector<ConfigIssue>& issues) {
  if (auto problem = tls::check_ca_file(ca_file); !problem.empty()) {
    issues.push_back({key, problem, "name a PEM file (or a folder of them) holding the CA that signed the server's certificate"});
  }
}

void validate_chain(const std::string& key, const std::string& role, const std::vector<std::string>& chain,
                    std::vector<ConfigIssue>& issues) {
  const auto& known = known_providers(role);
  for (const auto& name : chain) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      issues.push_back({key, "'" + name + "' is not a known " + role + " provider",
                        "use one of: " + fmt::format("{}", fmt::join(known, ", "))});
    }
  }
}

void validate_lines(const std::string& key, const std::map<std::string, CallLineConfig>& lines,
                    std::vector<ConfigIssue>& issues) {
  for (const auto& [name, line] : lines) {
    const std::string k = key + "." + name;
    if (line.language.empty()) {
      issues.push_back({k + ".language", "is not set", "write the language calls on this line are held in, e.g. ru or en"});
    }
    validate_chain(k + ".stt", "stt", line.stt, issues);
    validate_chain(k + ".llm", "llm", line.llm, issues);
    validate_chain(k + ".tts", "tts", line.tts, issues);
  }
}

void validate_http_url(const std::string& key, const std::string& url, const std::string& example,
                       std::vector<ConfigIssue>& issues) {
  auto u = parse_url(url);
  if (!u || u->websocket()) issues.push_back({key, "'" + url + "' is not an http(s) URL", "write it as " + example});
}

void validate_providers(const ProvidersConfig& p, const AgentConfig& agent, std::vector<ConfigIssue>& issues) {
  validate_ca_file("providers.ca_file", p.ca_file, issues);
  for (const std::string role : {"stt", "llm", "tts"}) {
    const auto& chain = role == "stt" ? p.stt : role == "llm" ? p.llm : p.tts;
    const auto& known = known_providers(role);
    if (chain.empty()) {
      issues.push_back({"providers." + role, "names no provider", "name at least one of: " + fmt::format("{}", fmt::join(known, ", "))});
    }
    validate_chain("providers." + role, role, chain, issues);
  }
  validate_lines("agent.numbers", agent.numbers, issues);
  validate_lines("agent.trunks", agent.trunks, issues);
  // A provider is used when any chain names it: the default ones or a line's.
  auto uses = [&](const std::string& name) {
    auto in = [&](const std::vector<std::string>& chain) { return std::find(chain.begin(), chain.end(), name) != chain.end(); };
    if (in(p.stt) || in(p.llm) || in(p.tts)) return true;
    for (const auto* lines : {&agent.numbers, &agent.trunks}) {
      for (const auto& [n, line] : *lines) {
        if (in(line.stt) || in(line.llm) || in(line.tts)) return true;
      }
    }
    return false;
  };
  if (uses("openai")) {
    if (p.openai.api_key.empty() && p.openai.base_url.find("api.openai.com") != std::string::npos) {
      issues.push_back({"providers.openai.api_key", "is not set but an OpenAI provider is chosen",
                        "export OPENAI_API_KEY, or point providers.openai.base_url at a local server"});
    }
    auto u = parse_url(p.openai.base_url);
    if (!u || u->websocket()) {
      issues.push_back({"providers.openai.base_url", "'" + p.openai.base_url + "' is not an http(s) URL",
                        "write it as https://host/v1 or http://127.0.0.1:8000/v1"});
    }
  }
  if (uses("deepgram")) {
    auto u = parse_url(p.deepgram.url);
    if (!u || !u->websocket()) {
      issues.push_back({"providers.deepgram.url",
                        "'" + p.deepgram.url + "' is not a WebSocket URL; Deepgram streaming needs one",
                        "write it as wss://api.deepgram.com/v1/listen"});
    }
    if (p.deepgram.api_key.empty()) {
      issues.push_back({"providers.deepgram.api_key", "is not set but the deepgram STT is chosen", "export DEEPGRAM_API_KEY"});
    }
  }
  if (uses("yandexgpt")) {
    validate_http_url("providers.yandexgpt.base_url", p.yandexgpt.base_url, "https://llm.api.cloud.yandex.net/v1", issues);
    if (p.yandexgpt.auth != "bearer" && p.yandexgpt.auth != "api-key") {
      issues.push_back({"providers.yandexgpt.auth", "'" + p.yandexgpt.auth + "' is not bearer or api-key",
                        "bearer sends Authorization: Bearer <key> (Yandex's OpenAI-compatible form); api-key sends Api-Key <key>"});
    }
    if (p.yandex.folder_id.empty() && p.yandexgpt.model.rfind("gpt://", 0) != 0) {
      issues.push_back({"providers.yandex.folder_id", "is not set but yandexgpt needs it for the model URI",
                        "export YANDEX_FOLDER_ID, or write providers.yandexgpt.model as gpt://<folder>/yandexgpt/latest"});
    }
  }
  if (uses("gigachat")) {
    validate_http_url("providers.gigachat.base_url", p.gigachat.base_url, "https://gigachat.devices.sberbank.ru/api/v1", issues);
    validate_http_url("providers.gigachat.oauth_url", p.gigachat.oauth_url, "https://ngw.devices.sberbank.ru:9443/api/v2/oauth",
                      issues);
    validate_ca_file("providers.gigachat.ca_file", p.gigachat.ca_file, issues);
    if (p.gigachat.auth_key.empty()) {
      issues.push_back({"providers.gigachat.auth_key", "is not set but the gigachat LLM is chosen",
                        "export GIGACHAT_AUTH_KEY (the authorization key from Sber's developer portal: "
                        "base64 of client_id:client_secret)"});
    }
    if (p.gigachat.scope != "GIGACHAT_API_PERS" && p.gigachat.scope != "GIGACHAT_API_B2B" &&
        p.gigachat.scope != "GIGACHAT_API_CORP") {
      issues.push_back({"providers.gigachat.scope", "'" + p.gigachat.scope + "' is not a GigaChat scope",
                        "use GIGACHAT_API_PERS (individuals), GIGACHAT_API_B2B or GIGACHAT_API_CORP (businesses)"});
    }
  }
  if (uses("yandex") || uses("yandexgpt")) {
    // Yandex's API keys are about 40 characters and IAM tokens longer: a short one is a
    // placeholder or a truncated paste, refused here rather than at the first caller's turn.
    constexpr size_t kMinCredential = 20;
    const bool key = !p.yandex.api_key.empty();
    const std::string& credential = key ? p.yandex.api_key : p.yandex.iam_token;
    const std::string name = key ? "providers.yandex.api_key" : "providers.yandex.iam_token";
    if (credential.empty()) {
      issues.push_back({"providers.yandex.api_key", "is not set (nor iam_token) but a yandex provider (or yandexgpt) is chosen",
                        "export YANDEX_API_KEY (a service-account API key) or YANDEX_IAM_TOKEN"});
    } else if (credential.size() < kMinCredential) {
      issues.push_back({name, "is too short (" + std::to_string(credential.size()) + " characters) to be a real one",
                        "set the whole key or token (an API key is about 40 characters)"});
    }
    if (p.yandex.endpointing != "parley" && p.yandex.endpointing != "yandex") {
      issues.push_back({"providers.yandex.endpointing", "'" + p.yandex.endpointing + "' is not parley or yandex",
                        "parley: its own VAD pause ends a turn; yandex: Yandex's EOU classifier may end it sooner"});
    }
    if (p.yandex.tts_speed < 0.1 || p.yandex.tts_speed > 3.0) {
      issues.push_back({"providers.yandex.tts_speed", "is outside 0.1 … 3.0", "1.0 is the voice's normal speed"});
    }
    if (p.yandex.stt_endpoint.find(':') == std::string::npos) {
      issues.push_back({"providers.yandex.stt_endpoint", "'" + p.yandex.stt_endpoint + "' has no port",
                        "write it as host:port, e.g. stt.api.cloud.yandex.net:443"});
    }
  }
  // Providers with a section of their own check it themselves, in their own terms.
  for (const auto& section : provider_sections()) {
    if (!section.validate || !uses(section.name)) continue;
    for (auto issue : section.validate(p.section(section.name))) {
      issue.key = "providers." + section.name + (issue.key.empty() ? "" : "." + issue.key);
      issues.push_back(std::move(issue));
    }
  }
}

// providers.<name> of a registered provider: each declared key read as its kind says (absent
// keys keep their defaults), so the section's values are checked text from here on.
void read_provider_section(Reader& r, const ProviderSection& section, const ConfigSources& sources,
                           ProviderSettings& out) {
  out = ProviderSettings(section.name);
  for (const auto& k : section.keys) {
    switch (k.kind) {
      case ProviderKey::Kind::kString: {
        std::string v = k.default_value;
        // A literal secret is warned about only when it came from the file itself.
        const bool given_elsewhere = (!k.env.empty() && sources.env.count(k.env)) ||
                                     sources.overrides.count("providers." + section.name + "." + k.name);
        r.string(k.name, v, k.secret && !given_elsewhere);
        out.set(k.name, v);
        break;
      }
      case ProviderKey::Kind::kInteger: {
        long long v = 0;
        try {
          v = std::stoll(k.default_value);
        } catch (const std::exception&) {
        }
        r.integer(k.name, v, static_cast<long long>(k.min), static_cast<long long>(k.max));
        out.set(k.name, std::to_string(v));
        break;
      }
      case ProviderKey::Kind::kNumber: {
        double v = 0;
        try {
          v = std::stod(k.default_value);
        } catch (const std::exception&) {
        }
        r.number(k.name, v, k.min);
        out.set(k.name, fmt::format("{}", v));
        break;
      }
      case ProviderKey::Kind::kDuration: {
        Millis v = parse_duration(k.default_value).value_or(Millis(0));
        r.duration(k.name, v);
        out.set(k.name, format_duration(v));
        break;
      }
      case ProviderKey::Kind::kBoolean: {
        bool v = k.default_value == "true";
        r.boolean(k.name, v);
        out.set(k.name, v ? "true" : "false");
        break;
      }
    }
  }
}

void validate_livekit(const LiveKitConfig& lk, std::vector<ConfigIssue>& issues) {
  if (lk.url.empty()) {
    issues.push_back({"livekit.url", "is not set", "export LIVEKIT_URL=ws://127.0.0.1:7880 (or wss://your-project.livekit.cloud)"});
  } else if (auto u = parse_url(lk.url); !u) {
    issues.push_back({"livekit.url", u.error().message, "write it as ws://host:7880, wss://host, http://host:7880 or https://host"});
  } else if (u->scheme != "ws" && u->scheme != "wss" && u->scheme != "http" && u->scheme != "https") {
    issues.push_back({"livekit.url", "scheme '" + u->scheme + "' is not one LiveKit serves",
                      "use ws://, wss://, http:// or https://"});
  }
  if (auto u = parse_url(lk.url); u && u->plaintext_remote()) {
    issues.push_back({"livekit.url", "'" + lk.url + "' is plaintext to a remote host: tokens and the API travel unencrypted",
                      "use " + std::string(u->websocket() ? "wss://" : "https://") + u->host + " (TLS)", true});
  }
  if (lk.api_key.empty()) {
    issues.push_back({"livekit.api_key", "is not set", "export LIVEKIT_API_KEY (the dev server's key is devkey)"});
  }
  if (lk.api_secret.empty()) {
    issues.push_back({"livekit.api_secret", "is not set", "export LIVEKIT_API_SECRET (the dev server's secret is secret)"});
  }
  if (lk.request_timeout.count() == 0) {
    issues.push_back({"livekit.request_timeout", "is zero", "use a positive duration such as 30s"});
  }
  validate_ca_file("livekit.ca_file", lk.ca_file, issues);
}

// An HMAC secret that is empty or short is one anyone can compute or guess, so a webhook or token
// signed with it proves nothing: refused, except LiveKit's documented dev secret ("secret", what
// `livekit-server --dev` uses). An unset livekit.api_secret is reported by validate_livekit.
void validate_secret_strength(const std::string& name, const std::string& api_key, const std::string& secret,
                              std::vector<ConfigIssue>& issues) {
  constexpr size_t kMinSecret = 32;
  if (secret.empty()) {
    if (name == "livekit.api_secret") return;
    issues.push_back({name, "is empty, so anyone could sign webhooks for key " + api_key,
                      "set the key's real secret (an empty ${VARIABLE} expands to nothing), or remove the key"});
  } else if (secret.size() < kMinSecret && secret != "secret") {
    issues.push_back({name, "is shorter than " + std::to_string(kMinSecret) + " characters, so it can be guessed",
                      "generate a longer one (livekit-server generate-keys)"});
  }
}

// A turn's wait must be able to end (positive), and the three must be in order, or a finished
// turn would wait longer than an unclear one.
void validate_endpointing(const EndpointingConfig& e, std::vector<ConfigIssue>& issues) {
  if (e.min_delay <= Millis(0)) {
    issues.push_back({"voice.endpointing.min_delay", "must be positive", "use a duration such as 250ms"});
  }
  if (e.delay < e.min_delay) {
    issues.push_back({"voice.endpointing.delay",
                      format_duration(e.delay) + " is less than voice.endpointing.min_delay (" + format_duration(e.min_delay) + ")",
                      "make it at least min_delay (min_delay = delay turns the shorter wait off)"});
  }
  if (e.max_delay < e.delay) {
    issues.push_back({"voice.endpointing.max_delay",
                      format_duration(e.max_delay) + " is less than voice.endpointing.delay (" + format_duration(e.delay) + ")",
                      "make it at least delay, such as 3s"});
  }
  if (e.max_delay > Millis(10'000)) {
    issues.push_back({"voice.endpointing.max_delay", format_duration(e.max_delay) + " would leave the caller in silence",
                      "use at most 10s (3s is usual)"});
  }
}

void validate_listen(const std::string& key, const std::string& listen, std::vector<ConfigIssue>& issues) {
  auto colon = listen.rfind(':');
  bool ok = colon != std::string::npos && colon + 1 < listen.size();
  if (ok) {
    try {
      size_t used = 0;
      int port = std::stoi(listen.substr(colon + 1), &used);
      ok = used == listen.size() - colon - 1 && port >= 0 && port <= 65535;
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok) issues.push_back({key, "'" + listen + "' is not host:port", "write it as 127.0.0.1:8080 or 0.0.0.0:8080"});
}

void validate_console(const Config& c, std::vector<ConfigIssue>& issues) {
  const auto& k = c.console;
  if (k.path.empty() || k.path.front() != '/') {
    issues.push_back({"console.path", "'" + k.path + "' does not start with /", "write it as / or /console/"});
  }
  if (!k.enabled) return;
  validate_listen("console.listen", k.listen, issues);
  if (k.listen == c.webhook.listen || (!c.server.metrics_listen.empty() && k.listen == c.server.metrics_listen)) {
    issues.push_back({"console.listen", "is the same address as another listener",
                      "give the console an address of its own, such as 127.0.0.1:8090"});
  }
  // The token is the only thing between the page and the calls' words.
  constexpr size_t kMinToken = 16;
  if (k.token.size() < kMinToken) {
    issues.push_back({"console.token", k.token.empty() ? "is not set but console.enabled is true"
                                                       : "is shorter than " + std::to_string(kMinToken) + " characters",
                      "set PARLEY_CONSOLE_TOKEN to a long random value (openssl rand -hex 24)"});
  }
  if (!k.livekit_url.empty() && k.livekit_url.rfind("ws://", 0) != 0 && k.livekit_url.rfind("wss://", 0) != 0) {
    issues.push_back({"console.livekit_url", "'" + k.livekit_url + "' is not a ws:// or wss:// URL",
                      "write the address browsers use for LiveKit, such as wss://livekit.example.com"});
  }
}

}  // namespace

std::string ConfigIssue::to_string() const {
  std::string out = warning ? "warning: " : "error: ";
  if (!key.empty()) out += key + ": ";
  out += message;
  if (!fix.empty()) out += " (fix: " + fix + ")";
  return out;
}

bool ConfigLoad::ok() const {
  return std::none_of(issues.begin(), issues.end(), [](const ConfigIssue& i) { return !i.warning; });
}

std::vector<std::string> known_providers(const std::string& role) {
  static const std::vector<std::string> stt{"pocketsphinx", "openai", "deepgram", "yandex"};
  static const std::vector<std::string> llm{"script", "openai", "yandexgpt", "gigachat"};
  static const std::vector<std::string> tts{"flite", "espeak-ng", "openai", "yandex"};
  std::vector<std::string> out = role == "stt" ? stt : role == "llm" ? llm : role == "tts" ? tts : std::vector<std::string>{};
  for (const auto& section : provider_sections()) {
    if (std::find(section.roles.begin(), section.roles.end(), role) != section.roles.end() &&
        std::find(out.begin(), out.end(), section.name) == out.end()) {
      out.push_back(section.name);
    }
  }
  return out;
}

ProviderSettings ProvidersConfig::section(const std::string& name) const {
  if (auto it = sections.find(name); it != sections.end()) return it->second;
  return ProviderSettings(name);
}

std::map<std::string, std::string> process_env() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

// agent.numbers / agent.trunks: key -> {language, greeting, stt, llm, tts}. Numbers are
// rewritten to E.164, as LiveKit writes sip.trunkPhoneNumber.
void read_lines(Reader& r, const std::string& name, std::map<std::string, CallLineConfig>& out, bool numbers) {
  YAML::Node n = r.child(name);
  if (!n || n.IsNull()) return;
  if (!n.IsMap()) {
    r.error(name, "must be a mapping", numbers ? "write it as '\"+74951234567\": {language: ru}' lines indented below it"
                                               : "write it as 'ST_xxxx: {language: ru}' lines indented below it");
    return;
  }
  out.clear();
  for (const auto& kv : n) {
    std::string key = kv.first.as<std::string>();
    Reader l = r.entry(kv.second, r.key(name) + "." + key);
    if (numbers) {
      auto e164 = normalize_e164(key);
      if (!e164) {
        r.error(name + "." + key, "'" + key + "' is not a phone number: " + e164.error().message,
                "write the number as it is called, e.g. \"+74951234567\" or \"8 495 123-45-67\"");
        continue;
      }
      key = *e164;
    }
    CallLineConfig line;
    l.string("language", line.language);
    l.string("greeting", line.greeting);
    l.list("stt", line.stt);
    l.list("llm", line.llm);
    l.list("tts", line.tts);
    out[key] = std::move(line);
  }
}

ConfigLoad load_config(const ConfigSources& sources) {
  ConfigLoad result;
  auto& issues = result.issues;
  YAML::Node root;
  if (sources.file) {
    std::ifstream in(*sources.file);
    if (!in) {
      issues.push_back({"", "cannot read configuration file " + *sources.file, "check the path given with --config"});
      return result;
    }
    try {
      root = YAML::Load(in);
    } catch (const YAML::Exception& e) {
      issues.push_back({"", *sources.file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                                ": YAML syntax error: " + e.msg,
                        "correct the YAML at that line and column"});
      return result;
    }
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) {
      issues.push_back({"", *sources.file + " must be a YAML mapping (key: value lines)", "see parley.example.yaml"});
      return result;
    }
  } else {
    root = YAML::Node(YAML::NodeType::Map);
  }

  // The environment, as LiveKit's own tools read it, then flags; each wins over what came before.
  static const std::vector<std::pair<const char*, const char*>> env_keys{
      {"LIVEKIT_URL", "livekit.url"},          {"LIVEKIT_API_KEY", "livekit.api_key"},
      {"LIVEKIT_API_SECRET", "livekit.api_secret"}, {"OPENAI_API_KEY", "providers.openai.api_key"},
      {"OPENAI_BASE_URL", "providers.openai.base_url"}, {"DEEPGRAM_API_KEY", "providers.deepgram.api_key"},
      {"YANDEX_API_KEY", "providers.yandex.api_key"}, {"YANDEX_IAM_TOKEN", "providers.yandex.iam_token"},
      {"YANDEX_FOLDER_ID", "providers.yandex.folder_id"}, {"GIGACHAT_AUTH_KEY", "providers.gigachat.auth_key"},
      {"PARLEY_SIP_AUTH_PASSWORD", "sip.inbound_trunk.auth_password"},
      {"PARLEY_CONSOLE_TOKEN", "console.token"},
  };
  for (const auto& [var, key] : env_keys) {
    auto it = sources.env.find(var);
    if (it != sources.env.end() && !it->second.empty()) set_dotted(root, key, it->second);
  }
  for (const auto& section : provider_sections()) {
    for (const auto& k : section.keys) {
      auto it = k.env.empty() ? sources.env.end() : sources.env.find(k.env);
      if (it != sources.env.end() && !it->second.empty()) set_dotted(root, "providers." + section.name + "." + k.name, it->second);
    }
  }
  for (const auto& [key, value] : sources.overrides) set_dotted(root, key, value);

  Config& c = result.config;
  {
    Reader top(root, "", issues, sources.env);
    {
      Reader r = top.section("livekit");
      r.string("url", c.livekit.url);
      r.string("api_key", c.livekit.api_key);
      // A literal secret in the file is warned about only if it came from the file itself.
      bool from_env = sources.env.count("LIVEKIT_API_SECRET") || sources.overrides.count("livekit.api_secret");
      r.string("api_secret", c.livekit.api_secret, !from_env);
      r.duration("request_timeout", c.livekit.request_timeout);
      r.integer("retry_attempts", c.livekit.retry_attempts, 1, 20);
      r.integer("rejoin_attempts", c.livekit.rejoin_attempts, 1, 50);
      r.duration("health_check_interval", c.livekit.health_check_interval);
      r.string("ca_file", c.livekit.ca_file);
    }
    {
      Reader r = top.section("webhook");
      r.string("listen", c.webhook.listen);
      r.string("path", c.webhook.path);
      r.string_map("extra_keys", c.webhook.extra_keys, true);
      r.integer("max_body_bytes", c.webhook.max_body_bytes, 1024, 64LL << 20);
      r.number("rate_limit_per_second", c.webhook.rate_limit_per_second, 0.001);
      r.integer("rate_limit_burst", c.webhook.rate_limit_burst, 1, 1'000'000);
    }
    {
      Reader r = top.section("server");
      r.string("metrics_listen", c.server.metrics_listen);
      r.integer("max_connections", c.server.max_connections, 1, 1'000'000);
      r.integer("max_connections_per_address", c.server.max_connections_per_address, 1, 1'000'000);
      r.duration("request_timeout", c.server.request_timeout);
    }
    {
      Reader r = top.section("calls");
      r.integer("max_concurrent", c.calls.max_concurrent, 0, 100'000);
      r.duration("max_duration", c.calls.max_duration);
      r.duration("silence_timeout", c.calls.silence_timeout);
      r.duration("inactivity_timeout", c.calls.inactivity_timeout);
      r.duration("drain_timeout", c.calls.drain_timeout);
      r.duration("reconcile_interval", c.calls.reconcile_interval);
      r.list("room_patterns", c.calls.room_patterns);
      r.boolean("mask_numbers", c.calls.mask_numbers);
    }
    {
      Reader r = top.section("agent");
      r.string("identity", c.agent.identity);
      r.string("name", c.agent.name);
      r.string("agent_name", c.agent.agent_name);
      r.string("dispatch", c.agent.dispatch);
      r.duration("recovery_interval", c.agent.recovery_interval);
      r.string("worker_url", c.agent.worker_url);
      r.string("language", c.agent.language);
      r.string_map("greeting", c.agent.greeting, false);
      r.string("transfer_to", c.agent.transfer_to);
      read_lines(r, "numbers", c.agent.numbers, true);
      read_lines(r, "trunks", c.agent.trunks, false);
    }
    {
      Reader r = top.section("voice");
      {
        Reader e = r.section("endpointing");
        e.duration("min_delay", c.voice.endpointing.min_delay);
        e.duration("delay", c.voice.endpointing.delay);
        e.duration("max_delay", c.voice.endpointing.max_delay);
      }
      r.boolean("preemptive_generation", c.voice.preemptive_generation);
      r.duration("early_final", c.voice.early_final);
    }
    {
      Reader r = top.section("providers");
      r.list("stt", c.providers.stt);
      r.list("llm", c.providers.llm);
      r.list("tts", c.providers.tts);
      r.string("script", c.providers.script);
      r.duration("stt_timeout", c.providers.stt_timeout);
      r.duration("llm_timeout", c.providers.llm_timeout);
      r.duration("tts_timeout", c.providers.tts_timeout);
      r.string("ca_file", c.providers.ca_file);
      {
        Reader o = r.section("openai");
        o.string("base_url", c.providers.openai.base_url);
        bool from_env = sources.env.count("OPENAI_API_KEY") > 0;
        o.string("api_key", c.providers.openai.api_key, !from_env);
        o.string("llm_model", c.providers.openai.llm_model);
        o.string("stt_model", c.providers.openai.stt_model);
        o.string("tts_model", c.providers.openai.tts_model);
        o.string("tts_voice", c.providers.openai.tts_voice);
        o.string("system_prompt", c.providers.openai.system_prompt);
      }
      {
        Reader d = r.section("deepgram");
        d.string("url", c.providers.deepgram.url);
        bool from_env = sources.env.count("DEEPGRAM_API_KEY") > 0;
        d.string("api_key", c.providers.deepgram.api_key, !from_env);
        d.string("model", c.providers.deepgram.model);
      }
      {
        Reader y = r.section("yandex");
        y.string("stt_endpoint", c.providers.yandex.stt_endpoint);
        y.string("api_key", c.providers.yandex.api_key, sources.env.count("YANDEX_API_KEY") == 0);
        y.string("iam_token", c.providers.yandex.iam_token, sources.env.count("YANDEX_IAM_TOKEN") == 0);
        y.string("folder_id", c.providers.yandex.folder_id);
        y.string("stt_model", c.providers.yandex.stt_model);
        y.string("endpointing", c.providers.yandex.endpointing);
        y.string("tts_endpoint", c.providers.yandex.tts_endpoint);
        y.string("tts_voice", c.providers.yandex.tts_voice);
        y.string("tts_role", c.providers.yandex.tts_role);
        y.number("tts_speed", c.providers.yandex.tts_speed, 0.1);
        y.string("ca_file", c.providers.yandex.ca_file);
      }
      {
        Reader g = r.section("yandexgpt");
        g.string("base_url", c.providers.yandexgpt.base_url);
        g.string("model", c.providers.yandexgpt.model);
        g.string("auth", c.providers.yandexgpt.auth);
        g.string("system_prompt", c.providers.yandexgpt.system_prompt);
      }
      {
        Reader g = r.section("gigachat");
        g.string("base_url", c.providers.gigachat.base_url);
        g.string("oauth_url", c.providers.gigachat.oauth_url);
        g.string("auth_key", c.providers.gigachat.auth_key, sources.env.count("GIGACHAT_AUTH_KEY") == 0);
        g.string("scope", c.providers.gigachat.scope);
        g.string("model", c.providers.gigachat.model);
        g.string("ca_file", c.providers.gigachat.ca_file);
        g.string("system_prompt", c.providers.gigachat.system_prompt);
      }
      {
        Reader ps = r.section("pocketsphinx");
        ps.integer("max_decoders", c.providers.pocketsphinx.max_decoders, 1, 256);
        ps.integer("max_hmms_per_frame", c.providers.pocketsphinx.max_hmms_per_frame, 100, 1000000);
        ps.integer("max_words_per_frame", c.providers.pocketsphinx.max_words_per_frame, 0, 100000);
        ps.boolean("second_pass", c.providers.pocketsphinx.second_pass);
        ps.integer("second_pass_max_concurrent", c.providers.pocketsphinx.second_pass_max_concurrent, 0, 4096);
      }
      for (const auto& section : provider_sections()) {
        Reader s = r.section(section.name);
        read_provider_section(s, section, sources, c.providers.sections[section.name]);
      }
    }
    {
      Reader r = top.section("sip");
      {
        Reader t = r.section("inbound_trunk");
        t.string("name", c.sip.inbound_trunk.name);
        t.list("numbers", c.sip.inbound_trunk.numbers);
        t.list("allowed_addresses", c.sip.inbound_trunk.allowed_addresses);
        t.string("auth_username", c.sip.inbound_trunk.auth_username);
        bool from_env = sources.env.count("PARLEY_SIP_AUTH_PASSWORD") > 0;
        t.string("auth_password", c.sip.inbound_trunk.auth_password, !from_env);
      }
      {
        Reader d = r.section("dispatch_rule");
        d.string("name", c.sip.dispatch_rule.name);
        d.string("room_prefix", c.sip.dispatch_rule.room_prefix);
      }
    }
    {
      Reader r = top.section("console");
      r.boolean("enabled", c.console.enabled);
      r.string("listen", c.console.listen);
      r.string("path", c.console.path);
      r.string("token", c.console.token, sources.env.count("PARLEY_CONSOLE_TOKEN") == 0);
      r.string("livekit_url", c.console.livekit_url);
      r.string("assets", c.console.assets);
      r.integer("ended_calls", c.console.ended_calls, 1, 10'000);
      r.integer("playground_per_minute", c.console.playground_per_minute, 1, 1'000);
      r.integer("playground_rooms", c.console.playground_rooms, 1, 1'000);
    }
    {
      Reader r = top.section("diagnose");
      r.string("call_number", c.diagnose.call_number);
      r.string("call_from", c.diagnose.call_from);
      r.string("sip_address", c.diagnose.sip_address);
      r.string("call_username", c.diagnose.call_username);
      r.string("call_password", c.diagnose.call_password, !sources.overrides.count("diagnose.call_password"));
      r.duration("call_timeout", c.diagnose.call_timeout);
    }
    {
      Reader r = top.section("log");
      std::string level, format;
      r.string("level", level);
      r.string("format", format);
      if (!level.empty() && !log::parse_level(level, c.log.level)) {
        r.error("level", "'" + level + "' is not a log level", "use trace, debug, info, warn or error");
      }
      if (!format.empty() && !log::parse_format(format, c.log.format)) {
        r.error("format", "'" + format + "' is not a log format", "use text or json");
      }
    }
  }

  validate_livekit(c.livekit, issues);
  validate_listen("webhook.listen", c.webhook.listen, issues);
  if (!c.server.metrics_listen.empty()) {
    validate_listen("server.metrics_listen", c.server.metrics_listen, issues);
    if (c.server.metrics_listen == c.webhook.listen) {
      issues.push_back({"server.metrics_listen", "is the same address as webhook.listen",
                        "use a private address such as 127.0.0.1:9090, or leave it empty"});
    }
  }
  if (c.server.max_connections_per_address > c.server.max_connections) {
    issues.push_back({"server.max_connections_per_address",
                      std::to_string(c.server.max_connections_per_address) + " is more than server.max_connections (" +
                          std::to_string(c.server.max_connections) + ")",
                      "make it at most server.max_connections"});
  }
  if (c.server.request_timeout <= Millis(0)) {
    issues.push_back({"server.request_timeout", "must be positive", "use a duration such as 10s"});
  }
  if (c.webhook.path.empty() || c.webhook.path.front() != '/') {
    issues.push_back({"webhook.path", "'" + c.webhook.path + "' does not start with /", "write it as /livekit/webhook"});
  }
  validate_endpointing(c.voice.endpointing, issues);
  validate_providers(c.providers, c.agent, issues);
  validate_sip(c.sip, issues);
  validate_console(c, issues);
  if (c.console.enabled) {
    std::string playground = std::string(kPlaygroundRoomPrefix) + "*";
    auto& patterns = c.calls.room_patterns;
    if (std::find(patterns.begin(), patterns.end(), playground) == patterns.end()) patterns.push_back(playground);
  }
  // Each round lists every room: more often than twice a second only loads the server, and
  // rarer than every 10 minutes leaves a caller without an agent far longer than a phone rings.
  if (c.calls.reconcile_interval.count() != 0 &&
      (c.calls.reconcile_interval < Millis(500) || c.calls.reconcile_interval > Millis(600'000))) {
    issues.push_back({"calls.reconcile_interval", "'" + format_duration(c.calls.reconcile_interval) + "' is out of range",
                      "use 0 (webhooks only) or a duration from 500ms to 10m, such as 5s"});
  }
  if (!c.agent.transfer_to.empty() && c.agent.transfer_to.rfind("sip:", 0) != 0 && c.agent.transfer_to.rfind("tel:", 0) != 0) {
    issues.push_back({"agent.transfer_to", "'" + c.agent.transfer_to + "' is not a sip: or tel: URI",
                      "write it as sip:operator@pbx.example.com or tel:+15550100"});
  }
  if (c.agent.dispatch != "webhook" && c.agent.dispatch != "worker") {
    issues.push_back({"agent.dispatch", "'" + c.agent.dispatch + "' is neither webhook nor worker",
                      "write webhook (calls admitted from LiveKit's webhooks) or worker (parley registers as an agent worker)"});
  } else if (c.agent.dispatch == "worker" && c.agent.agent_name.empty()) {
    // An unnamed worker would be sent a job for every room created on the server.
    issues.push_back({"agent.agent_name", "is empty but agent.dispatch is worker",
                      "name the agent (e.g. parley) and dispatch it by that name (parley sip setup writes it into the "
                      "dispatch rule)"});
  }
  if (c.agent.recovery_interval.count() != 0 &&
      (c.agent.recovery_interval < Millis(200) || c.agent.recovery_interval > Millis(60'000))) {
    issues.push_back({"agent.recovery_interval",
                      "'" + format_duration(c.agent.recovery_interval) + "' is out of range",
                      "use 0 (no recovery of calls whose worker died) or a duration from 200ms to 1m, such as 1s"});
  }
  if (!c.agent.worker_url.empty() && c.agent.worker_url.rfind("http://", 0) != 0 &&
      c.agent.worker_url.rfind("https://", 0) != 0) {
    issues.push_back({"agent.worker_url", "'" + c.agent.worker_url + "' is not an http:// or https:// URL",
                      "write the address the other workers reach this process's /healthz at, such as "
                      "http://10.0.0.5:8080, or leave it empty for http://<webhook.listen>"});
  }
  validate_secret_strength("livekit.api_secret", c.livekit.api_key, c.livekit.api_secret, issues);
  for (const auto& [key, secret] : c.webhook.extra_keys) {
    validate_secret_strength("webhook.extra_keys." + key, key, secret, issues);
  }
  return result;
}

nlohmann::ordered_json Config::to_json(bool show_secrets) const {
  auto secret = [&](const std::string& s) -> nlohmann::json {
    if (show_secrets || s.empty()) return s;
    return "[redacted]";
  };
  nlohmann::ordered_json j;
  j["livekit"] = {{"url", livekit.url},
                  {"api_key", livekit.api_key},
                  {"api_secret", secret(livekit.api_secret)},
                  {"request_timeout", format_duration(livekit.request_timeout)},
                  {"retry_attempts", livekit.retry_attempts},
                  {"rejoin_attempts", livekit.rejoin_attempts},
                  {"health_check_interval", format_duration(livekit.health_check_interval)},
                  {"ca_file", livekit.ca_file}};
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  for (const auto& [k, v] : webhook.extra_keys) extra[k] = secret(v);
  j["webhook"] = {{"listen", webhook.listen},
                  {"path", webhook.path},
                  {"extra_keys", extra},
                  {"max_body_bytes", webhook.max_body_bytes},
                  {"rate_limit_per_second", webhook.rate_limit_per_second},
                  {"rate_limit_burst", webhook.rate_limit_burst}};
  j["server"] = {{"metrics_listen", server.metrics_listen},
                 {"max_connections", server.max_connections},
                 {"max_connections_per_address", server.max_connections_per_address},
                 {"request_timeout", format_duration(server.request_timeout)}};
  j["calls"] = {{"max_concurrent", calls.max_concurrent},
                {"max_duration", format_duration(calls.max_duration)},
                {"silence_timeout", format_duration(calls.silence_timeout)},
                {"inactivity_timeout", format_duration(calls.inactivity_timeout)},
                {"drain_timeout", format_duration(calls.drain_timeout)},
                {"reconcile_interval", format_duration(calls.reconcile_interval)},
                {"room_patterns", calls.room_patterns},
                {"mask_numbers", calls.mask_numbers}};
  j["agent"] = {{"identity", agent.identity},
                {"name", agent.name},
                {"agent_name", agent.agent_name},
                {"dispatch", agent.dispatch},
                {"recovery_interval", format_duration(agent.recovery_interval)},
                {"worker_url", agent.worker_url},
                {"language", agent.language},
                {"greeting", agent.greeting},
                {"transfer_to", agent.transfer_to}};
  auto lines = [](const std::map<std::string, CallLineConfig>& in) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const auto& [k, l] : in) {
      out[k] = {{"language", l.language}, {"greeting", l.greeting}, {"stt", l.stt}, {"llm", l.llm}, {"tts", l.tts}};
    }
    return out;
  };
  j["agent"]["numbers"] = lines(agent.numbers);
  j["agent"]["trunks"] = lines(agent.trunks);
  j["voice"] = {{"endpointing",
                 {{"min_delay", format_duration(voice.endpointing.min_delay)},
                  {"delay", format_duration(voice.endpointing.delay)},
                  {"max_delay", format_duration(voice.endpointing.max_delay)}}},
                {"preemptive_generation", voice.preemptive_generation},
                {"early_final", format_duration(voice.early_final)}};
  j["providers"] = {{"stt", providers.stt},
                    {"llm", providers.llm},
                    {"tts", providers.tts},
                    {"script", providers.script},
                    {"stt_timeout", format_duration(providers.stt_timeout)},
                    {"llm_timeout", format_duration(providers.llm_timeout)},
                    {"tts_timeout", format_duration(providers.tts_timeout)},
                    {"ca_file", providers.ca_file},
                    {"openai",
                     {{"base_url", providers.openai.base_url},
                      {"api_key", secret(providers.openai.api_key)},
                      {"llm_model", providers.openai.llm_model},
                      {"stt_model", providers.openai.stt_model},
                      {"tts_model", providers.openai.tts_model},
                      {"tts_voice", providers.openai.tts_voice},
                      {"system_prompt", providers.openai.system_prompt}}},
                    {"deepgram",
                     {{"url", providers.deepgram.url},
                      {"api_key", secret(providers.deepgram.api_key)},
                      {"model", providers.deepgram.model}}},
                    {"yandex",
                     {{"stt_endpoint", providers.yandex.stt_endpoint},
                      {"api_key", secret(providers.yandex.api_key)},
                      {"iam_token", secret(providers.yandex.iam_token)},
                      {"folder_id", providers.yandex.folder_id},
                      {"stt_model", providers.yandex.stt_model},
                      {"endpointing", providers.yandex.endpointing},
                      {"tts_endpoint", providers.yandex.tts_endpoint},
                      {"tts_voice", providers.yandex.tts_voice},
                      {"tts_role", providers.yandex.tts_role},
                      {"tts_speed", providers.yandex.tts_speed},
                      {"ca_file", providers.yandex.ca_file}}},
                    {"yandexgpt",
                     {{"base_url", providers.yandexgpt.base_url},
                      {"model", providers.yandexgpt.model},
                      {"auth", providers.yandexgpt.auth},
                      {"system_prompt", providers.yandexgpt.system_prompt}}},
                    {"gigachat",
                     {{"base_url", providers.gigachat.base_url},
                      {"oauth_url", providers.gigachat.oauth_url},
                      {"auth_key", secret(providers.gigachat.auth_key)},
                      {"scope", providers.gigachat.scope},
                      {"model", providers.gigachat.model},
                      {"ca_file", providers.gigachat.ca_file},
                      {"system_prompt", providers.gigachat.system_prompt}}},
                    {"pocketsphinx",
                     {{"max_decoders", providers.pocketsphinx.max_decoders},
                      {"max_hmms_per_frame", providers.pocketsphinx.max_hmms_per_frame},
                      {"max_words_per_frame", providers.pocketsphinx.max_words_per_frame},
                      {"second_pass", providers.pocketsphinx.second_pass},
                      {"second_pass_max_concurrent", providers.pocketsphinx.second_pass_max_concurrent}}}};
  for (const auto& section : provider_sections()) {
    const ProviderSettings values = providers.section(section.name);
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const auto& k : section.keys) {
      const std::string v = values.text(k.name);
      if (k.secret) {
        out[k.name] = secret(v);
      } else if (k.kind == ProviderKey::Kind::kInteger) {
        out[k.name] = values.integer(k.name);
      } else if (k.kind == ProviderKey::Kind::kNumber) {
        out[k.name] = values.number(k.name);
      } else if (k.kind == ProviderKey::Kind::kBoolean) {
        out[k.name] = values.boolean(k.name);
      } else {
        out[k.name] = v;
      }
    }
    j["providers"][section.name] = std::move(out);
  }
  j["sip"] = {{"inbound_trunk",
                {{"name", sip.inbound_trunk.name},
                 {"numbers", sip.inbound_trunk.numbers},
                 {"allowed_addresses", sip.inbound_trunk.allowed_addresses},
                 {"auth_username", sip.inbound_trunk.auth_username},
                 {"auth_password", secret(sip.inbound_trunk.auth_password)}}},
              {"dispatch_rule", {{"name", sip.dispatch_rule.name}, {"room_prefix", sip.dispatch_rule.room_prefix}}}};
  j["console"] = {{"enabled", console.enabled},
                  {"listen", console.listen},
                  {"path", console.path},
                  {"token", secret(console.token)},
                  {"livekit_url", console.livekit_url},
                  {"assets", console.assets},
                  {"ended_calls", console.ended_calls},
                  {"playground_per_minute", console.playground_per_minute},
                  {"playground_rooms", console.playground_rooms}};
  j["diagnose"] = {{"call_number", diagnose.call_number},
                   {"call_from", diagnose.call_from},
                   {"sip_address", diagnose.sip_address},
                   {"call_username", diagnose.call_username},
                   {"call_password", secret(diagnose.call_password)},
                   {"call_timeout", format_duration(diagnose.call_timeout)}};
  j["log"] = {{"level", log::to_string(log.level)}, {"format", log.format == log::Format::kJson ? "json" : "text"}};
  return j;
}

std::string Config::hash() const {
  std::string text = to_json(true).dump();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 6; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::vector<std::string> Config::secrets() const {
  std::vector<std::string> out{livekit.api_secret,        providers.openai.api_key, providers.deepgram.api_key,
                               providers.yandex.api_key,  providers.yandex.iam_token, diagnose.call_password,
                               providers.gigachat.auth_key};
  for (const auto& [k, v] : webhook.extra_keys) out.push_back(v);
  out.push_back(sip.inbound_trunk.auth_password);
  out.push_back(console.token);
  for (const auto& section : provider_sections()) {
    const ProviderSettings values = providers.section(section.name);
    for (const auto& k : section.keys) {
      if (k.secret) out.push_back(values.text(k.name));
    }
  }
  out.erase(std::remove_if(out.begin(), out.end(), [](const std::string& s) { return s.empty(); }), out.end());
  return out;
}

}  // namespace parley
