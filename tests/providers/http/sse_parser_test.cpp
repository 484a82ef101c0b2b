#include <gtest/gtest.h>

#include "providers/http/sse_parser.h"

namespace parley::providers {
namespace {

std::vector<SseEvent> parse_in_pieces(std::string_view text, size_t piece) {
  SseParser p;
  std::vector<SseEvent> out;
  for (size_t i = 0; i < text.size(); i += piece) {
    EXPECT_TRUE(p.feed(text.substr(i, piece), [&](SseEvent e) { out.push_back(std::move(e)); }));
  }
  return out;
}

TEST(SseParser, EventsWhateverTheChunkingAndLineEndings) {
  std::string text =
      "data: {\"a\":1}\n\n"
      ": a comment\r\n"
      "event: update\r\ndata: line one\r\ndata:line two\r\n\r\n"
      "id: 7\rretry: 10\rdata: [DONE]\r\r";
  for (size_t piece : {1, 2, 3, 7, 1000}) {
    auto ev = parse_in_pieces(text, piece);
    ASSERT_EQ(ev.size(), 3u) << piece;
    EXPECT_EQ(ev[0].data, "{\"a\":1}");
    EXPECT_EQ(ev[0].event, "");
    EXPECT_EQ(ev[1].event, "update");
    EXPECT_EQ(ev[1].data, "line one\nline two");
    EXPECT_EQ(ev[2].data, "[DONE]");
    EXPECT_EQ(ev[2].event, "");
  }
}

TEST(SseParser, AnUnfinishedEventIsPendingAndBlankLinesAloneDispatchNothing) {
  SseParser p;
  int n = 0;
  ASSERT_TRUE(p.feed("\n\n\r\n", [&](SseEvent) { ++n; }));
  EXPECT_EQ(n, 0);
  EXPECT_FALSE(p.pending());
  ASSERT_TRUE(p.feed("data: half", [&](SseEvent) { ++n; }));
  EXPECT_TRUE(p.pending());
  ASSERT_TRUE(p.feed("\n", [&](SseEvent) { ++n; }));
  EXPECT_TRUE(p.pending());
  ASSERT_TRUE(p.feed("\n", [&](SseEvent) { ++n; }));
  EXPECT_EQ(n, 1);
  EXPECT_FALSE(p.pending());
}

TEST(SseParser, AnEndlessLineIsAnError) {
  SseParser p(64);
  auto st = p.feed(std::string(100, 'x'), [](SseEvent) {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kProtocol);
}

}  // namespace
}  // namespace parley::providers
