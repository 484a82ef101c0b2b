// The sip: section: numbers rewritten to E.164, addresses and auth validated, the password a
// secret like the others.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/config.h"

namespace parley {
namespace {

ConfigLoad load(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  static int n = 0;
  auto path = std::filesystem::temp_directory_path() /
              ("parley_sip_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".yaml");
  std::ofstream(path) << "livekit: {url: 'ws://127.0.0.1:7880', api_key: devkey}\n" << yaml;
  ConfigSources s;
  s.file = path.string();
  s.env = std::move(env);
  s.env["LIVEKIT_API_SECRET"] = "secret";
  auto l = load_config(s);
  std::filesystem::remove(path);
  return l;
}

const ConfigIssue* error_for(const ConfigLoad& l, const std::string& key) {
  for (const auto& i : l.issues) {
    if (i.key == key && !i.warning) return &i;
  }
  return nullptr;
}

TEST(SipConfig, DefaultsNeedNothing) {
  auto l = load("");
  EXPECT_TRUE(l.ok());
  EXPECT_EQ(l.config.sip.inbound_trunk.name, "parley-inbound");
  EXPECT_EQ(l.config.sip.dispatch_rule.name, "parley-calls");
  EXPECT_EQ(l.config.sip.dispatch_rule.room_prefix, "call-");
  EXPECT_TRUE(l.config.sip.inbound_trunk.numbers.empty());
}

TEST(SipConfig, NumbersBecomeE164) {
  auto l = load("sip: {inbound_trunk: {numbers: ['8 495 123-45-67', '+1 (555) 010-0000']}}\n");
  for (const auto& i : l.issues) ADD_FAILURE() << i.to_string();
  EXPECT_EQ(l.config.sip.inbound_trunk.numbers, (std::vector<std::string>{"+74951234567", "+15550100000"}));
  EXPECT_EQ(l.config.to_json()["sip"]["inbound_trunk"]["numbers"][0], "+74951234567");
}

TEST(SipConfig, BadNumberNamesKeyValueAndFix) {
  auto l = load("sip: {inbound_trunk: {numbers: ['495 123-45-67']}}\n");
  auto* i = error_for(l, "sip.inbound_trunk.numbers");
  ASSERT_NE(i, nullptr);
  EXPECT_NE(i->message.find("'495 123-45-67'"), std::string::npos) << i->message;
  EXPECT_NE(i->message.find("no country code"), std::string::npos) << i->message;
  EXPECT_NE(i->fix.find("+74951234567"), std::string::npos);
}

TEST(SipConfig, TheSameNumberTwiceIsAnError) {
  auto l = load("sip: {inbound_trunk: {numbers: ['+74951234567', '8 (495) 123-45-67']}}\n");
  auto* i = error_for(l, "sip.inbound_trunk.numbers");
  ASSERT_NE(i, nullptr);
  EXPECT_NE(i->message.find("listed twice"), std::string::npos);
}

TEST(SipConfig, AllowedAddressesMustBeIpsOrRanges) {
  auto good = load("sip: {inbound_trunk: {allowed_addresses: [203.0.113.10, 198.51.100.0/24, '2001:db8::/32']}}\n");
  EXPECT_TRUE(good.ok());
  auto bad = load("sip: {inbound_trunk: {allowed_addresses: [sip.provider.example, 10.0.0.0/40]}}\n");
  int n = 0;
  for (const auto& i : bad.issues) {
    if (i.key != "sip.inbound_trunk.allowed_addresses") continue;
    ++n;
    EXPECT_NE(i.fix.find("CIDR"), std::string::npos);
  }
  EXPECT_EQ(n, 2);
}

TEST(SipConfig, AuthNeedsBothHalves) {
  auto user_only = load("sip: {inbound_trunk: {auth_username: novofon}}\n");
  auto* i = error_for(user_only, "sip.inbound_trunk.auth_password");
  ASSERT_NE(i, nullptr);
  EXPECT_NE(i->fix.find("PARLEY_SIP_AUTH_PASSWORD"), std::string::npos);
  // A password alone is unused, with a warning: it may be there for `sip trunk create`.
  auto pass_only = load("", {{"PARLEY_SIP_AUTH_PASSWORD", "s3cret-pass"}});
  EXPECT_TRUE(pass_only.ok());
  auto secrets = pass_only.config.secrets();
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "s3cret-pass"), secrets.end());
  ASSERT_EQ(pass_only.issues.size(), 1u);
  EXPECT_TRUE(pass_only.issues[0].warning);
  EXPECT_EQ(pass_only.issues[0].key, "sip.inbound_trunk.auth_username");
}

TEST(SipConfig, PasswordFromTheEnvironmentIsASecret) {
  auto l = load("sip: {inbound_trunk: {auth_username: novofon}}\n", {{"PARLEY_SIP_AUTH_PASSWORD", "s3cret-pass"}});
  for (const auto& i : l.issues) ADD_FAILURE() << i.to_string();
  EXPECT_EQ(l.config.sip.inbound_trunk.auth_password, "s3cret-pass");
  EXPECT_EQ(l.config.to_json()["sip"]["inbound_trunk"]["auth_password"], "[redacted]");
  EXPECT_EQ(l.config.to_json().dump().find("s3cret-pass"), std::string::npos);
  auto secrets = l.config.secrets();
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "s3cret-pass"), secrets.end());
}

TEST(SipConfig, PasswordByReferenceOrWrittenIntoTheFile) {
  auto ref = load("sip: {inbound_trunk: {auth_username: u, auth_password: '${TRUNK_PW}'}}\n", {{"TRUNK_PW", "from-var"}});
  EXPECT_TRUE(ref.ok());
  EXPECT_EQ(ref.config.sip.inbound_trunk.auth_password, "from-var");
  auto literal = load("sip: {inbound_trunk: {auth_username: u, auth_password: written-here}}\n");
  bool warned = false;
  for (const auto& i : literal.issues) warned |= i.warning && i.key == "sip.inbound_trunk.auth_password";
  EXPECT_TRUE(warned);
}

TEST(SipConfig, EmptyNamesAndOddPrefixesAreRefused) {
  auto l = load("sip: {inbound_trunk: {name: ''}, dispatch_rule: {name: '', room_prefix: 'a b'}}\n");
  EXPECT_NE(error_for(l, "sip.inbound_trunk.name"), nullptr);
  EXPECT_NE(error_for(l, "sip.dispatch_rule.name"), nullptr);
  EXPECT_NE(error_for(l, "sip.dispatch_rule.room_prefix"), nullptr);
}

TEST(SipConfig, MisspeltKeyIsNamed) {
  auto l = load("sip: {inbound_trunk: {number: ['+74951234567']}}\n");
  auto* i = error_for(l, "sip.inbound_trunk.number");
  ASSERT_NE(i, nullptr);
  EXPECT_NE(i->fix.find("sip.inbound_trunk.numbers"), std::string::npos);
}

}  // namespace
}  // namespace parley
