#include "livekit/room/text_stream_reader.h"

namespace parley::livekit {

void TextStreamReader::clear() {
  for (auto& [id, o] : open_) {
    std::fill(o.stream.text.begin(), o.stream.text.end(), '\0');
  }
  open_.clear();
}

void TextStreamReader::expire(std::chrono::steady_clock::time_point now) {
  for (auto it = open_.begin(); it != open_.end();) {
    if (now - it->second.last > limits_.idle_timeout) {
      ++dropped_;
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<TextStream> TextStreamReader::on_packet(const ::livekit::DataPacket& p,
                                                      std::chrono::steady_clock::time_point now) {
  expire(now);
  if (p.has_stream_header()) {
    const auto& h = p.stream_header();
    if (!h.has_text_header() || h.stream_id().empty()) return std::nullopt;
    TextStream s;
    s.stream_id = h.stream_id();
    s.topic = h.topic();
    s.sender_identity = p.participant_identity();
    s.timestamp_ms = h.timestamp();
    s.attributes.insert(h.attributes().begin(), h.attributes().end());
    if (h.has_inline_content()) {
      if (h.inline_content().size() > limits_.max_bytes) {
        ++dropped_;
        return std::nullopt;
      }
      s.text = h.inline_content();
      return s;
    }
    if (open_.size() >= limits_.max_streams && !open_.count(s.stream_id)) {
      ++dropped_;
      return std::nullopt;
    }
    Open& o = open_[s.stream_id];
    o = Open{};
    o.stream = std::move(s);
    o.last = now;
    return std::nullopt;
  }
  if (p.has_stream_chunk()) {
    const auto& c = p.stream_chunk();
    auto it = open_.find(c.stream_id());
    if (it == open_.end()) return std::nullopt;
    Open& o = it->second;
    o.last = now;
    size_t pending = o.stream.text.size() + c.content().size();
    for (const auto& [i, b] : o.out_of_order) pending += b.size();
    if (pending > limits_.max_bytes || o.out_of_order.size() > 256) {
      ++dropped_;
      open_.erase(it);
      return std::nullopt;
    }
    if (c.chunk_index() < o.next_chunk) return std::nullopt;  // duplicate
    o.out_of_order[c.chunk_index()] = c.content();
    for (auto n = o.out_of_order.find(o.next_chunk); n != o.out_of_order.end(); n = o.out_of_order.find(o.next_chunk)) {
      o.stream.text += n->second;
      o.out_of_order.erase(n);
      ++o.next_chunk;
    }
    return std::nullopt;
  }
  if (p.has_stream_trailer()) {
    const auto& t = p.stream_trailer();
    auto it = open_.find(t.stream_id());
    if (it == open_.end()) return std::nullopt;
    TextStream s = std::move(it->second.stream);
    for (auto& [i, b] : it->second.out_of_order) s.text += b;  // a gap: keep what arrived
    open_.erase(it);
    for (const auto& [k, v] : t.attributes()) s.attributes[k] = v;
    s.abort_reason = t.reason();
    return s;
  }
  return std::nullopt;
}

}  // namespace parley::livekit
