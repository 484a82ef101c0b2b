#include "core/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace parley::metrics {
namespace {

TEST(Metrics, RendersPrometheusText) {
  Registry r;
  r.counter("parley_webhooks_total", "Webhooks by event and result", {"event", "result"})
      .with({"room_started", "ok"})
      .inc();
  r.gauge("parley_active_calls", "Calls in progress").get().set(3);
  auto& h = r.histogram("parley_api_seconds", "API latency", {"method"}, {0.1, 1}).with({"CreateRoom"});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  std::string text = r.render();
  EXPECT_NE(text.find("# TYPE parley_webhooks_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("parley_webhooks_total{event=\"room_started\",result=\"ok\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("parley_active_calls 3\n"), std::string::npos);
  EXPECT_NE(text.find("parley_api_seconds_bucket{method=\"CreateRoom\",le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("parley_api_seconds_bucket{method=\"CreateRoom\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("parley_api_seconds_bucket{method=\"CreateRoom\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("parley_api_seconds_count{method=\"CreateRoom\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("parley_api_seconds_sum{method=\"CreateRoom\"} 5.55"), std::string::npos);
}

TEST(Metrics, EscapesLabelValues) {
  Registry r;
  r.counter("x_total", "x", {"v"}).with({"a\"b\\c\nd"}).inc();
  EXPECT_NE(r.render().find("x_total{v=\"a\\\"b\\\\c\\nd\"} 1"), std::string::npos);
}

TEST(Metrics, SameNameGivesSameFamilyAndWrongLabelCountThrows) {
  Registry r;
  auto& a = r.counter("c_total", "c", {"k"});
  auto& b = r.counter("c_total", "c", {"k"});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(a.with({}), std::logic_error);
  EXPECT_THROW(r.gauge("c_total", "c"), std::logic_error);
}

TEST(Metrics, ConcurrentIncrementsAreAllCounted) {
  Registry r;
  auto& c = r.counter("n_total", "n").get();
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) ts.emplace_back([&] { for (int j = 0; j < 10000; ++j) c.inc(); });
  for (auto& t : ts) t.join();
  EXPECT_EQ(c.value(), 40000);
}

}  // namespace
}  // namespace parley::metrics
