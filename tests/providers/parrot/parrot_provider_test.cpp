// The example provider (parrot_provider.cpp), registered only by its folder's line of the build:
// chosen in parley.yaml, read, checked and redacted like a built-in section, and built into the
// agent's provider set.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <boost/asio/io_context.hpp>

#include "agent/provider_set.h"
#include "core/clock.h"
#include "core/config.h"
#include "support/manual_event_loop.h"

namespace parley {
namespace {

std::string write_temp(const std::string& text) {
  static int n = 0;
  auto path = std::filesystem::temp_directory_path() /
              ("parley_parrot_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

ConfigLoad load(const std::string& yaml, std::map<std::string, std::string> env = {{"PARROT_API_KEY", "parrot-key-1"}}) {
  ConfigSources s;
  s.file = write_temp("livekit: {url: 'ws://127.0.0.1:7880', api_key: devkey}\n" + yaml);
  s.env = std::move(env);
  s.env["LIVEKIT_API_SECRET"] = "secret";
  auto out = load_config(s);
  std::filesystem::remove(*s.file);
  return out;
}

const ConfigIssue* find_issue(const ConfigLoad& l, const std::string& key, bool warning = false) {
  for (const auto& i : l.issues) {
    if (i.key == key && i.warning == warning) return &i;
  }
  return nullptr;
}

const char* kChosen = "providers: {stt: [parrot], llm: [parrot], tts: [flite], parrot: {phrase: 'what time is it'}}\n";

TEST(ParrotProvider, IsAKnownProviderOfItsRolesOnly) {
  auto stt = known_providers("stt");
  auto tts = known_providers("tts");
  EXPECT_NE(std::find(stt.begin(), stt.end(), "parrot"), stt.end());
  EXPECT_EQ(std::find(tts.begin(), tts.end(), "parrot"), tts.end());
  auto l = load("providers: {tts: [parrot]}\n");
  const auto* issue = find_issue(l, "providers.tts");
  ASSERT_NE(issue, nullptr);
  EXPECT_EQ(issue->message, "'parrot' is not a known tts provider");
}

TEST(ParrotProvider, SectionIsReadWithDefaultsAndItsSecretFromTheEnvironment) {
  auto l = load(kChosen);
  for (const auto& i : l.issues) ADD_FAILURE() << i.to_string();
  auto s = l.config.providers.section("parrot");
  EXPECT_EQ(s.text("phrase"), "what time is it");
  EXPECT_EQ(s.text("prefix"), "You said: ");
  EXPECT_EQ(s.integer("max_words"), 20);
  EXPECT_EQ(s.text("api_key"), "parrot-key-1");
  // Shown redacted, kept out of logs, and part of the configuration's hash.
  auto j = l.config.to_json();
  EXPECT_EQ(j["providers"]["parrot"]["api_key"], "[redacted]");
  EXPECT_EQ(j["providers"]["parrot"]["max_words"], 20);
  EXPECT_EQ(l.config.to_json(true)["providers"]["parrot"]["api_key"], "parrot-key-1");
  auto secrets = l.config.secrets();
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "parrot-key-1"), secrets.end());
  auto other = load(kChosen, {{"PARROT_API_KEY", "parrot-key-2"}});
  EXPECT_NE(l.config.hash(), other.config.hash());
}

TEST(ParrotProvider, ChecksItsSectionOnlyWhenChosen) {
  auto bad = load(kChosen, {});
  const auto* key = find_issue(bad, "providers.parrot.api_key");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->to_string(),
            "error: providers.parrot.api_key: is not set but the parrot provider is chosen (fix: export PARROT_API_KEY)");
  auto empty = load("providers: {llm: [parrot, script], parrot: {prefix: ''}}\n");
  ASSERT_NE(find_issue(empty, "providers.parrot.prefix"), nullptr);
  auto unused = load("providers: {parrot: {prefix: ''}}\n", {});
  EXPECT_TRUE(unused.ok());
  EXPECT_EQ(find_issue(unused, "providers.parrot.prefix"), nullptr);
}

TEST(ParrotProvider, BadValuesAndMisspeltKeysNameTheKeyAndTheFix) {
  auto range = load("providers: {parrot: {max_words: 0}}\n");
  const auto* issue = find_issue(range, "providers.parrot.max_words");
  ASSERT_NE(issue, nullptr);
  EXPECT_EQ(issue->fix, "use a whole number from 1 to 100");
  auto typo = load("providers: {parrot: {prefx: 'Hi '}}\n");
  issue = find_issue(typo, "providers.parrot.prefx");
  ASSERT_NE(issue, nullptr);
  EXPECT_EQ(issue->fix, "did you mean 'providers.parrot.prefix'?");
  auto literal = load("providers: {parrot: {api_key: written-here}}\n", {});
  EXPECT_NE(find_issue(literal, "providers.parrot.api_key", true), nullptr);
}

TEST(ParrotProvider, TheProviderSetBuildsAndUsesIt) {
  auto l = load(kChosen);
  ASSERT_TRUE(l.ok());
  boost::asio::io_context io;
  auto set = agent::ProviderSet::create(l.config, io);
  ASSERT_TRUE(set) << set.error().to_string();
  EXPECT_TRUE((*set)->skipped().empty());

  auto recognizer = (*set)->recognizer("en");
  ASSERT_NE(recognizer, nullptr);
  EXPECT_EQ(recognizer->name(), "parrot");
  std::string heard;
  recognizer->finish([&](Result<std::string> r) { heard = r.value_or("(failed)"); });
  EXPECT_EQ(heard, "what time is it");

  ManualClock clock;
  testing::ManualEventLoop loop(clock);
  auto llm = (*set)->llm(loop, log::root());
  providers::ChatContext context;
  context.messages.push_back(providers::ChatMessage::user(heard));
  std::string reply;
  bool done = false;
  auto stream = llm->chat(context, {[&](std::string delta) { reply += delta; }, {}, [&](Status s) { done = s.has_value(); }});
  loop.run_ready();
  EXPECT_TRUE(done);
  EXPECT_EQ(reply, "You said: what time is it");
}

}  // namespace
}  // namespace parley
