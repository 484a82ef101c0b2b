// The parts room.cpp is built from, each on its own: the reconnect policy's decisions, the text
// stream writer (read back by the reader the room uses for incoming streams) and the
// participant list.
#include <gtest/gtest.h>

#include "livekit/proto/livekit_models.pb.h"
#include "livekit/room/participants.h"
#include "livekit/room/reconnect_policy.h"
#include "livekit/room/text_stream_reader.h"
#include "livekit/room/text_stream_writer.h"

namespace parley::livekit {
namespace {

namespace lk = ::livekit;

ConnectionState connected() {
  ConnectionState s;
  s.connected = true;
  return s;
}

TEST(ReconnectPolicy, BeforeTheFirstJoinEveryFailureFailsTheJoin) {
  ConnectionState joining;
  EXPECT_EQ(reconnect_policy::on_signal_lost(joining), Recovery::kFailJoin);
  EXPECT_EQ(reconnect_policy::on_connect_failed(joining), Recovery::kFailJoin);
  EXPECT_EQ(reconnect_policy::on_server_leave(joining, lk::LeaveRequest::RESUME), Recovery::kFailJoin);
  EXPECT_EQ(reconnect_policy::on_media_failed(joining), Recovery::kNone);
}

TEST(ReconnectPolicy, ALostSignalResumesUnlessTheServerForbidsIt) {
  EXPECT_EQ(reconnect_policy::on_signal_lost(connected()), Recovery::kResume);
  auto no_resume = connected();
  no_resume.resume_disabled = true;
  EXPECT_EQ(reconnect_policy::on_signal_lost(no_resume), Recovery::kFullRejoin);
  auto resuming = connected();
  resuming.reconnecting = true;
  EXPECT_EQ(reconnect_policy::on_signal_lost(resuming), Recovery::kNone) << "one resume at a time";
}

TEST(ReconnectPolicy, ARefusedResumeRejoinsInFullAndAFailedRejoinTriesAgain) {
  auto resuming = connected();
  resuming.reconnecting = true;
  EXPECT_EQ(reconnect_policy::on_connect_failed(resuming), Recovery::kFullRejoin);
  auto rejoining = connected();
  rejoining.rejoining = true;
  EXPECT_EQ(reconnect_policy::on_connect_failed(rejoining), Recovery::kRetryRejoin);
  EXPECT_EQ(reconnect_policy::on_connect_failed(connected()), Recovery::kNone);
}

TEST(ReconnectPolicy, FailedMediaRejoinsOnceAndTheServersLeaveIsObeyed) {
  EXPECT_EQ(reconnect_policy::on_media_failed(connected()), Recovery::kFullRejoin);
  auto rejoining = connected();
  rejoining.rejoining = true;
  EXPECT_EQ(reconnect_policy::on_media_failed(rejoining), Recovery::kNone);
  EXPECT_EQ(reconnect_policy::on_server_leave(connected(), lk::LeaveRequest::RESUME), Recovery::kResume);
  EXPECT_EQ(reconnect_policy::on_server_leave(connected(), lk::LeaveRequest::RECONNECT), Recovery::kFullRejoin);
  EXPECT_EQ(reconnect_policy::on_server_leave(connected(), lk::LeaveRequest::DISCONNECT), Recovery::kDisconnect);
}

TEST(ReconnectPolicy, AClosedRoomDoesNothing) {
  auto closed = connected();
  closed.closed = true;
  EXPECT_EQ(reconnect_policy::on_signal_lost(closed), Recovery::kNone);
  EXPECT_EQ(reconnect_policy::on_connect_failed(closed), Recovery::kNone);
  EXPECT_EQ(reconnect_policy::on_media_failed(closed), Recovery::kNone);
  EXPECT_EQ(reconnect_policy::on_server_leave(closed, lk::LeaveRequest::DISCONNECT), Recovery::kNone);
}

TEST(TextStreamWriter, ChunksNeverCutAUtf8Sequence) {
  std::string text;
  for (int i = 0; i < 10'000; ++i) text += "й€";  // 2- and 3-byte sequences
  auto chunks = text_stream::utf8_chunks(text, text_stream::kChunkBytes);
  ASSERT_GT(chunks.size(), 1u);
  std::string joined;
  for (const auto& c : chunks) {
    EXPECT_LE(c.size(), text_stream::kChunkBytes);
    EXPECT_NE(static_cast<unsigned char>(c.front()) & 0xC0, 0x80) << "a chunk starts inside a sequence";
    joined += c;
  }
  EXPECT_EQ(joined, text);
}

TEST(TextStreamWriter, WhatItWritesTheReaderReadsBack) {
  std::vector<std::string> sent;
  auto send = [&](std::vector<std::string> packets) -> Status {
    for (auto& p : packets) sent.push_back(std::move(p));
    return {};
  };
  sent.push_back(text_stream::header("TS_1", "lk.transcription", {{"lk.segment_id", "s1"}, {"lk.transcription_final", "false"}},
                                     {}, "caller", std::nullopt));
  {
    auto w = text_stream::make_writer(send, "TS_1", {});
    ASSERT_TRUE(w->write("Hello, "));
    ASSERT_TRUE(w->write(std::string(20'000, 'x')));  // two chunks
    ASSERT_TRUE(w->close({{"lk.transcription_final", "true"}}));
    EXPECT_FALSE(w->write("late")) << "a closed stream takes no more text";
  }
  TextStreamReader reader;
  std::optional<TextStream> done;
  for (const auto& bytes : sent) {
    lk::DataPacket p;
    ASSERT_TRUE(p.ParseFromString(bytes));
    p.set_participant_identity("caller");
    if (auto s = reader.on_packet(p)) done = s;
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(done->topic, "lk.transcription");
  EXPECT_EQ(done->text, "Hello, " + std::string(20'000, 'x'));
  EXPECT_EQ(done->attributes["lk.segment_id"], "s1");
  EXPECT_EQ(done->attributes["lk.transcription_final"], "true") << "the trailer's attributes win";
}

TEST(TextStreamWriter, DroppingAnOpenWriterClosesItAndAGoneRoomIsAnError) {
  int trailers = 0;
  {
    auto w = text_stream::make_writer(
        [&](std::vector<std::string> packets) -> Status {
          for (auto& bytes : packets) {
            lk::DataPacket p;
            if (p.ParseFromString(bytes) && p.has_stream_trailer()) ++trailers;
          }
          return {};
        },
        "TS_2", {});
  }
  EXPECT_EQ(trailers, 1);
  auto gone = text_stream::make_writer(
      [](std::vector<std::string>) -> Status { return make_error(ErrorCode::kUnavailable, "the room is gone", true); },
      "TS_3", {});
  auto s = gone->write("hi");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
}

lk::ParticipantInfo info(const std::string& sid, const std::string& identity,
                         lk::ParticipantInfo::State state = lk::ParticipantInfo::ACTIVE) {
  lk::ParticipantInfo p;
  p.set_sid(sid);
  p.set_identity(identity);
  p.set_state(state);
  p.set_kind(lk::ParticipantInfo::SIP);
  return p;
}

TEST(Participants, JoinUpdateAndLeaveAreTold) {
  Participants list;
  list.joined(info("PA_me", "agent"), "room-1");
  EXPECT_EQ(list.room_name(), "room-1");
  EXPECT_TRUE(list.is_local("PA_me"));

  auto first = list.update(info("PA_1", "caller"));
  EXPECT_FALSE(first.known);
  EXPECT_FALSE(first.left);
  EXPECT_EQ(first.info.kind, ParticipantKind::kSip);
  EXPECT_EQ(list.identity_of("PA_1"), "caller");
  EXPECT_TRUE(list.update(info("PA_1", "caller")).known);
  ASSERT_EQ(list.remotes().size(), 1u);

  auto gone = list.update(info("PA_1", "caller", lk::ParticipantInfo::DISCONNECTED));
  EXPECT_TRUE(gone.left);
  EXPECT_TRUE(gone.known);
  EXPECT_TRUE(list.remotes().empty());
  EXPECT_FALSE(list.identity_of("PA_1"));
  EXPECT_FALSE(list.update(info("PA_2", "never-seen", lk::ParticipantInfo::DISCONNECTED)).known);
}

}  // namespace
}  // namespace parley::livekit
