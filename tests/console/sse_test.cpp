// Server-Sent Events framing: a newline in the data can never end an event or forge a field.
#include "console/sse.h"

#include <gtest/gtest.h>

namespace parley::console {
namespace {

TEST(Sse, OneLineEvent) {
  EXPECT_EQ(sse_event("call", R"({"id":"c1"})", 7), "id: 7\nevent: call\ndata: {\"id\":\"c1\"}\n\n");
}

TEST(Sse, EveryLineOfDataGetsItsOwnField) {
  EXPECT_EQ(sse_event("line", "a\nb\r\nc\rd", 1), "id: 1\nevent: line\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
}

TEST(Sse, ANewlineCannotForgeAnEventOrEndItEarly) {
  auto frame = sse_event("line", "x\n\nevent: evil\ndata: y", 2);
  // The blank line inside became an empty data line, and "event: evil" is data, not a field.
  EXPECT_EQ(frame, "id: 2\nevent: line\ndata: x\ndata: \ndata: event: evil\ndata: data: y\n\n");
  EXPECT_EQ(frame.find("\n\n"), frame.size() - 2);
}

TEST(Sse, EmptyDataAndEventNames) {
  EXPECT_EQ(sse_event("ping", "", 3), "id: 3\nevent: ping\ndata: \n\n");
  EXPECT_EQ(sse_event("a\nb", "x", 4), "id: 4\nevent: a_b\ndata: x\n\n");
}

TEST(Sse, Comments) {
  EXPECT_EQ(sse_comment("keep-alive"), ": keep-alive\n\n");
  EXPECT_EQ(sse_comment("a\nb"), ": a b\n\n");
}

}  // namespace
}  // namespace parley::console
