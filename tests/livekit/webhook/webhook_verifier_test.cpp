#include "livekit/webhook/webhook_verifier.h"

#include <gtest/gtest.h>

#include "test_support/webhook_signer.h"

namespace parley::livekit::webhook {
namespace {

using testing::sign_webhook;
using testing::SignOptions;

class WebhookVerifierTest : public ::testing::Test {
 protected:
  ManualClock clock;
  WebhookVerifier verifier{{{"devkey", "secret"}, {"newkey", "a-rotated-secret-of-32-characters!"}}, clock};
  std::string body = R"({"event":"room_started","room":{"name":"r1"},"id":"EV_1"})";
  SignOptions at_now() {
    SignOptions o;
    o.now = clock.wall();
    return o;
  }
};

TEST_F(WebhookVerifierTest, AcceptsRawAndBearerTokensOfEveryKey) {
  auto t = sign_webhook("devkey", "secret", body, at_now());
  auto ok = verifier.verify(t, body);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->api_key, "devkey");
  EXPECT_TRUE(verifier.verify("Bearer " + t, body));
  auto rotated = verifier.verify(sign_webhook("newkey", "a-rotated-secret-of-32-characters!", body, at_now()), body);
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->api_key, "newkey");
}

TEST_F(WebhookVerifierTest, SayWhyEachForgeryFails) {
  auto expect = [&](std::string_view auth, std::string_view b, WebhookAuthFailure f) {
    auto r = verifier.verify(auth, b);
    ASSERT_FALSE(r) << auth;
    EXPECT_EQ(r.error().failure, f) << r.error().message;
    EXPECT_EQ(r.error().message.find("secret\""), std::string::npos);
    EXPECT_EQ(r.error().message.find("a-rotated"), std::string::npos);
  };
  expect("", body, WebhookAuthFailure::kMissing);
  expect("Bearer ", body, WebhookAuthFailure::kMissing);
  expect("not-a-jwt", body, WebhookAuthFailure::kMalformed);
  expect("a.b.c.d", body, WebhookAuthFailure::kMalformed);
  expect("!!.??.**", body, WebhookAuthFailure::kMalformed);
  expect(sign_webhook("otherkey", "secret", body, at_now()), body, WebhookAuthFailure::kUnknownKey);
  expect(sign_webhook("devkey", "wrong-secret", body, at_now()), body, WebhookAuthFailure::kBadSignature);
  expect(sign_webhook("devkey", "secret", body, at_now()), body + " ", WebhookAuthFailure::kBodyMismatch);
  std::string tampered = body;
  tampered[tampered.find("r1")] = 'x';
  expect(sign_webhook("devkey", "secret", body, at_now()), tampered, WebhookAuthFailure::kBodyMismatch);
  auto none = at_now();
  none.alg = "none";
  expect(sign_webhook("devkey", "secret", body, none), body, WebhookAuthFailure::kMalformed);
  auto hs512 = at_now();
  hs512.alg = "HS512";
  expect(sign_webhook("devkey", "secret", body, hs512), body, WebhookAuthFailure::kMalformed);
  // A signature cut short, or one byte changed, never verifies.
  auto t = sign_webhook("devkey", "secret", body, at_now());
  expect(t.substr(0, t.size() - 4), body, WebhookAuthFailure::kBadSignature);
  std::string flipped = t;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  expect(flipped, body, WebhookAuthFailure::kBadSignature);
  // sha256 of the body, but unpadded: LiveKit uses standard padded base64, nothing else passes.
  auto unpadded = at_now();
  unpadded.sha_override = body_sha256_base64(body).substr(0, 43);
  expect(sign_webhook("devkey", "secret", body, unpadded), body, WebhookAuthFailure::kBodyMismatch);
}

TEST_F(WebhookVerifierTest, ExpiryAndNotBeforeHaveOneMinuteOfLeeway) {
  auto o = at_now();
  o.exp_offset_s = -50;  // expired 50 s ago: inside the leeway
  EXPECT_TRUE(verifier.verify(sign_webhook("devkey", "secret", body, o), body));
  o.exp_offset_s = -61;
  auto r = verifier.verify(sign_webhook("devkey", "secret", body, o), body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, WebhookAuthFailure::kExpired);
  o.exp_offset_s = 600;
  o.nbf_offset_s = 50;
  EXPECT_TRUE(verifier.verify(sign_webhook("devkey", "secret", body, o), body));
  o.nbf_offset_s = 120;
  r = verifier.verify(sign_webhook("devkey", "secret", body, o), body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, WebhookAuthFailure::kNotYetValid);
  // The same token, valid now, is refused once the clock passes exp + leeway.
  auto t = sign_webhook("devkey", "secret", body, at_now());
  EXPECT_TRUE(verifier.verify(t, body));
  clock.advance(std::chrono::seconds(300 + 61));
  r = verifier.verify(t, body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, WebhookAuthFailure::kExpired);
}

// HMAC with an empty key is computable by anyone, so a key configured with an empty secret
// (e.g. a ${VARIABLE} that expands to nothing) must not let a forged webhook through.
TEST(WebhookVerifierEmptySecret, RefusesWebhooksSignedWithAnEmptySecret) {
  ManualClock clock;
  WebhookVerifier verifier{{{"devkey", "secret"}, {"oldkey", ""}}, clock};
  std::string body = R"({"event":"room_started","room":{"name":"r1"},"id":"EV_1"})";
  SignOptions o;
  o.now = clock.wall();
  auto forged = verifier.verify(sign_webhook("oldkey", "", body, o), body);
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().failure, WebhookAuthFailure::kUnknownKey) << forged.error().message;
  EXPECT_EQ(verifier.key_count(), 1u);
  EXPECT_TRUE(verifier.verify(sign_webhook("devkey", "secret", body, o), body));
}

TEST(WebhookBodyHash, IsStandardPaddedBase64OfSha256) {
  // sha256("") = e3b0c442...; its standard base64.
  EXPECT_EQ(body_sha256_base64(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

}  // namespace
}  // namespace parley::livekit::webhook
