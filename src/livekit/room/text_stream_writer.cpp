#include "livekit/room/text_stream_writer.h"

#include <chrono>
#include <mutex>

#include "livekit/proto/livekit_models.pb.h"

namespace parley::livekit::text_stream {

namespace lk = ::livekit;

std::vector<std::string> utf8_chunks(const std::string& text, size_t max) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = std::min(text.size(), pos + max);
    while (end < text.size() && end > pos && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (end == pos) end = std::min(text.size(), pos + max);
    out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::string header(const std::string& id, const std::string& topic, const std::map<std::string, std::string>& attributes,
                   const std::vector<std::string>& destinations, const std::string& sender_identity,
                   std::optional<uint64_t> total_length) {
  lk::DataPacket h;
  for (auto& d : destinations) h.add_destination_identities(d);
  if (!sender_identity.empty()) h.set_participant_identity(sender_identity);
  auto* hdr = h.mutable_stream_header();
  hdr->set_stream_id(id);
  hdr->set_timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count());
  hdr->set_topic(topic);
  hdr->set_mime_type("text/plain");
  if (total_length) hdr->set_total_length(*total_length);
  hdr->mutable_text_header()->set_operation_type(lk::DataStream::CREATE);
  for (auto& [k, v] : attributes) (*hdr->mutable_attributes())[k] = v;
  return h.SerializeAsString();
}

void append_chunks(std::vector<std::string>& packets, const std::string& id, const std::string& text,
                   const std::vector<std::string>& destinations, uint64_t& index) {
  for (auto& piece : utf8_chunks(text, kChunkBytes)) {
    lk::DataPacket c;
    for (auto& d : destinations) c.add_destination_identities(d);
    c.mutable_stream_chunk()->set_stream_id(id);
    c.mutable_stream_chunk()->set_chunk_index(index++);
    c.mutable_stream_chunk()->set_content(piece);
    packets.push_back(c.SerializeAsString());
  }
}

std::string trailer(const std::string& id, const std::map<std::string, std::string>& attributes,
                    const std::vector<std::string>& destinations) {
  lk::DataPacket t;
  for (auto& d : destinations) t.add_destination_identities(d);
  t.mutable_stream_trailer()->set_stream_id(id);
  for (auto& [k, v] : attributes) (*t.mutable_stream_trailer()->mutable_attributes())[k] = v;
  return t.SerializeAsString();
}

namespace {

class Writer final : public TextStreamWriter {
 public:
  Writer(PacketSender send, std::string id, std::vector<std::string> destinations)
      : send_(std::move(send)), id_(std::move(id)), destinations_(std::move(destinations)) {}
  ~Writer() override { (void)close({}); }
  Status write(const std::string& text) override {
    std::lock_guard l(mutex_);
    if (closed_) return make_error(ErrorCode::kInvalidArgument, "the text stream is closed");
    if (text.empty()) return {};
    std::vector<std::string> packets;
    append_chunks(packets, id_, text, destinations_, index_);
    return send_(std::move(packets));
  }
  Status close(std::map<std::string, std::string> trailer_attributes) override {
    std::lock_guard l(mutex_);
    if (closed_) return {};
    closed_ = true;
    return send_({trailer(id_, trailer_attributes, destinations_)});
  }
  const std::string& id() const override { return id_; }

 private:
  PacketSender send_;
  std::string id_;
  std::vector<std::string> destinations_;
  std::mutex mutex_;
  uint64_t index_ = 0;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<TextStreamWriter> make_writer(PacketSender send, std::string id, std::vector<std::string> destinations) {
  return std::make_unique<Writer>(std::move(send), std::move(id), std::move(destinations));
}

}  // namespace parley::livekit::text_stream
