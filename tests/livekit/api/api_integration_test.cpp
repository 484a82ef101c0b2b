// The server API client and tokens against the real livekit-server of the shared stack
// (ws://127.0.0.1:7880, devkey/secret), with the official Python SDK and aiohttp as the
// independent client.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "livekit/api/agent_dispatch_client.h"
#include "livekit/api/room_service_client.h"
#include "livekit/api/sip_client.h"
#include "livekit/api/twirp_client.h"
#include "livekit/auth/shifted_clock.h"

namespace parley::livekit {
namespace {

constexpr const char* kUrl = "ws://127.0.0.1:7880";

std::string unique(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  return prefix + "-" + std::to_string(rng() % 1000000000);
}

std::unique_ptr<TwirpClient> client(const std::string& key = "devkey", const std::string& secret = "secret",
                                    const Clock* clock = nullptr) {
  ApiOptions o;
  o.url = kUrl;
  o.api_key = key;
  o.api_secret = secret;
  o.request_timeout = std::chrono::milliseconds(5000);
  if (clock) o.clock = clock;
  auto c = TwirpClient::create(o);
  EXPECT_TRUE(c);
  return std::move(*c);
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// Polls the file until it holds a line starting with `what`, or the deadline passes.
bool wait_for_line(const std::string& path, const std::string& what, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream f(path);
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind(what, 0) == 0) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

SecretLookup dev_keys() {
  return [](std::string_view k) -> std::optional<std::string> {
    if (k == "devkey") return "secret";
    return std::nullopt;
  };
}

TEST(LiveKitApi, ParleyJoinTokenPassesRtcValidate) {
  TokenClaims c;
  c.identity = "validator";
  c.video = VideoGrant{};
  c.video->room_join = true;
  c.video->room = unique("validate");
  auto tok = mint_token(c, "devkey", "secret", std::chrono::minutes(5));
  ASSERT_TRUE(tok);
  HttpClient http(*parse_url(kUrl), std::chrono::milliseconds(5000));
  auto res = http.request({"GET", "/rtc/validate?access_token=" + *tok, {}, ""});
  ASSERT_TRUE(res) << res.error().to_string();
  EXPECT_EQ(res->status, 200) << res->body;
  // Without roomJoin the server refuses it: the check above can fail.
  c.video->room_join = false;
  auto refused = http.request({"GET", "/rtc/validate?access_token=" + *mint_token(c, "devkey", "secret", std::chrono::minutes(5)), {}, ""});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  // One keep-alive connection served both.
  EXPECT_EQ(http.connections_opened(), 1);
}

TEST(LiveKitApi, PythonSdkTokenVerifiesAndTamperedDoesNot) {
  std::string tok = run(std::string(PARLEY_TEST_PYTHON) +
                        " -W ignore -c \"from livekit import api; import datetime; print(api.AccessToken('devkey','secret')"
                        ".with_identity('py-user').with_name('Py').with_metadata('m1').with_attributes({'a':'b'})"
                        ".with_kind('agent').with_ttl(datetime.timedelta(minutes=5))"
                        ".with_grants(api.VideoGrants(room_join=True, room='pyroom', can_publish=False, can_publish_sources=['microphone']))"
                        ".with_sip_grants(api.SIPGrants(admin=True)).to_jwt())\"");
  ASSERT_EQ(std::count(tok.begin(), tok.end(), '.'), 2) << tok;
  auto claims = verify_token(tok, dev_keys());
  ASSERT_TRUE(claims) << claims.error().to_string();
  EXPECT_EQ(claims->identity, "py-user");
  EXPECT_EQ(claims->name, "Py");
  EXPECT_EQ(claims->metadata, "m1");
  EXPECT_EQ(claims->kind, "agent");
  EXPECT_EQ(claims->attributes.at("a"), "b");
  ASSERT_TRUE(claims->video);
  EXPECT_TRUE(claims->video->room_join);
  EXPECT_EQ(claims->video->room, "pyroom");
  EXPECT_EQ(claims->video->can_publish, std::optional<bool>(false));
  EXPECT_EQ(claims->video->can_publish_sources, std::vector<std::string>{"microphone"});
  ASSERT_TRUE(claims->sip);
  EXPECT_TRUE(claims->sip->admin);
  EXPECT_FALSE(claims->sip->call);
  EXPECT_EQ(claims->expires_at - claims->not_before, std::chrono::minutes(5));
  // Tampered: one payload character changed.
  std::string tampered = tok;
  size_t mid = tok.find('.') + 5;
  tampered[mid] = tampered[mid] == 'A' ? 'B' : 'A';
  auto bad = verify_token(tampered, dev_keys());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kUnauthenticated);
  // A Python token signed with another secret.
  std::string other = run(std::string(PARLEY_TEST_PYTHON) +
                          " -W ignore -c \"from livekit import api; print(api.AccessToken('devkey','not-the-secret').with_identity('x').to_jwt())\"");
  EXPECT_EQ(token_error_kind(verify_token(other, dev_keys()).error()), TokenErrorKind::kBadSignature);
}

TEST(LiveKitApi, RoomServiceWithARealParticipant) {
  auto c = client();
  RoomServiceClient rooms(*c);
  std::string room = unique("api-room");
  CreateRoomOptions create;
  create.name = room;
  create.empty_timeout = 30;
  create.metadata = "m0";
  auto created = rooms.create_room(create);
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ(created->name, room);
  EXPECT_EQ(created->sid.rfind("RM_", 0), 0u);
  auto listed = rooms.list_rooms({room});
  ASSERT_TRUE(listed) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].metadata, "m0");
  auto meta = rooms.update_room_metadata(room, "m1");
  ASSERT_TRUE(meta) << meta.error().to_string();
  EXPECT_EQ(meta->metadata, "m1");

  // A participant joins with a parley-minted token over an independent WebSocket client.
  TokenClaims join;
  join.identity = "bob";
  join.video = VideoGrant{};
  join.video->room_join = true;
  join.video->room = room;
  std::string events = std::string(PARLEY_BINARY_DIR) + "/" + unique("signal-events") + ".txt";
  std::string cmd = std::string(PARLEY_TEST_PYTHON) + " " + PARLEY_SOURCE_DIR + "/tests/livekit/api/signal_join.py " +
                    kUrl + " " + *mint_token(join, "devkey", "secret", std::chrono::minutes(5)) + " " + events +
                    " 60 >/dev/null 2>&1 &";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  ASSERT_TRUE(wait_for_line(events, "frame", std::chrono::seconds(20))) << "the server sent no JoinResponse";

  auto participants = rooms.list_participants(room);
  ASSERT_TRUE(participants) << participants.error().to_string();
  ASSERT_EQ(participants->size(), 1u);
  EXPECT_EQ((*participants)[0].identity, "bob");
  auto got = rooms.get_participant(room, "bob");
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got->sid.rfind("PA_", 0), 0u);
  UpdateParticipantOptions update;
  update.metadata = "updated";
  update.attributes = {{"role", "caller"}};
  auto updated = rooms.update_participant(room, "bob", update);
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_EQ(updated->metadata, "updated");
  EXPECT_EQ(updated->attributes.at("role"), "caller");
  SendDataOptions data;
  data.room = room;
  data.data = "hello";
  data.topic = "t";
  EXPECT_TRUE(rooms.send_data(data));
  // bob publishes nothing: livekit-server accepts the token and answers with no track.
  auto mute = rooms.mute_published_track(room, "bob", "TR_none", true);
  ASSERT_TRUE(mute) << mute.error().message;
  EXPECT_EQ(json_string(*mute, "sid"), "");

  AgentDispatchClient dispatch(*c);
  auto d = dispatch.create_dispatch(room, "parley-test-agent", "meta");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->agent_name, "parley-test-agent");
  auto ds = dispatch.list_dispatch(room);
  ASSERT_TRUE(ds) << ds.error().to_string();
  EXPECT_TRUE(std::any_of(ds->begin(), ds->end(), [&](const AgentDispatch& x) { return x.id == d->id; }));
  EXPECT_TRUE(dispatch.delete_dispatch(d->id, room));

  ASSERT_TRUE(rooms.remove_participant(room, "bob"));
  EXPECT_TRUE(wait_for_line(events, "closed", std::chrono::seconds(10))) << "the removed participant stayed connected";
  EXPECT_TRUE(rooms.delete_room(room));
  auto gone = rooms.list_rooms({room});
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->empty());
  auto again = rooms.delete_room(room);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  std::remove(events.c_str());
}

TEST(LiveKitApi, SipTrunksRulesAndCalls) {
  auto c = client();
  SipClient sip(*c);
  CreateInboundTrunkOptions in;
  in.name = unique("in");
  in.numbers = {"+15550100"};
  auto trunk = sip.create_inbound_trunk(in);
  ASSERT_TRUE(trunk) << trunk.error().to_string();
  EXPECT_EQ(trunk->sip_trunk_id.rfind("ST_", 0), 0u);
  CreateOutboundTrunkOptions out;
  out.name = unique("out");
  out.address = "sip.example.invalid";
  out.numbers = {"+15550199"};
  auto outbound = sip.create_outbound_trunk(out);
  ASSERT_TRUE(outbound) << outbound.error().to_string();
  CreateDispatchRuleOptions rule;
  rule.name = unique("rule");
  rule.kind = "individual";
  rule.room = "call-";
  rule.trunk_ids = {trunk->sip_trunk_id};
  rule.agent_names = {"parley"};
  auto created = sip.create_dispatch_rule(rule);
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ(created->agent_names, std::vector<std::string>{"parley"});

  auto trunks = sip.list_inbound_trunks();
  ASSERT_TRUE(trunks);
  EXPECT_TRUE(std::any_of(trunks->begin(), trunks->end(), [&](auto& t) { return t.sip_trunk_id == trunk->sip_trunk_id; }));
  auto outs = sip.list_outbound_trunks();
  ASSERT_TRUE(outs);
  EXPECT_TRUE(std::any_of(outs->begin(), outs->end(), [&](auto& t) { return t.address == "sip.example.invalid"; }));
  auto rules = sip.list_dispatch_rules();
  ASSERT_TRUE(rules);
  auto found = std::find_if(rules->begin(), rules->end(),
                            [&](auto& r) { return r.sip_dispatch_rule_id == created->sip_dispatch_rule_id; });
  ASSERT_NE(found, rules->end());
  EXPECT_EQ(found->kind, "individual");
  EXPECT_EQ(found->room, "call-");
  EXPECT_EQ(found->trunk_ids, std::vector<std::string>{trunk->sip_trunk_id});

  // Calls need the SIP bridge, which is not installable here: the server accepts the token
  // (no 401) and answers about the trunk or the call instead.
  CreateSipParticipantOptions call;
  call.sip_trunk_id = "ST_doesnotexist";
  call.sip_call_to = "+15550111";
  call.room_name = "call-room";
  auto placed = sip.create_sip_participant(call);
  ASSERT_FALSE(placed);
  EXPECT_NE(placed.error().code, ErrorCode::kUnauthenticated) << placed.error().message;
  auto transfer = sip.transfer_sip_participant("call-room", "nobody", "tel:+15550112");
  ASSERT_FALSE(transfer);
  EXPECT_NE(transfer.error().code, ErrorCode::kUnauthenticated) << transfer.error().message;

  EXPECT_TRUE(sip.delete_dispatch_rule(created->sip_dispatch_rule_id));
  EXPECT_TRUE(sip.delete_trunk(trunk->sip_trunk_id));
  EXPECT_TRUE(sip.delete_trunk(outbound->sip_trunk_id));
  auto missing = sip.delete_dispatch_rule(created->sip_dispatch_rule_id);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(LiveKitApi, AuthFailuresAreExplained) {
  auto unknown = RoomServiceClient(*client("nokey", "secret")).list_rooms();
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown API key nokey"), std::string::npos) << unknown.error().message;
  auto wrong = RoomServiceClient(*client("devkey", "wrong-secret")).list_rooms();
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("secret for API key devkey does not match"), std::string::npos)
      << wrong.error().message;
  ShiftedClock ahead(SystemClock::instance(), std::chrono::seconds(300));
  auto skew = RoomServiceClient(*client("devkey", "secret", &ahead)).list_rooms();
  ASSERT_FALSE(skew);
  EXPECT_NE(skew.error().message.find("behind the clock that minted the token"), std::string::npos)
      << skew.error().message;
  // Within the leeway the server accepts the token.
  ShiftedClock slight(SystemClock::instance(), std::chrono::seconds(20));
  EXPECT_TRUE(RoomServiceClient(*client("devkey", "secret", &slight)).list_rooms());
}

}  // namespace
}  // namespace parley::livekit
