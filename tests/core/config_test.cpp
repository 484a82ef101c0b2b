#include "core/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace parley {
namespace {

std::string source_dir() { return PARLEY_SOURCE_DIR; }

std::string write_temp(const std::string& text) {
  static int n = 0;
  auto path = std::filesystem::temp_directory_path() /
              ("parley_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

const ConfigIssue* find_issue(const ConfigLoad& load, const std::string& key) {
  for (const auto& i : load.issues) {
    if (i.key == key && !i.warning) return &i;
  }
  return nullptr;
}

ConfigSources with_secret(std::optional<std::string> file) {
  ConfigSources s;
  s.file = std::move(file);
  s.env["LIVEKIT_API_SECRET"] = "secret";
  return s;
}

TEST(Config, ExampleFileIsValid) {
  auto load = load_config(with_secret(source_dir() + "/parley.example.yaml"));
  for (const auto& i : load.issues) ADD_FAILURE() << i.to_string();
  EXPECT_TRUE(load.ok());
  EXPECT_EQ(load.config.livekit.url, "ws://127.0.0.1:7880");
  EXPECT_EQ(load.config.livekit.request_timeout, Millis(30'000));
  EXPECT_EQ(load.config.livekit.retry_attempts, 3);
  EXPECT_EQ(load.config.livekit.rejoin_attempts, 8);
  EXPECT_EQ(load.config.livekit.health_check_interval, Millis(60'000));
  EXPECT_EQ(load.config.agent.greeting.at("en").substr(0, 5), "Hello");
}

TEST(Config, ServerSectionIsReadAndChecked) {
  auto s = with_secret(source_dir() + "/parley.example.yaml");
  s.overrides["server.metrics_listen"] = "127.0.0.1:9090";
  s.overrides["server.max_connections_per_address"] = "8";
  s.overrides["server.request_timeout"] = "3s";
  auto load = load_config(s);
  EXPECT_TRUE(load.ok());
  EXPECT_EQ(load.config.server.metrics_listen, "127.0.0.1:9090");
  EXPECT_EQ(load.config.server.max_connections, 1024u);
  EXPECT_EQ(load.config.server.max_connections_per_address, 8u);
  EXPECT_EQ(load.config.server.request_timeout, Millis(3'000));

  auto bad = with_secret(source_dir() + "/parley.example.yaml");
  bad.overrides["server.metrics_listen"] = "nowhere";
  bad.overrides["server.max_connections"] = "10";
  bad.overrides["server.max_connections_per_address"] = "20";
  auto refused = load_config(bad);
  EXPECT_NE(find_issue(refused, "server.metrics_listen"), nullptr);
  EXPECT_NE(find_issue(refused, "server.max_connections_per_address"), nullptr);
  auto same = with_secret(source_dir() + "/parley.example.yaml");
  same.overrides["server.metrics_listen"] = "127.0.0.1:8080";  // webhook.listen's
  EXPECT_NE(find_issue(load_config(same), "server.metrics_listen"), nullptr);
}

TEST(Config, EndpointingWaitsAreReadAndMustBeInOrder) {
  auto load = load_config(with_secret(source_dir() + "/parley.example.yaml"));
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load.config.voice.endpointing.min_delay, Millis(500));  // the shorter wait is off
  EXPECT_EQ(load.config.voice.endpointing.delay, Millis(500));
  EXPECT_EQ(load.config.voice.endpointing.max_delay, Millis(3'000));
  EXPECT_TRUE(load.config.voice.preemptive_generation);
  EXPECT_EQ(load.config.voice.early_final, Millis(0));  // off: see config.h

  auto fixed = with_secret(source_dir() + "/parley.example.yaml");
  fixed.overrides["voice.endpointing.min_delay"] = "500ms";  // = delay: the fixed wait
  fixed.overrides["voice.preemptive_generation"] = "false";
  fixed.overrides["voice.early_final"] = "120ms";
  auto f = load_config(fixed);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.config.voice.endpointing.min_delay, Millis(500));
  EXPECT_FALSE(f.config.voice.preemptive_generation);
  EXPECT_EQ(f.config.voice.early_final, Millis(120));

  auto bad = with_secret(source_dir() + "/parley.example.yaml");
  bad.overrides["voice.endpointing.min_delay"] = "800ms";  // more than delay
  bad.overrides["voice.endpointing.max_delay"] = "20s";
  auto refused = load_config(bad);
  auto* order = find_issue(refused, "voice.endpointing.delay");
  ASSERT_NE(order, nullptr);
  EXPECT_NE(order->message.find("less than voice.endpointing.min_delay"), std::string::npos) << order->message;
  EXPECT_NE(find_issue(refused, "voice.endpointing.max_delay"), nullptr);
  auto zero = with_secret(source_dir() + "/parley.example.yaml");
  zero.overrides["voice.endpointing.min_delay"] = "0s";
  EXPECT_NE(find_issue(load_config(zero), "voice.endpointing.min_delay"), nullptr);
}

TEST(Config, ConsoleNeedsItsTokenFromTheEnvironmentAndKeepsItSecret) {
  auto off = load_config(with_secret(source_dir() + "/parley.example.yaml"));
  EXPECT_FALSE(off.config.console.enabled);
  EXPECT_EQ(off.config.console.listen, "127.0.0.1:8090");

  auto s = with_secret(source_dir() + "/parley.example.yaml");
  s.overrides["console.enabled"] = "true";
  auto no_token = load_config(s);
  const auto* issue = find_issue(no_token, "console.token");
  ASSERT_NE(issue, nullptr);
  EXPECT_NE(issue->fix.find("PARLEY_CONSOLE_TOKEN"), std::string::npos);
  s.env["PARLEY_CONSOLE_TOKEN"] = "short";
  EXPECT_NE(find_issue(load_config(s), "console.token"), nullptr);

  const std::string token = "a-long-operator-token-0123456789";
  s.env["PARLEY_CONSOLE_TOKEN"] = token;
  auto on = load_config(s);
  for (const auto& i : on.issues) ADD_FAILURE() << i.to_string();
  EXPECT_EQ(on.config.console.token, token);
  // The playground's rooms get an agent.
  const auto& patterns = on.config.calls.room_patterns;
  EXPECT_NE(std::find(patterns.begin(), patterns.end(), std::string(kPlaygroundRoomPrefix) + "*"), patterns.end());
  // Never shown, always redacted from logs.
  EXPECT_EQ(on.config.to_json().dump().find(token), std::string::npos);
  auto secrets = on.config.secrets();
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), token), secrets.end());

  auto clash = s;
  clash.overrides["console.listen"] = "127.0.0.1:8080";  // webhook.listen's
  EXPECT_NE(find_issue(load_config(clash), "console.listen"), nullptr);
  auto bad_path = s;
  bad_path.overrides["console.path"] = "console";
  EXPECT_NE(find_issue(load_config(bad_path), "console.path"), nullptr);
}

TEST(Config, MissingSecretIsNamed) {
  ConfigSources s;
  s.file = source_dir() + "/parley.example.yaml";
  auto load = load_config(s);
  EXPECT_FALSE(load.ok());
  auto* issue = find_issue(load, "livekit.api_secret");
  ASSERT_NE(issue, nullptr);
  EXPECT_NE(issue->fix.find("LIVEKIT_API_SECRET"), std::string::npos);
}

TEST(Config, UrlWithoutSchemeIsRejected) {
  auto s = with_secret(write_temp("livekit: {url: '127.0.0.1:7880', api_key: devkey}\n"));
  auto load = load_config(s);
  auto* issue = find_issue(load, "livekit.url");
  ASSERT_NE(issue, nullptr);
  EXPECT_NE(issue->message.find("no scheme"), std::string::npos);
}

TEST(Config, HttpUrlWhereAWebSocketIsRequiredIsRejected) {
  auto s = with_secret(write_temp(
      "livekit: {url: 'ws://127.0.0.1:7880', api_key: devkey}\n"
      "providers: {stt: [deepgram], deepgram: {url: 'http://api.deepgram.com/v1/listen', api_key: '${DG}'}}\n"));
  s.env["DG"] = "dgkey1234";
  auto load = load_config(s);
  auto* issue = find_issue(load, "providers.deepgram.url");
  ASSERT_NE(issue, nullptr);
  EXPECT_NE(issue->message.find("not a WebSocket URL"), std::string::npos);
}

TEST(Config, LinesMapOurNumbersInE164AndTrunksToALanguageAGreetingAndChains) {
  auto load = load_config(with_secret(write_temp(R"(
livekit: {url: ws://127.0.0.1:7880, api_key: devkey}
agent:
  numbers:
    "8 495 123-45-67": {language: ru, stt: [yandex], llm: [yandexgpt, script], tts: [yandex, espeak-ng]}
    "+15550100": {language: en}
  trunks:
    ST_novofon: {language: ru, greeting: "Алло!"}
providers:
  yandex: {folder_id: b1g-folder}
)")));
  // The Yandex key is missing; nothing else is wrong.
  ASSERT_NE(find_issue(load, "providers.yandex.api_key"), nullptr);
  EXPECT_EQ(load.issues.size(), 1u);
  const auto& n = load.config.agent.numbers;
  ASSERT_EQ(n.count("+74951234567"), 1u);
  EXPECT_EQ(n.at("+74951234567").language, "ru");
  EXPECT_EQ(n.at("+74951234567").llm, (std::vector<std::string>{"yandexgpt", "script"}));
  EXPECT_EQ(n.at("+74951234567").tts, (std::vector<std::string>{"yandex", "espeak-ng"}));
  EXPECT_TRUE(n.at("+15550100").stt.empty());
  EXPECT_EQ(load.config.agent.trunks.at("ST_novofon").greeting, "Алло!");
  EXPECT_EQ(load.config.to_json()["agent"]["numbers"]["+74951234567"]["language"], "ru");
}

TEST(Config, ALineWithoutALanguageABadNumberOrAnUnknownEngineIsNamed) {
  auto load = load_config(with_secret(write_temp(R"(
agent:
  numbers:
    "call me": {language: ru}
    "+74951234567": {stt: [yandexx]}
)")));
  EXPECT_NE(find_issue(load, "agent.numbers.call me"), nullptr);
  EXPECT_NE(find_issue(load, "agent.numbers.+74951234567.language"), nullptr);
  auto* bad = find_issue(load, "agent.numbers.+74951234567.stt");
  ASSERT_NE(bad, nullptr);
  EXPECT_NE(bad->message.find("'yandexx' is not a known stt provider"), std::string::npos);
}

TEST(Config, YandexGptAndGigaChatNeedTheirCredentials) {
  auto s = with_secret(write_temp("livekit: {url: ws://127.0.0.1:7880, api_key: devkey}\nproviders:\n  llm: [yandexgpt, gigachat, script]\n"));
  auto load = load_config(s);
  EXPECT_NE(find_issue(load, "providers.yandex.api_key"), nullptr);
  EXPECT_NE(find_issue(load, "providers.yandex.folder_id"), nullptr);
  auto* giga = find_issue(load, "providers.gigachat.auth_key");
  ASSERT_NE(giga, nullptr);
  EXPECT_NE(giga->fix.find("GIGACHAT_AUTH_KEY"), std::string::npos);
  s.env["YANDEX_API_KEY"] = "AQVN-0123456789abcdefghijklmnopqrstuv";
  s.env["YANDEX_FOLDER_ID"] = "b1g-folder";
  s.env["GIGACHAT_AUTH_KEY"] = "Y2xpZW50OnNlY3JldA==";
  auto ok = load_config(s);
  for (const auto& i : ok.issues) ADD_FAILURE() << i.to_string();
  EXPECT_EQ(ok.config.to_json()["providers"]["gigachat"]["auth_key"], "[redacted]");
  auto secrets = ok.config.secrets();
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "Y2xpZW50OnNlY3JldA=="), secrets.end());
  s.overrides["providers.gigachat.scope"] = "GIGACHAT_API_ALL";
  s.overrides["providers.yandexgpt.auth"] = "token";
  auto bad = load_config(s);
  EXPECT_NE(find_issue(bad, "providers.gigachat.scope"), nullptr);
  EXPECT_NE(find_issue(bad, "providers.yandexgpt.auth"), nullptr);
}

TEST(Config, YandexTakesItsCredentialsFromTheEnvironmentAndRefusesAMissingOrShortOne) {
  const char* yaml = "livekit: {url: 'ws://127.0.0.1:7880', api_key: devkey}\nproviders: {stt: [yandex, pocketsphinx]}\n";
  auto s = with_secret(write_temp(yaml));
  auto missing = load_config(s);
  ASSERT_NE(find_issue(missing, "providers.yandex.api_key"), nullptr);
  EXPECT_FALSE(missing.ok());

  s.env["YANDEX_API_KEY"] = "AQVN-short";
  auto short_key = load_config(s);
  auto* issue = find_issue(short_key, "providers.yandex.api_key");
  ASSERT_NE(issue, nullptr);
  EXPECT_NE(issue->message.find("too short"), std::string::npos);

  s.env["YANDEX_API_KEY"] = "AQVNyandex-test-key-0123456789abcdefghij";
  s.env["YANDEX_FOLDER_ID"] = "b1g0folder";
  auto good = load_config(s);
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(good.config.providers.yandex.api_key, s.env["YANDEX_API_KEY"]);
  EXPECT_EQ(good.config.providers.yandex.folder_id, "b1g0folder");
  // Redacted wherever the configuration is shown, and masked in logs.
  EXPECT_EQ(good.config.to_json().dump().find("AQVNyandex"), std::string::npos);
  auto secrets = good.config.secrets();
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), s.env["YANDEX_API_KEY"]), secrets.end());

  auto bad = with_secret(write_temp(
      "livekit: {url: 'ws://127.0.0.1:7880', api_key: devkey}\nproviders: {stt: [yandex], yandex: {endpointing: vad}}\n"));
  bad.env = s.env;
  ASSERT_NE(find_issue(load_config(bad), "providers.yandex.endpointing"), nullptr);
  auto fast = with_secret(write_temp(
      "livekit: {url: 'ws://127.0.0.1:7880', api_key: devkey}\nproviders: {tts: [yandex], yandex: {tts_speed: 5}}\n"));
  fast.env = s.env;
  ASSERT_NE(find_issue(load_config(fast), "providers.yandex.tts_speed"), nullptr);

  s.env.erase("YANDEX_API_KEY");
  s.env["YANDEX_IAM_TOKEN"] = "t1.9euelZqPyp2Wm5WXi8qRyZ2Sk8yJlu3rnpWaj5";
  EXPECT_TRUE(load_config(s).ok());
}

// A configuration with these providers.pocketsphinx settings (a YAML flow mapping's inside).
ConfigLoad load_pocketsphinx(const std::string& settings) {
  return load_config(with_secret(
      write_temp("livekit: {url: 'ws://h:7880', api_key: k}\nproviders: {pocketsphinx: {" + settings + "}}\n")));
}

TEST(Config, PocketsphinxDecodersAreBounded) {
  auto ok = load_pocketsphinx("max_decoders: 12");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.config.providers.pocketsphinx.max_decoders, 12);
  auto zero = load_pocketsphinx("max_decoders: 0");
  ASSERT_NE(find_issue(zero, "providers.pocketsphinx.max_decoders"), nullptr);
}

TEST(Config, PocketsphinxSearchLimitDefaultsLowAndIsBounded) {
  auto defaults = load_pocketsphinx("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults.config.providers.pocketsphinx.max_hmms_per_frame, 5000);
  auto wide = load_pocketsphinx("max_hmms_per_frame: 30000");
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(wide.config.providers.pocketsphinx.max_hmms_per_frame, 30000);
  auto tiny = load_pocketsphinx("max_hmms_per_frame: 10");
  ASSERT_NE(find_issue(tiny, "providers.pocketsphinx.max_hmms_per_frame"), nullptr);
}

// An integer key of providers.pocketsphinx: its default (read and in the JSON), a value taken, and
// a value refused with the key named.
void expect_pocketsphinx_integer(const std::string& key, int PocketsphinxConfig::*member, int default_value,
                                 int taken, int refused) {
  auto defaults = load_pocketsphinx("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults.config.providers.pocketsphinx.*member, default_value) << key;
  EXPECT_EQ(defaults.config.to_json()["providers"]["pocketsphinx"][key], default_value) << key;
  auto set = load_pocketsphinx(key + ": " + std::to_string(taken));
  ASSERT_TRUE(set.ok()) << key;
  EXPECT_EQ(set.config.providers.pocketsphinx.*member, taken) << key;
  auto bad = load_pocketsphinx(key + ": " + std::to_string(refused));
  ASSERT_NE(find_issue(bad, "providers.pocketsphinx." + key), nullptr) << key;
}

// The words-per-frame limit: 10 unless set, 0 for none; a negative number names the key.
TEST(Config, PocketsphinxWordsPerFrameDefaultToTenAndZeroLiftsTheLimit) {
  expect_pocketsphinx_integer("max_words_per_frame", &PocketsphinxConfig::max_words_per_frame, 10, 0, -1);
}

TEST(Config, PocketsphinxSecondPassIsOnUnlessTurnedOff) {
  auto defaults = load_pocketsphinx("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults.config.providers.pocketsphinx.second_pass);
  EXPECT_EQ(defaults.config.to_json()["providers"]["pocketsphinx"]["second_pass"], true);
  auto off = load_pocketsphinx("second_pass: false");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off.config.providers.pocketsphinx.second_pass);
  auto bad = load_pocketsphinx("second_pass: sometimes");
  ASSERT_NE(find_issue(bad, "providers.pocketsphinx.second_pass"), nullptr);
}

// The second pass's decoders: 0 (every one) unless set; a negative number is an error that names
// the key.
TEST(Config, PocketsphinxSecondPassDecodersDefaultToEveryOne) {
  expect_pocketsphinx_integer("second_pass_max_concurrent", &PocketsphinxConfig::second_pass_max_concurrent, 0, 4, -1);
}

TEST(Config, RejoinAttemptsAreBounded) {
  auto ok = load_config(with_secret(write_temp("livekit: {url: 'ws://h:7880', api_key: k, rejoin_attempts: 20}\n")));
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.config.livekit.rejoin_attempts, 20);
  for (const char* bad : {"0", "51"}) {
    auto load = load_config(with_secret(
        write_temp(std::string("livekit: {url: 'ws://h:7880', api_key: k, rejoin_attempts: ") + bad + "}\n")));
    EXPECT_NE(find_issue(load, "livekit.rejoin_attempts"), nullptr) << bad;
  }
}

// agent.recovery_interval: 0 switches recovery off; otherwise 200ms to 1m. agent.worker_url: http(s).
TEST(Config, RecoveryIntervalAndWorkerUrlAreChecked) {
  auto agent = [](const std::string& yaml) {
    return load_config(with_secret(write_temp("livekit: {url: 'ws://h:7880', api_key: k}\nagent: {" + yaml + "}\n")));
  };
  auto example = load_config(with_secret(source_dir() + "/parley.example.yaml"));
  EXPECT_EQ(example.config.agent.recovery_interval, Millis(1'000));
  EXPECT_EQ(example.config.agent.worker_url, "");
  for (const char* ok : {"0", "200ms", "1s", "1m"}) EXPECT_TRUE(agent(std::string("recovery_interval: ") + ok).ok()) << ok;
  for (const char* bad : {"100ms", "2m", "-1s"}) {
    auto load = agent(std::string("recovery_interval: ") + bad);
    auto* issue = find_issue(load, "agent.recovery_interval");
    ASSERT_NE(issue, nullptr) << bad;
    EXPECT_FALSE(issue->fix.empty());
  }
  EXPECT_TRUE(agent("worker_url: 'http://10.0.0.5:8080'").ok());
  auto bad = agent("worker_url: '10.0.0.5:8080'");
  auto* issue = find_issue(bad, "agent.worker_url");
  ASSERT_NE(issue, nullptr);
  EXPECT_NE(issue->fix.find("http://"), std::string::npos);
}

// calls.reconcile_interval: 0 switches the reconciler off; otherwise 500ms to 10m.
TEST(Config, ReconcileIntervalIsZeroOrBounded) {
  auto interval = [](const std::string& value) {
    auto s = with_secret(write_temp("livekit: {url: 'ws://h:7880', api_key: k}\ncalls: {reconcile_interval: " + value + "}\n"));
    return load_config(s);
  };
  EXPECT_EQ(load_config(with_secret(source_dir() + "/parley.example.yaml")).config.calls.reconcile_interval, Millis(5'000));
  for (const char* ok : {"0", "500ms", "2s", "10m"}) EXPECT_TRUE(interval(ok).ok()) << ok;
  for (const char* bad : {"100ms", "11m", "-1s", "often"}) {
    auto load = interval(bad);
    auto* issue = find_issue(load, "calls.reconcile_interval");
    ASSERT_NE(issue, nullptr) << bad;
    EXPECT_FALSE(issue->fix.empty());
  }
}

TEST(Config, NegativeTimeoutIsRejected) {
  auto load = load_config(with_secret(write_temp("livekit: {url: 'ws://h:7880', api_key: k, request_timeout: -3s}\n")));
  auto* issue = find_issue(load, "livekit.request_timeout");
  ASSERT_NE(issue, nullptr);
  EXPECT_NE(issue->message.find("negative"), std::string::npos);
}

TEST(Config, UnreadableCaFilesAreNamed) {
  auto load = load_config(with_secret(write_temp(
      "livekit: {url: 'wss://h', api_key: k, ca_file: /nonexistent/ca.pem}\nproviders: {ca_file: /nonexistent/p.pem}\n")));
  auto* lk = find_issue(load, "livekit.ca_file");
  ASSERT_NE(lk, nullptr);
  EXPECT_NE(lk->message.find("does not exist"), std::string::npos);
  EXPECT_NE(find_issue(load, "providers.ca_file"), nullptr);
  auto good = load_config(with_secret(write_temp("livekit: {url: 'wss://h', api_key: k, ca_file: /etc/ssl/certs}\n")));
  EXPECT_EQ(find_issue(good, "livekit.ca_file"), nullptr);
  EXPECT_EQ(good.config.livekit.ca_file, "/etc/ssl/certs");
}

TEST(Config, UnknownProviderIsRejected) {
  auto load = load_config(with_secret(write_temp("livekit: {url: 'ws://h:7880', api_key: k}\nproviders: {tts: [flite, sirivoice]}\n")));
  auto* issue = find_issue(load, "providers.tts");
  ASSERT_NE(issue, nullptr);
  EXPECT_NE(issue->message.find("sirivoice"), std::string::npos);
  EXPECT_NE(issue->fix.find("espeak-ng"), std::string::npos);
}

TEST(Config, MalformedYamlGivesLineAndColumn) {
  auto path = write_temp("livekit:\n  url: ws://h:7880\n  api_key: [unclosed\n");
  auto load = load_config(with_secret(path));
  ASSERT_FALSE(load.ok());
  ASSERT_EQ(load.issues.size(), 1u);
  EXPECT_NE(load.issues[0].message.find(path + ":"), std::string::npos);
  EXPECT_NE(load.issues[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_NE(load.issues[0].message.find(":4:1"), std::string::npos) << load.issues[0].message;
}

TEST(Config, MisspeltKeyGetsASuggestion) {
  auto load = load_config(with_secret(write_temp("livekit: {url: 'ws://h:7880', api_key: k, reqest_timeout: 5s}\n")));
  auto* issue = find_issue(load, "livekit.reqest_timeout");
  ASSERT_NE(issue, nullptr);
  EXPECT_NE(issue->fix.find("livekit.request_timeout"), std::string::npos);
}

TEST(Config, EnvironmentOverridesFileAndFlagsOverrideEnvironment) {
  auto s = with_secret(write_temp("livekit: {url: 'ws://file:7880', api_key: filekey}\n"));
  s.env["LIVEKIT_URL"] = "wss://env.example";
  s.env["LIVEKIT_API_KEY"] = "envkey";
  s.overrides["livekit.api_key"] = "flagkey";
  auto load = load_config(s);
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load.config.livekit.url, "wss://env.example");
  EXPECT_EQ(load.config.livekit.api_key, "flagkey");
}

TEST(Config, ExtraWebhookKeysComeFromTheEnvironment) {
  auto s = with_secret(write_temp(
      "livekit: {url: 'ws://h:7880', api_key: k}\nwebhook: {extra_keys: {oldkey: '${OLD_SECRET}'}}\n"));
  s.env["OLD_SECRET"] = "the-old-secret-value-of-32-characters";
  auto load = load_config(s);
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load.config.webhook.extra_keys.at("oldkey"), "the-old-secret-value-of-32-characters");
  auto unset = load_config(with_secret(write_temp(
      "livekit: {url: 'ws://h:7880', api_key: k}\nwebhook: {extra_keys: {oldkey: '${NOT_SET_ANYWHERE}'}}\n")));
  auto* issue = find_issue(unset, "webhook.extra_keys.oldkey");
  ASSERT_NE(issue, nullptr);
  EXPECT_NE(issue->message.find("NOT_SET_ANYWHERE"), std::string::npos);
}

// An empty or short secret signs nothing anyone could not sign: refused wherever a secret is set.
TEST(Config, EmptyAndShortSecretsAreRefused) {
  auto file = write_temp("livekit: {url: 'ws://h:7880', api_key: k}\nwebhook: {extra_keys: {oldkey: '${OLD_SECRET}'}}\n");
  // The error for webhook.extra_keys.oldkey when OLD_SECRET holds `secret` ("" when none).
  auto extra_key_error = [&](const std::string& secret) {
    auto s = with_secret(file);
    s.env["OLD_SECRET"] = secret;
    auto load = load_config(s);
    auto* issue = find_issue(load, "webhook.extra_keys.oldkey");
    return issue ? issue->message : std::string();
  };
  EXPECT_NE(extra_key_error("").find("empty"), std::string::npos);
  EXPECT_NE(extra_key_error("tooshort").find("shorter than 32"), std::string::npos);
  EXPECT_EQ(extra_key_error(std::string(32, 'x')), "");

  auto literal = load_config(with_secret(write_temp(
      "livekit: {url: 'ws://h:7880', api_key: k}\nwebhook: {extra_keys: {oldkey: ''}}\n")));
  EXPECT_FALSE(literal.ok());
  EXPECT_NE(find_issue(literal, "webhook.extra_keys.oldkey"), nullptr);

  auto short_main = with_secret(write_temp("livekit: {url: 'ws://h:7880', api_key: k}\n"));
  short_main.env["LIVEKIT_API_SECRET"] = "guessable";
  auto main_load = load_config(short_main);
  EXPECT_FALSE(main_load.ok());
  auto* short_secret = find_issue(main_load, "livekit.api_secret");
  ASSERT_NE(short_secret, nullptr);
  EXPECT_FALSE(short_secret->warning);
}

TEST(Config, PlaintextUrlToARemoteHostIsWarnedAbout) {
  auto remote = load_config(with_secret(write_temp("livekit: {url: 'ws://livekit.example.com:7880', api_key: k}\n")));
  EXPECT_TRUE(remote.ok());
  bool warned = false;
  for (const auto& i : remote.issues) {
    if (i.key == "livekit.url" && i.warning && i.fix.find("wss://livekit.example.com") != std::string::npos) warned = true;
  }
  EXPECT_TRUE(warned);
  auto local = load_config(with_secret(write_temp("livekit: {url: 'ws://127.0.0.1:7880', api_key: k}\n")));
  for (const auto& i : local.issues) EXPECT_NE(i.key, "livekit.url") << i.to_string();
}

TEST(Config, SecretsAreRedactedInTheEffectiveConfiguration) {
  auto s = with_secret(source_dir() + "/parley.example.yaml");
  s.env["LIVEKIT_API_SECRET"] = "a-very-secret-secret-value-123456";
  auto load = load_config(s);
  ASSERT_TRUE(load.ok());
  std::string text = load.config.to_json().dump();
  EXPECT_EQ(text.find("a-very-secret-secret-value-123456"), std::string::npos);
  EXPECT_NE(text.find("[redacted]"), std::string::npos);
  EXPECT_EQ(load.config.hash().size(), 12u);
}

TEST(Config, HashChangesWithTheConfiguration) {
  auto a = load_config(with_secret(source_dir() + "/parley.example.yaml"));
  auto s = with_secret(source_dir() + "/parley.example.yaml");
  s.overrides["calls.max_concurrent"] = "7";
  auto b = load_config(s);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(b.config.calls.max_concurrent, 7);
  EXPECT_NE(a.config.hash(), b.config.hash());
}

TEST(Config, FlagOverridesTakeAFlowList) {
  auto s = with_secret(source_dir() + "/parley.example.yaml");
  s.overrides["calls.room_patterns"] = "[support-*, \"demo-?\"]";
  s.overrides["providers.tts"] = "espeak-ng";  // a single value is a list of one
  auto load = load_config(s);
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load.config.calls.room_patterns, (std::vector<std::string>{"support-*", "demo-?"}));
  EXPECT_EQ(load.config.providers.tts, (std::vector<std::string>{"espeak-ng"}));
  s.overrides["calls.room_patterns"] = "[unclosed";
  load = load_config(s);
  EXPECT_EQ(load.config.calls.room_patterns, (std::vector<std::string>{"[unclosed"}));
}

bool has_error(const ConfigLoad& load, const std::string& key) {
  for (const auto& i : load.issues) {
    if (i.key == key && !i.warning) return true;
  }
  return false;
}

TEST(ConfigAgent, DispatchIsWebhookOrAWorkerWithAName) {
  EXPECT_EQ(load_config(ConfigSources{}).config.agent.dispatch, "webhook");
  ConfigSources worker;
  worker.overrides["agent.dispatch"] = "worker";
  worker.overrides["agent.agent_name"] = "parley";
  auto a = load_config(worker);
  EXPECT_EQ(a.config.agent.dispatch, "worker");
  EXPECT_FALSE(has_error(a, "agent.dispatch"));
  EXPECT_FALSE(has_error(a, "agent.agent_name"));
  // An unnamed worker would be sent a job for every room on the server.
  ConfigSources unnamed;
  unnamed.overrides["agent.dispatch"] = "worker";
  EXPECT_TRUE(has_error(load_config(unnamed), "agent.agent_name"));
  ConfigSources bad;
  bad.overrides["agent.dispatch"] = "both";
  EXPECT_TRUE(has_error(load_config(bad), "agent.dispatch"));
}

}  // namespace
}  // namespace parley

namespace parley {
namespace {

TEST(ConfigAgent, TransferTargetMustBeASipOrTelUri) {
  ConfigSources ok;
  ok.overrides["agent.transfer_to"] = "sip:operator@pbx.example.com";
  auto a = load_config(ok);
  EXPECT_EQ(a.config.agent.transfer_to, "sip:operator@pbx.example.com");
  for (const auto& i : a.issues) EXPECT_NE(i.key, "agent.transfer_to");
  ConfigSources bad;
  bad.overrides["agent.transfer_to"] = "operator@pbx";
  auto b = load_config(bad);
  bool found = false;
  for (const auto& i : b.issues) found |= i.key == "agent.transfer_to" && !i.warning;
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace parley
