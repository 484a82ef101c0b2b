// SubscriptionWatch: when a room asks the server again for a remote audio track it was not
// offered.
#include <gtest/gtest.h>

#include "livekit/room/subscription_watch.h"

namespace parley::livekit {
namespace {

using std::chrono::milliseconds;
using Clock = SubscriptionWatch::Clock;

SubscriptionWatch::Options options() {
  SubscriptionWatch::Options o;
  o.grace = milliseconds(4000);
  o.resubscribe_gap = milliseconds(1000);
  o.max_interval = milliseconds(30'000);
  return o;
}

std::string describe(const std::vector<SubscriptionWatch::Ask>& asks) {
  std::string s;
  for (const auto& a : asks) s += a.track_sid + (a.subscribe ? "+" : "-") + std::to_string(a.attempt) + " ";
  return s;
}

TEST(SubscriptionWatch, AnOfferedTrackIsNeverAskedFor) {
  SubscriptionWatch w(options());
  Clock::time_point t0{};
  w.published("PA_caller", {"TR_a"}, t0);
  w.offered({"TR_a"}, t0 + milliseconds(300));
  EXPECT_EQ(describe(w.due(t0 + milliseconds(60'000))), "");
  EXPECT_TRUE(w.missing().empty());
}

TEST(SubscriptionWatch, AnOfferBeforeTheParticipantInfoCountsToo) {
  SubscriptionWatch w(options());
  Clock::time_point t0{};
  w.offered({"TR_a"}, t0);
  w.published("PA_caller", {"TR_a"}, t0 + milliseconds(100));
  EXPECT_EQ(describe(w.due(t0 + milliseconds(60'000))), "");
}

TEST(SubscriptionWatch, AMissingTrackIsAskedForAfterTheGraceThenDroppedAndAskedForAgainWithBackoff) {
  SubscriptionWatch w(options());
  Clock::time_point t0{};
  w.published("PA_caller", {"TR_a"}, t0);
  EXPECT_EQ(describe(w.due(t0 + milliseconds(3999))), "");
  EXPECT_EQ(w.missing(), std::vector<std::string>{"TR_a"});
  // 4 s: a plain subscribe.
  EXPECT_EQ(describe(w.due(t0 + milliseconds(4000))), "TR_a+1 ");
  EXPECT_EQ(describe(w.due(t0 + milliseconds(4000))), "");
  // 8 s later (the interval doubled): unsubscribe, and 1 s after it subscribe.
  EXPECT_EQ(describe(w.due(t0 + milliseconds(11'999))), "");
  EXPECT_EQ(describe(w.due(t0 + milliseconds(12'000))), "TR_a-2 ");
  EXPECT_EQ(describe(w.due(t0 + milliseconds(12'999))), "");
  EXPECT_EQ(describe(w.due(t0 + milliseconds(13'000))), "TR_a+2 ");
  // then 16 s, 30 s (the cap), 30 s
  EXPECT_EQ(describe(w.due(t0 + milliseconds(28'999))), "");
  EXPECT_EQ(describe(w.due(t0 + milliseconds(29'000))), "TR_a-3 ");
  EXPECT_EQ(describe(w.due(t0 + milliseconds(30'000))), "TR_a+3 ");
  EXPECT_EQ(describe(w.due(t0 + milliseconds(59'999))), "");
  EXPECT_EQ(describe(w.due(t0 + milliseconds(60'000))), "TR_a-4 ");
  EXPECT_EQ(describe(w.due(t0 + milliseconds(61'000))), "TR_a+4 ");
  EXPECT_EQ(describe(w.due(t0 + milliseconds(91'000))), "TR_a-5 ");
}

TEST(SubscriptionWatch, AnOfferStopsTheAsksAndADroppedTrackIsWaitedForAfresh) {
  SubscriptionWatch w(options());
  Clock::time_point t0{};
  w.published("PA_caller", {"TR_a"}, t0);
  EXPECT_EQ(describe(w.due(t0 + milliseconds(4000))), "TR_a+1 ");
  w.offered({"TR_a"}, t0 + milliseconds(4200));
  EXPECT_EQ(describe(w.due(t0 + milliseconds(60'000))), "");
  // The server drops it (a new offer without it): the grace starts again, from the first ask.
  const auto t1 = t0 + milliseconds(70'000);
  w.offered({}, t1);
  EXPECT_EQ(describe(w.due(t1 + milliseconds(3999))), "");
  EXPECT_EQ(describe(w.due(t1 + milliseconds(4000))), "TR_a+1 ");
}

TEST(SubscriptionWatch, ARefusedSubscriptionIsResubscribedAtOnce) {
  SubscriptionWatch w(options());
  Clock::time_point t0{};
  w.published("PA_caller", {"TR_a"}, t0);
  w.offered({"TR_a"}, t0 + milliseconds(200));
  // SubscriptionResponse with an error: the server holds a subscription that does not work.
  w.refused("TR_a", t0 + milliseconds(5000));
  EXPECT_EQ(describe(w.due(t0 + milliseconds(5000))), "TR_a-2 ");
  EXPECT_EQ(describe(w.due(t0 + milliseconds(6000))), "TR_a+2 ");
  w.refused("TR_unknown", t0 + milliseconds(6000));  // a track nobody published: ignored
  EXPECT_EQ(describe(w.due(t0 + milliseconds(6000))), "");
}

TEST(SubscriptionWatch, UnpublishedTracksAndParticipantsWhoLeftAreForgotten) {
  SubscriptionWatch w(options());
  Clock::time_point t0{};
  w.published("PA_caller", {"TR_a", "TR_b"}, t0);
  w.published("PA_other", {"TR_c"}, t0);
  w.published("PA_caller", {"TR_b"}, t0 + milliseconds(100));  // TR_a unpublished
  w.participant_left("PA_other");
  EXPECT_EQ(describe(w.due(t0 + milliseconds(4100))), "TR_b+1 ");
  w.clear();
  EXPECT_EQ(describe(w.due(t0 + milliseconds(60'000))), "");
  EXPECT_TRUE(w.missing().empty());
}

}  // namespace
}  // namespace parley::livekit
