// parley's configuration: parley.yaml, overlaid by the environment, overlaid by command-line
// flags. LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET are read as LiveKit's own tools
// read them; provider keys (OPENAI_API_KEY, DEEPGRAM_API_KEY) likewise. String values in the
// file may name environment variables as ${NAME}, which is how extra webhook keys' secrets are
// given without writing them into a file.
//
// Loading validates everything before anything uses it: each problem names the key, the bad
// value (never a secret's) and the fix.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config_issue.h"
#include "core/duration.h"
#include "core/log.h"
#include "core/provider_section.h"

namespace parley {

struct LiveKitConfig {
  std::string url;         // ws://, wss://, http:// or https:// (mapped to each other as needed)
  std::string api_key;
  std::string api_secret;  // secret: never logged
  Millis request_timeout{30'000};
  int retry_attempts = 3;
  // Full rejoins of a call's room after the server went away (e.g. restarted), each after an
  // exponential backoff with jitter (core/backoff): 8 tries span about half a minute.
  int rejoin_attempts = 8;
  Millis health_check_interval{60'000};
  // Extra trusted CAs (PEM file or folder) for wss:// and https:// to LiveKit, added to the
  // system store (e.g. a private CA in front of a self-hosted server); "" = the system store.
  std::string ca_file;
};

struct WebhookConfig {
  std::string listen = "127.0.0.1:8080";  // host:port of parley serve's HTTP server
  std::string path = "/livekit/webhook";
  // Extra keys accepted when verifying webhooks (key rotation): key -> secret.
  std::map<std::string, std::string> extra_keys;
  size_t max_body_bytes = 1 << 20;
  double rate_limit_per_second = 100;  // per source address
  int rate_limit_burst = 200;
};

// parley serve's HTTP front door (the listener itself is webhook.listen).
struct ServerConfig {
  // host:port for /healthz, /readyz and /metrics, kept off the public listener (which then
  // serves only the webhook); "" serves them on webhook.listen. Keep it private (loopback or an
  // internal network): it tells anyone who asks the call load and LiveKit's reachability.
  std::string metrics_listen;
  size_t max_connections = 1024;             // open connections in all
  size_t max_connections_per_address = 64;   // from one client address (a proxy in front counts as one)
  Millis request_timeout{10'000};            // a whole request (headers and body); also the keep-alive idle time
};

struct CallsConfig {
  int max_concurrent = 50;
  Millis max_duration{30 * 60'000};
  Millis silence_timeout{20'000};
  Millis inactivity_timeout{60 * 60'000};  // rooms that never finish are cleaned up after this
  Millis drain_timeout{5 * 60'000};
  // How often parley serve lists the server's rooms to adopt calls without an agent (lost
  // webhooks, callers that joined while parley was down); 0 = webhooks only. Webhook mode only.
  Millis reconcile_interval{5'000};
  std::vector<std::string> room_patterns;   // rooms (glob) whose participants get an agent too
  bool mask_numbers = false;                // show phone numbers as +1555***1234 in logs
};

// One of our lines: the language a call on it is held in, its greeting and its engines.
struct CallLineConfig {
  std::string language;                    // en, ru, ...
  std::string greeting;                    // "" = agent.greeting[language]
  std::vector<std::string> stt, llm, tts;  // [] = the chain in providers.stt / llm / tts
};

struct AgentConfig {
  std::string identity = "parley-agent";
  std::string name = "parley";
  std::string agent_name;  // the name dispatch rules use for parley ("" = unnamed agent)
  // How calls reach parley serve: "webhook" (a caller's participant_joined admits the call) or
  // "worker" (parley registers as a LiveKit agent worker under agent_name and the server
  // dispatches each call's job to one worker, by load; webhooks still feed the calls' events).
  std::string dispatch = "webhook";
  // Worker mode: how often each worker lists the server's rooms to find calls whose worker died
  // (service/call_recovery.h) and re-dispatches them; 0 = off.
  Millis recovery_interval{1'000};
  // Worker mode: where the other workers reach this process's /healthz to tell whether it is
  // alive (written into each call's room metadata). "" = http://<webhook.listen>, with a
  // wildcard address replaced by this host's name.
  std::string worker_url;
  std::string language = "en";
  // language -> first words (the agent speaks first); the same as parley.example.yaml
  std::map<std::string, std::string> greeting{
      {"en", "Hello, you are speaking with parley. How can I help?"},
      {"ru", "Здравствуйте, вы говорите с parley. Чем могу помочь?"}};
  std::string transfer_to;  // where "operator" transfers the caller: sip:… or tel:… ("" = no transfer)
  // A phone call's line, by our number on it (sip.trunkPhoneNumber: the number called inbound,
  // the number calling outbound; E.164 after loading), else by its trunk (sip.trunkID); a call
  // on neither is held in `language` with the providers' chains.
  std::map<std::string, CallLineConfig> numbers;
  std::map<std::string, CallLineConfig> trunks;
};

// LiveKit SIP: the inbound trunk and dispatch rule `parley sip setup` keeps in line with this.
// parley finds its own trunk and rule on the server by these names.
struct SipInboundTrunkConfig {
  std::string name = "parley-inbound";
  std::vector<std::string> numbers;            // E.164 after loading ("+74951234567")
  std::vector<std::string> allowed_addresses;  // the provider's signalling IPs or CIDR ranges
  std::string auth_username;                   // digest auth; "" = none
  std::string auth_password;                   // secret: PARLEY_SIP_AUTH_PASSWORD or ${VAR}
};

struct SipDispatchRuleConfig {
  std::string name = "parley-calls";
  std::string room_prefix = "call-";  // an individual room per caller: <prefix>_<caller>_<random>
};

struct SipConfig {
  SipInboundTrunkConfig inbound_trunk;
  SipDispatchRuleConfig dispatch_rule;
};

struct OpenAiConfig {
  std::string base_url = "https://api.openai.com/v1";
  std::string api_key;  // secret
  std::string llm_model = "gpt-4o-mini";
  std::string stt_model = "whisper-1";
  std::string tts_model = "tts-1";
  std::string tts_voice = "alloy";
  std::string system_prompt;
};

struct DeepgramConfig {
  std::string url = "wss://api.deepgram.com/v1/listen";
  std::string api_key;  // secret
  std::string model = "nova-3";
};

// Yandex SpeechKit API v3 (gRPC over TLS). Auth: a service-account API key ("Api-Key") or an
// IAM token ("Bearer"), from YANDEX_API_KEY / YANDEX_IAM_TOKEN; x-folder-id from YANDEX_FOLDER_ID.
struct YandexConfig {
  std::string stt_endpoint = "stt.api.cloud.yandex.net:443";
  std::string api_key;    // secret
  std::string iam_token;  // secret; used when api_key is empty
  std::string folder_id;
  std::string stt_model = "general";
  // Who ends the caller's turn: "parley" (its VAD pause) or "yandex" (Yandex's EOU classifier as
  // well: whichever hears the end first, with parley's VAD agreeing the caller is quiet).
  std::string endpointing = "parley";
  std::string tts_endpoint = "tts.api.cloud.yandex.net:443";
  std::string tts_voice = "marina";  // alena, filipp, ermil, jane, marina, dasha, ... (Russian)
  std::string tts_role;              // neutral, good, friendly, strict, ...; "" = the voice's default
  double tts_speed = 1.0;            // 0.1 … 3.0
  std::string ca_file;  // trusted roots (PEM) instead of the system store (a private gateway)
};

// YandexGPT through Yandex's OpenAI-compatible endpoint (ydocs foundation-models/concepts/
// openai-compatibility): the credentials and folder are providers.yandex's.
struct YandexGptConfig {
  std::string base_url = "https://llm.api.cloud.yandex.net/v1";
  // gpt://<folder_id>/<model> is sent; a model already written as a gpt:// URI is sent as is.
  std::string model = "yandexgpt/latest";
  // How an API key is sent: "bearer" (Authorization: Bearer <key>, as the compatibility page
  // shows) or "api-key" (Authorization: Api-Key <key>, Yandex Cloud's own form). An IAM token
  // always goes as Bearer.
  std::string auth = "bearer";
  std::string system_prompt;
};

// GigaChat (Sber): an access token (30 min) from the OAuth endpoint for the authorization key,
// then the chat API, whose streaming is OpenAI's server-sent events.
struct GigaChatConfig {
  std::string base_url = "https://gigachat.devices.sberbank.ru/api/v1";
  std::string oauth_url = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth";
  std::string auth_key;  // secret: base64(client_id:client_secret), GIGACHAT_AUTH_KEY
  std::string scope = "GIGACHAT_API_PERS";  // GIGACHAT_API_PERS, GIGACHAT_API_B2B or GIGACHAT_API_CORP
  std::string model = "GigaChat-2";
  // Sber's endpoints are signed by the Russian Trusted Root CA, which Debian does not trust:
  // name its PEM here (added to the system store).
  std::string ca_file;
  std::string system_prompt;
};

struct PocketsphinxConfig {
  // Callers recognised at the same instant; more wait (their audio is kept) until one frees.
  // Each decoder costs about 90 MB of memory and a quarter second to load at start-up.
  int max_decoders = 8;
  // The recogniser's search limit per 10 ms frame (pocketsphinx's -maxhmmpf): lower is cheaper
  // and, below about 5000, less accurate in noise; 30000 is pocketsphinx's own default. Read at
  // start-up only (the decoders load then).
  int max_hmms_per_frame = 5000;
  // How many distinct words may end in one 10 ms frame of the search (pocketsphinx's -maxwpf);
  // 0: no limit. 10 gave the same words for about a tenth less recogniser CPU (bench/stt,
  // docs/performance.md). Read at start-up only.
  int max_words_per_frame = 10;
  // The recogniser's second pass over each utterance (pocketsphinx's -fwdflat). Off: about a
  // fifth less recogniser CPU, so more calls per machine and sooner answers when it is busy, for
  // 0.5-2 points more word errors (docs/performance.md, bench/stt). Read at start-up only.
  bool second_pass = true;
  // With the second pass on, how many of the decoders make it; 0: every one. An utterance that
  // starts while all of those are busy is recognised without the pass. Many callers' utterances
  // ending together queue behind each other's passes; one decoder per core cuts that tail (10
  // lockstep callers on 2 cores: p95 640-760 ms against 760-880), but loses the words the pass
  // gets right (one of ten phone questions answered wrong in sip_ten_calls), so it is not the
  // default (docs/performance.md). Read at start-up only.
  int second_pass_max_concurrent = 0;
};

struct ProvidersConfig {
  // Each role is a chain: the first is used, the next ones take over when it fails.
  std::vector<std::string> stt{"pocketsphinx"};
  std::vector<std::string> llm{"script"};
  std::vector<std::string> tts{"flite", "espeak-ng"};
  std::string script;  // path of the scripted dialogue YAML; empty = the embedded one
  Millis stt_timeout{5'000};
  Millis llm_timeout{5'000};
  Millis tts_timeout{5'000};
  OpenAiConfig openai;
  DeepgramConfig deepgram;
  YandexConfig yandex;
  YandexGptConfig yandexgpt;
  GigaChatConfig gigachat;
  PocketsphinxConfig pocketsphinx;
  // Extra trusted CAs (PEM file or folder) for the network providers (OpenAI-compatible,
  // Deepgram), added to the system store; "" = the system store.
  std::string ca_file;
  // The sections of providers that declare their own (core/provider_section.h), by name.
  std::map<std::string, ProviderSettings> sections;
  // providers.<name> of a registered provider: as loaded, else its defaults.
  ProviderSettings section(const std::string& name) const;
};

// `parley diagnose`'s test call (the sip_call check runs when call_number is set).
struct DiagnoseConfig {
  std::string call_number;           // the number the test call dials (one of a trunk's numbers)
  std::string call_from = "+15550199";  // the test call's caller number
  std::string sip_address;           // the SIP bridge, host[:port]; "" = the LiveKit host, port 5060
  std::string call_username;         // digest credentials, for a trunk with auth
  std::string call_password;         // secret
  Millis call_timeout{20'000};       // INVITE -> 200 OK
};

// The operator console and playground (parley serve), on a listener of its own. Off unless
// enabled; the operator's token comes from PARLEY_CONSOLE_TOKEN only.
// The playground's rooms; console.enabled adds "<prefix>*" to calls.room_patterns so they get an agent.
inline constexpr const char* kPlaygroundRoomPrefix = "parley-playground-";

struct ConsoleConfig {
  bool enabled = false;
  std::string listen = "127.0.0.1:8090";  // loopback: put a TLS proxy in front to reach it from elsewhere
  std::string path = "/";                 // where the page is served; the API is below it
  std::string token;                      // secret: Bearer token, or basic auth's password
  std::string livekit_url;                // what the playground's browser connects to ("" = livekit.url)
  std::string assets;                     // folder of the built page ("" = share/parley/console beside the binary)
  int ended_calls = 50;                   // ended calls kept viewable (oldest forgotten first)
  // Each playground room runs an agent: tickets handed out per minute, and rooms open at once.
  int playground_per_minute = 10;
  int playground_rooms = 5;
};

// Turn-taking (voice/endpointing.h): how long the agent waits after the caller's voice ends.
struct EndpointingConfig {
  // The words are a finished turn (a script intent's phrase ends them). Off by default (= delay):
  // on a quiet machine 250 ms took 13 of 20 turns early against 9 for the fixed wait and answered
  // no sooner (docs/performance.md, "Second cut").
  Millis min_delay{500};
  Millis delay{500};        // the words say nothing either way
  Millis max_delay{3'000};  // the words look unfinished ("and", "the", "um", a comma)
};

struct VoiceConfig {
  EndpointingConfig endpointing;
  // Start the reply (LLM and its first sentence's audio) while the endpointing wait runs; it is
  // played at once when the turn is taken, dropped when the caller goes on.
  bool preemptive_generation = true;
  // After this much silence in the caller's speech the recogniser starts its final decode, kept
  // if the caller goes on (SpeechRecognizer::voice_paused); 0s: only after the speech pause.
  // Off by default: each time the caller goes on, the utterance is decoded again from its
  // start, and with ten phone callers at once that doubled the recogniser's work (turns at the
  // phone p50 1.7–3.4 s instead of 0.83 s, docs/performance.md), while under the fixed 0.5 s
  // wait it saves nothing a caller hears.
  Millis early_final{0};
};

struct LogConfig {
  log::Level level = log::Level::kInfo;
  log::Format format = log::Format::kText;
};

struct Config {
  LiveKitConfig livekit;
  WebhookConfig webhook;
  ServerConfig server;
  CallsConfig calls;
  AgentConfig agent;
  VoiceConfig voice;
  ProvidersConfig providers;
  DiagnoseConfig diagnose;
  LogConfig log;
  SipConfig sip;
  ConsoleConfig console;

  // The effective configuration; secrets shown as "[redacted]" (or "" when unset) unless asked.
  nlohmann::ordered_json to_json(bool show_secrets = false) const;
  // Short SHA-256 of the full configuration, to say in logs which configuration is running.
  std::string hash() const;
  // Every secret value, for log redaction.
  std::vector<std::string> secrets() const;
};

struct ConfigSources {
  std::optional<std::string> file;                 // parley.yaml path; nullopt: none
  std::map<std::string, std::string> env;          // environment snapshot
  std::map<std::string, std::string> overrides;    // dotted key -> value, from flags
};

struct ConfigLoad {
  Config config;
  std::vector<ConfigIssue> issues;
  bool ok() const;
};

// Loads and validates. Never throws for bad input: problems come back as issues.
ConfigLoad load_config(const ConfigSources& sources);

// The process environment as a map.
std::map<std::string, std::string> process_env();

// Provider names each role accepts: the built-in ones, then the registered sections'.
std::vector<std::string> known_providers(const std::string& role);

}  // namespace parley
