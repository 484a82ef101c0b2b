#include "diagnose/runner.h"

#include <gtest/gtest.h>

#include "core/metrics.h"
#include "diagnose/checks.h"

namespace parley::diagnose {
namespace {

class Fixed final : public Check {
 public:
  Fixed(std::string name, Status status, std::vector<std::string> deps, int* runs)
      : name_(std::move(name)), status_(status), deps_(std::move(deps)), runs_(runs) {}
  std::string name() const override { return name_; }
  std::string title() const override { return "check " + name_; }
  std::vector<std::string> depends_on() const override { return deps_; }
  CheckResult run(Context&) override {
    ++*runs_;
    if (status_ == Status::kFail) return CheckResult::fail(name_ + " broke", "fix " + name_);
    if (status_ == Status::kWarn) return CheckResult::warn(name_ + " meh", "tune " + name_);
    return CheckResult::pass(name_ + " fine");
  }

 private:
  std::string name_;
  Status status_;
  std::vector<std::string> deps_;
  int* runs_;
};

TEST(DiagnoseRunner, SkipsWhatDependsOnAFailureAndRunsTheRest) {
  int runs = 0;
  std::vector<std::unique_ptr<Check>> checks;
  checks.push_back(std::make_unique<Fixed>("a", Status::kWarn, std::vector<std::string>{}, &runs));
  checks.push_back(std::make_unique<Fixed>("b", Status::kFail, std::vector<std::string>{"a"}, &runs));
  checks.push_back(std::make_unique<Fixed>("c", Status::kPass, std::vector<std::string>{"b"}, &runs));
  checks.push_back(std::make_unique<Fixed>("d", Status::kPass, std::vector<std::string>{"c"}, &runs));
  checks.push_back(std::make_unique<Fixed>("e", Status::kPass, std::vector<std::string>{"a"}, &runs));
  Context ctx(Config{}, {}, SystemClock::instance());
  std::vector<std::string> started;
  auto report = Runner(std::move(checks)).run(ctx, [&](const Check& c) { started.push_back(c.name()); });
  EXPECT_EQ(runs, 3);  // a, b, e
  EXPECT_EQ(started.size(), 5u);
  ASSERT_EQ(report.entries.size(), 5u);
  EXPECT_EQ(report.entries[1].result.status, Status::kFail);
  EXPECT_EQ(report.entries[2].result.status, Status::kSkip);
  EXPECT_NE(report.entries[2].result.detail.find("'b'"), std::string::npos);
  EXPECT_EQ(report.entries[3].result.status, Status::kSkip);  // transitively
  EXPECT_EQ(report.entries[4].result.status, Status::kPass);
  EXPECT_FALSE(report.ok());
  auto j = report.to_json();
  EXPECT_EQ(j["checks"][1]["check"], "b");
  EXPECT_EQ(j["checks"][1]["status"], "fail");
  EXPECT_EQ(j["checks"][1]["fix"], "fix b");
  EXPECT_EQ(j["summary"]["skip"], 2);
  std::string text = report.to_text();
  EXPECT_NE(text.find("FAIL  check b: b broke\n      fix: fix b"), std::string::npos) << text;
}

TEST(DiagnoseRunner, ExportsMetrics) {
  int runs = 0;
  std::vector<std::unique_ptr<Check>> checks;
  checks.push_back(std::make_unique<Fixed>("m1", Status::kPass, std::vector<std::string>{}, &runs));
  checks.push_back(std::make_unique<Fixed>("m2", Status::kFail, std::vector<std::string>{}, &runs));
  Context ctx(Config{}, {}, SystemClock::instance());
  export_metrics(Runner(std::move(checks)).run(ctx));
  std::string text = metrics::registry().render();
  EXPECT_NE(text.find("parley_diagnose_check_status{check=\"m1\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("parley_diagnose_check_status{check=\"m2\"} 2"), std::string::npos);
  EXPECT_NE(text.find("parley_diagnose_healthy 0"), std::string::npos);
}

TEST(DiagnoseChecks, ConfigCheckNamesMissingPiecesAndWeakSecrets) {
  auto check = make_config_check();
  Config c;
  Context empty(c, {}, SystemClock::instance());
  auto r = check->run(empty);
  EXPECT_EQ(r.status, Status::kFail);
  EXPECT_NE(r.fix.find("LIVEKIT_URL"), std::string::npos);
  c.livekit.url = "ftp://x";
  c.livekit.api_key = "k";
  c.livekit.api_secret = "s";
  Context bad_scheme(c, {}, SystemClock::instance());
  EXPECT_EQ(check->run(bad_scheme).status, Status::kFail);
  c.livekit.url = "wss://example.livekit.cloud";
  Context weak(c, {}, SystemClock::instance());
  r = check->run(weak);
  EXPECT_EQ(r.status, Status::kWarn);
  EXPECT_NE(r.detail.find("1 characters"), std::string::npos) << r.detail;
  c.livekit.api_secret = std::string(40, 'x');
  Context strong(c, {}, SystemClock::instance());
  EXPECT_EQ(check->run(strong).status, Status::kPass);
  c.livekit.url = "ws://livekit.example.com:7880";
  Context plaintext(c, {}, SystemClock::instance());
  r = check->run(plaintext);
  EXPECT_EQ(r.status, Status::kWarn);
  EXPECT_NE(r.detail.find("unencrypted"), std::string::npos) << r.detail;
  EXPECT_NE(r.fix.find("wss://livekit.example.com"), std::string::npos) << r.fix;
  c.livekit.url = "ws://127.0.0.1:7880";
  Context local(c, {}, SystemClock::instance());
  EXPECT_EQ(check->run(local).status, Status::kPass);
  c.livekit.api_key = "";
  Context nokey(c, {}, SystemClock::instance());
  EXPECT_EQ(check->run(nokey).status, Status::kFail);
}

TEST(DiagnoseChecks, BuiltinChecksHaveUniqueNamesAndKnownDependencies) {
  auto checks = builtin_checks();
  std::set<std::string> seen;
  for (const auto& c : checks) {
    for (const auto& d : c->depends_on()) EXPECT_TRUE(seen.count(d)) << c->name() << " depends on later/unknown " << d;
    EXPECT_TRUE(seen.insert(c->name()).second) << c->name();
  }
  EXPECT_TRUE(seen.count("webhook"));
  EXPECT_TRUE(seen.count("signal_ice"));
}

}  // namespace
}  // namespace parley::diagnose

namespace parley::diagnose {
namespace {

TEST(DiagnoseChecks, SplitFixSeparatesAMessagesFix) {
  auto [d1, f1] = split_fix("the certificate expired on 2020-02-01 (fix: renew it)");
  EXPECT_EQ(d1, "the certificate expired on 2020-02-01");
  EXPECT_EQ(f1, "renew it");
  auto [d2, f2] = split_fix("HTTP 404 (the headers were dropped; fix: pass them on)");
  EXPECT_EQ(d2, "HTTP 404 (the headers were dropped)");
  EXPECT_EQ(f2, "pass them on");
  auto [d3, f3] = split_fix("connection refused");
  EXPECT_EQ(d3, "connection refused");
  EXPECT_EQ(f3, "");
}

}  // namespace
}  // namespace parley::diagnose
