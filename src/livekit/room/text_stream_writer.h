// Writes LiveKit text streams (livekit-protocol.md §3): the data packets of a stream (a header,
// chunks of at most 15 000 bytes cut on UTF-8 boundaries, a trailer whose attributes are merged
// over the header's), and the TextStreamWriter of room.h over a function that sends packets.
// The reading side is text_stream_reader.h.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "livekit/room/room.h"

namespace parley::livekit::text_stream {

constexpr size_t kChunkBytes = 15'000;  // what the SDKs chunk text streams at

// Splits text into pieces of at most max bytes without cutting a UTF-8 sequence.
std::vector<std::string> utf8_chunks(const std::string& text, size_t max);

// The serialized DataPackets (any thread).
std::string header(const std::string& id, const std::string& topic, const std::map<std::string, std::string>& attributes,
                   const std::vector<std::string>& destinations, const std::string& sender_identity,
                   std::optional<uint64_t> total_length);
// Appends the chunks of `text`, numbering them from `index` on (which it advances).
void append_chunks(std::vector<std::string>& packets, const std::string& id, const std::string& text,
                   const std::vector<std::string>& destinations, uint64_t& index);
std::string trailer(const std::string& id, const std::map<std::string, std::string>& attributes,
                    const std::vector<std::string>& destinations);

// Hands packets to the room (fire-and-forget) or says why it cannot (the room is gone).
using PacketSender = std::function<Status(std::vector<std::string> packets)>;

// An open stream whose header went out already: each write() sends its chunks at once, close()
// (or destruction) the trailer. Thread-safe.
std::unique_ptr<TextStreamWriter> make_writer(PacketSender send, std::string id, std::vector<std::string> destinations);

}  // namespace parley::livekit::text_stream
