#include "net/http_status.h"

#include <gtest/gtest.h>

namespace parley::net {
namespace {

struct Case {
  int status;
  ErrorCode code;
  bool retryable;
};

TEST(HttpStatus, EachStatusHasOneCodeAndRetryability) {
  for (auto c : {Case{400, ErrorCode::kInvalidArgument, false}, Case{401, ErrorCode::kUnauthenticated, false},
                 Case{402, ErrorCode::kPermissionDenied, false}, Case{403, ErrorCode::kPermissionDenied, false},
                 Case{404, ErrorCode::kNotFound, false}, Case{408, ErrorCode::kTimeout, true},
                 Case{409, ErrorCode::kAlreadyExists, false}, Case{422, ErrorCode::kInvalidArgument, false},
                 Case{429, ErrorCode::kResourceExhausted, true}, Case{500, ErrorCode::kUnavailable, true},
                 Case{502, ErrorCode::kUnavailable, true}, Case{503, ErrorCode::kUnavailable, true},
                 Case{302, ErrorCode::kProtocol, false}, Case{200, ErrorCode::kProtocol, false},
                 Case{0, ErrorCode::kProtocol, false}}) {
    auto k = classify_http_status(c.status);
    EXPECT_EQ(k.code, c.code) << c.status;
    EXPECT_EQ(k.retryable, c.retryable) << c.status;
  }
}

TEST(HttpStatus, TheErrorKeepsTheCallersWords) {
  Error e = http_status_error(429, "the provider answered HTTP 429 (too many streams)");
  EXPECT_EQ(e.code, ErrorCode::kResourceExhausted);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.message, "the provider answered HTTP 429 (too many streams)");
}

}  // namespace
}  // namespace parley::net
