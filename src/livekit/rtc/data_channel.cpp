#include "livekit/rtc/data_channel.h"

#include "core/log.h"
#include "livekit/rtc/negotiation.h"

namespace parley::rtc {

namespace {
constexpr uint8_t kDcepOpen = 0x03;
constexpr uint8_t kDcepAck = 0x02;
Error bad(const std::string& what) { return Error(ErrorCode::kProtocol, "DCEP: " + what); }
}  // namespace

std::optional<int> DcepOpen::max_retransmits() const {
  if ((channel_type & 0x7f) == 0x01) return static_cast<int>(std::min<uint32_t>(reliability, 0x7fffffff));
  return std::nullopt;
}

std::vector<uint8_t> encode_dcep_open(const DcepOpen& o) {
  std::vector<uint8_t> out = {kDcepOpen, o.channel_type, static_cast<uint8_t>(o.priority >> 8),
                              static_cast<uint8_t>(o.priority)};
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(o.reliability >> s));
  const size_t ll = std::min<size_t>(o.label.size(), 0xffff), pl = std::min<size_t>(o.protocol.size(), 0xffff);
  out.push_back(static_cast<uint8_t>(ll >> 8));
  out.push_back(static_cast<uint8_t>(ll));
  out.push_back(static_cast<uint8_t>(pl >> 8));
  out.push_back(static_cast<uint8_t>(pl));
  out.insert(out.end(), o.label.begin(), o.label.begin() + static_cast<long>(ll));
  out.insert(out.end(), o.protocol.begin(), o.protocol.begin() + static_cast<long>(pl));
  return out;
}

Result<std::optional<DcepOpen>> parse_dcep(std::span<const uint8_t> m) {
  if (m.empty()) return tl::unexpected(bad("empty message"));
  if (m[0] == kDcepAck) return std::optional<DcepOpen>();
  if (m[0] != kDcepOpen) return tl::unexpected(bad("unknown message type " + std::to_string(m[0])));
  if (m.size() < 12) return tl::unexpected(bad("OPEN shorter than 12 bytes"));
  DcepOpen o;
  o.channel_type = m[1];
  const uint8_t kind = o.channel_type & 0x7f;
  if (kind > 0x02) return tl::unexpected(bad("unknown channel type " + std::to_string(o.channel_type)));
  o.priority = static_cast<uint16_t>(m[2] << 8 | m[3]);
  o.reliability = static_cast<uint32_t>(m[4]) << 24 | static_cast<uint32_t>(m[5]) << 16 |
                  static_cast<uint32_t>(m[6]) << 8 | m[7];
  const size_t ll = static_cast<size_t>(m[8] << 8 | m[9]), pl = static_cast<size_t>(m[10] << 8 | m[11]);
  if (12 + ll + pl != m.size()) return tl::unexpected(bad("OPEN label/protocol lengths do not match the message"));
  o.label.assign(reinterpret_cast<const char*>(&m[12]), ll);
  o.protocol.assign(reinterpret_cast<const char*>(&m[12 + ll]), pl);
  return std::optional<DcepOpen>(std::move(o));
}

DataChannels::DataChannels(GlibLoop& loop, Callbacks callbacks, log::Logger logger)
    : log_(std::move(logger)), loop_(loop), callbacks_(std::move(callbacks)) {}

DataChannels::~DataChannels() { close(); }

Status DataChannels::start(bool dtls_client, uint16_t remote_port, std::function<Status(std::span<const uint8_t>)> send) {
  if (sctp_) return {};
  dtls_client_ = dtls_client;
  next_stream_ = dtls_client ? 0 : 1;
  SctpTransport::Callbacks cb;
  cb.send = std::move(send);
  cb.on_connected = [this] { on_sctp_connected(); };
  cb.on_failed = [this](const Error& e) {
    if (callbacks_.on_failed) callbacks_.on_failed(e);
  };
  cb.on_message = [this](uint16_t stream, uint32_t ppid, std::span<const uint8_t> data) {
    on_sctp_message(stream, ppid, data);
  };
  cb.on_stream_reset = [this](uint16_t stream) {
    auto it = channels_.find(stream);
    if (it == channels_.end()) return;
    std::string label = it->second.label;
    if (sctp_) sctp_->reset_stream(stream);  // close our side too (RFC 8831 6.7)
    channels_.erase(it);
    if (callbacks_.on_close) callbacks_.on_close(label);
  };
  auto t = SctpTransport::create(loop_, kSctpPort, remote_port, std::move(cb), log_);
  if (!t) return tl::unexpected(t.error());
  sctp_ = std::move(*t);
  return sctp_->connect();
}

void DataChannels::receive(std::span<const uint8_t> packet) {
  if (sctp_) sctp_->receive(packet);
}

Status DataChannels::open(const std::string& label, bool ordered, std::optional<int> max_retransmits) {
  if (label.empty() || label.size() > 1024) return make_error(ErrorCode::kInvalidArgument, "data channel label must be 1..1024 bytes");
  if (max_retransmits && *max_retransmits < 0) return make_error(ErrorCode::kInvalidArgument, "max_retransmits must be >= 0");
  if (find(label) != nullptr) return make_error(ErrorCode::kAlreadyExists, "data channel '" + label + "' exists");
  for (const auto& p : pending_) {
    if (p.label == label) return make_error(ErrorCode::kAlreadyExists, "data channel '" + label + "' exists");
  }
  Channel c{label, ordered, max_retransmits, false};
  if (sctp_ && sctp_->connected()) return open_now(c);
  pending_.push_back(std::move(c));
  return {};
}

Status DataChannels::open_now(const Channel& c) {
  if (next_stream_ >= SctpTransport::kMaxStreams) return make_error(ErrorCode::kResourceExhausted, "no free SCTP stream");
  const uint16_t sid = next_stream_;
  next_stream_ += 2;
  DcepOpen o;
  o.channel_type = static_cast<uint8_t>((c.ordered ? 0x00 : 0x80) | (c.max_retransmits ? 0x01 : 0x00));
  o.reliability = c.max_retransmits ? static_cast<uint32_t>(*c.max_retransmits) : 0;
  o.label = c.label;
  // DCEP messages are always reliable and ordered (RFC 8832 §6).
  if (auto s = sctp_->send(sid, kPpidDcep, encode_dcep_open(o), true, std::nullopt); !s) return s;
  Channel opened = c;
  opened.open = true;  // RFC 8832 §6: data may follow the OPEN before the ACK arrives
  channels_[sid] = opened;
  if (callbacks_.on_open) callbacks_.on_open(c.label);
  return {};
}

void DataChannels::on_sctp_connected() {
  auto pending = std::move(pending_);
  pending_.clear();
  for (const auto& c : pending) {
    if (auto s = open_now(c); !s) log_.warn("data channel open failed", {{"label", c.label}, {"error", s.error().to_string()}});
  }
}

void DataChannels::on_sctp_message(uint16_t stream, uint32_t ppid, std::span<const uint8_t> data) {
  if (ppid == kPpidDcep) {
    auto msg = parse_dcep(data);
    if (!msg) {
      log_.debug("dcep: dropped", {{"error", msg.error().to_string()}});
      return;
    }
    if (!*msg) return;  // ACK
    if (channels_.count(stream)) {
      log_.debug("dcep: OPEN for a stream in use", {{"stream", stream}});
      return;
    }
    const DcepOpen& o = **msg;
    channels_[stream] = Channel{o.label, o.ordered(), o.max_retransmits(), true};
    const uint8_t ack[] = {kDcepAck};
    (void)sctp_->send(stream, kPpidDcep, ack, true, std::nullopt);
    if (callbacks_.on_open) callbacks_.on_open(o.label);
    return;
  }
  auto it = channels_.find(stream);
  if (it == channels_.end()) return;
  const bool binary = ppid == kPpidBinary || ppid == kPpidBinaryEmpty;
  const bool empty = ppid == kPpidBinaryEmpty || ppid == kPpidStringEmpty;
  if (!binary && ppid != kPpidString && ppid != kPpidStringEmpty) return;  // deprecated PPIDs
  if (callbacks_.on_message) {
    callbacks_.on_message(it->second.label, empty ? std::span<const uint8_t>() : data, binary);
  }
}

DataChannels::Channel* DataChannels::find(const std::string& label) {
  for (auto& [sid, c] : channels_) {
    if (c.label == label) return &c;
  }
  return nullptr;
}

bool DataChannels::is_open(const std::string& label) const {
  for (const auto& [sid, c] : channels_) {
    if (c.label == label && c.open) return true;
  }
  return false;
}

Status DataChannels::send(const std::string& label, std::span<const uint8_t> data, bool binary) {
  for (auto& [sid, c] : channels_) {
    if (c.label != label || !c.open) continue;
    if (data.empty()) {
      const uint8_t zero[] = {0};
      return sctp_->send(sid, binary ? kPpidBinaryEmpty : kPpidStringEmpty, zero, c.ordered, c.max_retransmits);
    }
    return sctp_->send(sid, binary ? kPpidBinary : kPpidString, data, c.ordered, c.max_retransmits);
  }
  return make_error(ErrorCode::kUnavailable, "data channel '" + label + "' is not open", true);
}

void DataChannels::close() {
  if (sctp_) sctp_->close();
  channels_.clear();
  pending_.clear();
}

}  // namespace parley::rtc
