// `parley sip setup` and `parley sip status` as pure functions: server state + configuration
// -> actions, and -> mismatches with fixes.
#include <gtest/gtest.h>

#include "livekit/api/sip_setup_plan.h"
#include "livekit/api/sip_status.h"

namespace parley::livekit {
namespace {

SipDesired want() {
  SipDesired w;
  w.trunk_name = "parley-inbound";
  w.numbers = {"+74951234567"};
  w.allowed_addresses = {"203.0.113.0/24"};
  w.rule_name = "parley-calls";
  w.room_prefix = "call-";
  w.agent_names = {"parley"};
  return w;
}

SipInboundTrunk trunk(std::string id, std::string name, std::vector<std::string> numbers,
                      std::vector<std::string> addresses = {"203.0.113.0/24"}) {
  SipInboundTrunk t;
  t.sip_trunk_id = std::move(id);
  t.name = std::move(name);
  t.numbers = std::move(numbers);
  t.allowed_addresses = std::move(addresses);
  return t;
}

SipDispatchRule rule(std::string id, std::string name, std::vector<std::string> trunks,
                     std::vector<std::string> agents = {"parley"}, std::string kind = "individual",
                     std::string room = "call-") {
  SipDispatchRule r;
  r.sip_dispatch_rule_id = std::move(id);
  r.name = std::move(name);
  r.trunk_ids = std::move(trunks);
  r.agent_names = std::move(agents);
  r.kind = std::move(kind);
  r.room = std::move(room);
  r.raw = {{"sip_dispatch_rule_id", r.sip_dispatch_rule_id}, {"name", r.name}, {"metadata", "kept"}};
  return r;
}

bool mentions(const std::vector<SipFinding>& f, const std::string& text) {
  return std::any_of(f.begin(), f.end(), [&](const SipFinding& x) { return x.message.find(text) != std::string::npos; });
}

std::string all(const std::vector<SipFinding>& f) {
  std::string s;
  for (const auto& x : f) s += x.message + " | fix: " + x.fix + "\n";
  return s;
}

TEST(SipSetupPlan, DesiredStateFromTheConfiguration) {
  Config c;
  c.sip.inbound_trunk.numbers = {"+74951234567"};
  c.sip.inbound_trunk.auth_password = "unused-without-user";
  auto d = sip_desired(c);
  EXPECT_EQ(d.trunk_name, "parley-inbound");
  EXPECT_EQ(d.rule_name, "parley-calls");
  EXPECT_EQ(d.room_prefix, "call-");
  EXPECT_TRUE(d.agent_names.empty());  // agent.agent_name unset: the default dispatch
  EXPECT_EQ(d.auth_password, "");      // a password alone is not auth
  c.sip.inbound_trunk.auth_username = "u";
  c.agent.agent_name = "parley";
  d = sip_desired(c);
  EXPECT_EQ(d.auth_password, "unused-without-user");
  EXPECT_EQ(d.agent_names, std::vector<std::string>{"parley"});
}

TEST(SipSetupPlan, EmptyServerCreatesBoth) {
  auto p = plan_sip_setup(want(), {}, {});
  EXPECT_TRUE(p.problems.empty());
  EXPECT_EQ(p.trunk.action, SetupAction::kCreate);
  EXPECT_EQ(p.rule.action, SetupAction::kCreate);
  auto o = dispatch_rule_options(want(), "ST_new");
  EXPECT_EQ(o.kind, "individual");
  EXPECT_EQ(o.room, "call-");
  EXPECT_EQ(o.trunk_ids, std::vector<std::string>{"ST_new"});
  EXPECT_EQ(o.agent_names, std::vector<std::string>{"parley"});
}

TEST(SipSetupPlan, MatchingStateIsUnchanged) {
  auto p = plan_sip_setup(want(), {trunk("ST_1", "parley-inbound", {"+74951234567"})},
                          {rule("SDR_1", "parley-calls", {"ST_1"})});
  EXPECT_TRUE(p.problems.empty());
  EXPECT_EQ(p.trunk.action, SetupAction::kUnchanged);
  EXPECT_EQ(p.trunk.id, "ST_1");
  EXPECT_EQ(p.rule.action, SetupAction::kUnchanged) << p.rule.changes.front();
  EXPECT_EQ(p.rule.id, "SDR_1");
  EXPECT_TRUE(check_sip_status(want(), {trunk("ST_1", "parley-inbound", {"+74951234567"})},
                               {rule("SDR_1", "parley-calls", {"ST_1"})})
                  .empty());
}

TEST(SipSetupPlan, ChangedNumberUpdatesOnlyWhatDiffers) {
  auto w = want();
  w.numbers = {"+74951234568"};
  auto p = plan_sip_setup(w, {trunk("ST_1", "parley-inbound", {"+74951234567"})}, {rule("SDR_1", "parley-calls", {"ST_1"})});
  ASSERT_EQ(p.trunk.action, SetupAction::kUpdate);
  ASSERT_TRUE(p.trunk.update.numbers);
  EXPECT_EQ(*p.trunk.update.numbers, w.numbers);
  EXPECT_FALSE(p.trunk.update.allowed_addresses);
  EXPECT_FALSE(p.trunk.update.auth_username);
  EXPECT_FALSE(p.trunk.update.auth_password);
  ASSERT_EQ(p.trunk.changes.size(), 1u);
  EXPECT_EQ(p.trunk.changes[0], "numbers [+74951234567] -> [+74951234568]");
  EXPECT_EQ(p.rule.action, SetupAction::kUnchanged);
}

TEST(SipSetupPlan, PasswordChangeIsNamedButNeverShown) {
  auto w = want();
  w.auth_username = "novofon";
  w.auth_password = "new-password-1";
  auto t = trunk("ST_1", "parley-inbound", {"+74951234567"});
  t.auth_username = "novofon";
  t.auth_password = "old-password-0";
  auto p = plan_sip_setup(w, {t}, {rule("SDR_1", "parley-calls", {"ST_1"})});
  ASSERT_EQ(p.trunk.action, SetupAction::kUpdate);
  EXPECT_EQ(p.trunk.changes, std::vector<std::string>{"auth password changed"});
  EXPECT_EQ(*p.trunk.update.auth_password, "new-password-1");
  auto findings = check_sip_status(w, {t}, {rule("SDR_1", "parley-calls", {"ST_1"})});
  EXPECT_TRUE(mentions(findings, "auth password differs")) << all(findings);
  for (const auto& f : findings) {
    EXPECT_EQ(f.message.find("password-"), std::string::npos);
    EXPECT_EQ(f.fix.find("password-"), std::string::npos);
  }
}

TEST(SipSetupPlan, ClearingAddressesIsAnUpdateToAny) {
  auto w = want();
  w.allowed_addresses = {};
  auto p = plan_sip_setup(w, {trunk("ST_1", "parley-inbound", {"+74951234567"})}, {});
  ASSERT_EQ(p.trunk.action, SetupAction::kUpdate);
  ASSERT_TRUE(p.trunk.update.allowed_addresses);
  EXPECT_TRUE(p.trunk.update.allowed_addresses->empty());
  EXPECT_EQ(p.trunk.changes[0], "allowed addresses [203.0.113.0/24] -> any");
}

TEST(SipSetupPlan, RuleNamingAnotherAgentOrKindIsReplacedKeepingTheRest) {
  auto r = rule("SDR_1", "parley-calls", {"ST_1"}, {"someone-else"}, "direct", "lobby");
  auto p = plan_sip_setup(want(), {trunk("ST_1", "parley-inbound", {"+74951234567"})}, {r});
  ASSERT_EQ(p.rule.action, SetupAction::kUpdate);
  EXPECT_EQ(p.rule.changes.size(), 3u);  // kind, room prefix, agents
  EXPECT_EQ(p.rule.base["metadata"], "kept");
}

TEST(SipSetupPlan, NewTrunkRebindsAnExistingRuleOfOurs) {
  auto p = plan_sip_setup(want(), {}, {rule("SDR_1", "parley-calls", {"ST_gone"})});
  EXPECT_EQ(p.trunk.action, SetupAction::kCreate);
  EXPECT_EQ(p.rule.action, SetupAction::kUpdate);
  // Once the trunk exists with its id, the rule is bound to it.
  auto again = plan_dispatch_rule(want(), {rule("SDR_1", "parley-calls", {"ST_new"})}, "ST_new");
  EXPECT_EQ(again.action, SetupAction::kUnchanged);
}

TEST(SipSetupPlan, ConflictsStopTheSetupWithAFix) {
  // The same number, spelt the Russian national way, on someone else's trunk.
  auto p = plan_sip_setup(want(), {trunk("ST_other", "legacy", {"8 495 123-45-67"})}, {});
  ASSERT_EQ(p.problems.size(), 1u);
  EXPECT_NE(p.problems[0].message.find("+74951234567 is also on trunk 'legacy' (ST_other)"), std::string::npos);
  EXPECT_NE(p.problems[0].fix.find("parley sip trunk delete ST_other"), std::string::npos);

  auto two = plan_sip_setup(want(), {trunk("ST_a", "parley-inbound", {}), trunk("ST_b", "parley-inbound", {})}, {});
  ASSERT_FALSE(two.problems.empty());
  EXPECT_NE(two.problems[0].message.find("2 inbound trunks are named 'parley-inbound'"), std::string::npos);

  auto rival = plan_sip_setup(want(), {trunk("ST_1", "parley-inbound", {"+74951234567"})},
                              {rule("SDR_x", "manual", {"ST_1"}, {})});
  ASSERT_EQ(rival.problems.size(), 1u);
  EXPECT_NE(rival.problems[0].fix.find("parley sip dispatch delete SDR_x"), std::string::npos);
}

TEST(SipStatus, EmptyServerNamesWhatIsMissing) {
  auto f = check_sip_status(want(), {}, {});
  EXPECT_TRUE(mentions(f, "no inbound trunk has +74951234567")) << all(f);
  EXPECT_TRUE(mentions(f, "no inbound trunk is named 'parley-inbound'"));
  EXPECT_TRUE(mentions(f, "no dispatch rule is named 'parley-calls'"));
  for (const auto& x : f) EXPECT_FALSE(x.fix.empty());
}

TEST(SipStatus, NumberOnTwoTrunks) {
  auto f = check_sip_status(want(),
                            {trunk("ST_1", "parley-inbound", {"+74951234567"}), trunk("ST_2", "old", {"84951234567"})},
                            {rule("SDR_1", "parley-calls", {"ST_1"})});
  EXPECT_TRUE(mentions(f, "+74951234567 is on trunk 'old' (ST_2), not only on parley's 'parley-inbound'")) << all(f);
  // Also when parley's own trunk lacks it: the fix is to delete the other, not only to run setup.
  auto g = check_sip_status(want(), {trunk("ST_1", "parley-inbound", {}), trunk("ST_2", "old", {"+7 495 123 45 67"})},
                            {rule("SDR_1", "parley-calls", {"ST_1"})});
  EXPECT_TRUE(mentions(g, "is on trunk 'old' (ST_2)")) << all(g);
  EXPECT_FALSE(mentions(g, "no inbound trunk has")) << all(g);
}

TEST(SipStatus, NoRuleForTheTrunk) {
  auto f = check_sip_status(want(), {trunk("ST_1", "parley-inbound", {"+74951234567"})},
                            {rule("SDR_9", "other", {"ST_elsewhere"}, {})});
  EXPECT_TRUE(mentions(f, "no dispatch rule takes calls on trunk 'parley-inbound' (ST_1)")) << all(f);
}

TEST(SipStatus, RuleNamesAnotherAgent) {
  auto f = check_sip_status(want(), {trunk("ST_1", "parley-inbound", {"+74951234567"})},
                            {rule("SDR_1", "parley-calls", {"ST_1"}, {"billing-bot"})});
  EXPECT_TRUE(mentions(f, "dispatches agent [billing-bot], not parley's 'parley'")) << all(f);
  // A catch-all rule of someone else's naming another agent is reported too.
  auto g = check_sip_status(want(), {trunk("ST_1", "parley-inbound", {"+74951234567"})},
                            {rule("SDR_1", "parley-calls", {"ST_1"}), rule("SDR_2", "catch-all", {}, {"billing-bot"})});
  EXPECT_TRUE(mentions(g, "'catch-all' (SDR_2) dispatches agent [billing-bot]")) << all(g);
}

TEST(SipStatus, AllowedAddressesThatRefuseTheProvider) {
  auto f = check_sip_status(want(), {trunk("ST_1", "parley-inbound", {"+74951234567"}, {"198.51.100.7"})},
                            {rule("SDR_1", "parley-calls", {"ST_1"})});
  EXPECT_TRUE(mentions(f, "refuses the provider's 203.0.113.0/24")) << all(f);
  // A wider range on the trunk admits the configured one: that part is fine.
  auto wide = check_sip_status(want(), {trunk("ST_1", "parley-inbound", {"+74951234567"}, {"203.0.0.0/16"})},
                               {rule("SDR_1", "parley-calls", {"ST_1"})});
  EXPECT_FALSE(mentions(wide, "refuses")) << all(wide);
  EXPECT_TRUE(mentions(wide, "also accepts 203.0.0.0/16")) << all(wide);
}

TEST(SipStatus, AuthOnOneSideOnly) {
  auto t = trunk("ST_1", "parley-inbound", {"+74951234567"});
  t.auth_username = "novofon";
  t.auth_password = "pw-on-server";
  auto f = check_sip_status(want(), {t}, {rule("SDR_1", "parley-calls", {"ST_1"})});
  EXPECT_TRUE(mentions(f, "asks callers for digest auth")) << all(f);
  auto w = want();
  w.auth_username = "novofon";
  w.auth_password = "pw";
  auto g = check_sip_status(w, {trunk("ST_1", "parley-inbound", {"+74951234567"})}, {rule("SDR_1", "parley-calls", {"ST_1"})});
  EXPECT_TRUE(mentions(g, "asks for no auth")) << all(g);
}

}  // namespace
}  // namespace parley::livekit
