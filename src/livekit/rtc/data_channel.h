// WebRTC data channels (RFC 8831) with the DCEP open/ack handshake (RFC 8832) over one
// SctpTransport. Stream ids: the DTLS client uses even ids, the DTLS server odd ones (RFC 8832 §6).
// LiveKit's labels: `_reliable` (ordered, reliable) and `_lossy` (unordered, maxRetransmits 0).
//
// Thread: the owning PeerConnection's loop.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/glib_loop.h"
#include "core/log.h"
#include "livekit/rtc/sctp_transport.h"

namespace parley::rtc {

// PPIDs (RFC 8831 §8, RFC 8832 §8.1).
inline constexpr uint32_t kPpidDcep = 50;
inline constexpr uint32_t kPpidString = 51;
inline constexpr uint32_t kPpidBinary = 53;
inline constexpr uint32_t kPpidStringEmpty = 56;
inline constexpr uint32_t kPpidBinaryEmpty = 57;

struct DcepOpen {
  uint8_t channel_type = 0;  // 0x00 reliable, 0x80 unordered, 0x01/0x81 rexmit, 0x02/0x82 timed
  uint16_t priority = 0;
  uint32_t reliability = 0;
  std::string label;
  std::string protocol;

  bool ordered() const { return (channel_type & 0x80) == 0; }
  std::optional<int> max_retransmits() const;
};

std::vector<uint8_t> encode_dcep_open(const DcepOpen& open);
// DATA_CHANNEL_OPEN (0x03) → value; DATA_CHANNEL_ACK (0x02) → nullopt; anything else → Error.
Result<std::optional<DcepOpen>> parse_dcep(std::span<const uint8_t> message);

class DataChannels {
 public:
  struct Callbacks {
    std::function<void(const std::string& label)> on_open;
    std::function<void(const std::string& label)> on_close;
    std::function<void(const std::string& label, std::span<const uint8_t>, bool binary)> on_message;
    std::function<void(const Error&)> on_failed;
  };

  DataChannels(GlibLoop& loop, Callbacks callbacks, log::Logger logger = log::root());
  ~DataChannels();

  // Once DTLS is up: starts SCTP. `send` carries SCTP packets into DTLS.
  Status start(bool dtls_client, uint16_t remote_port, std::function<Status(std::span<const uint8_t>)> send);
  void receive(std::span<const uint8_t> sctp_packet);
  // Opens now if SCTP is up, else when it comes up.
  Status open(const std::string& label, bool ordered, std::optional<int> max_retransmits);
  Status send(const std::string& label, std::span<const uint8_t> data, bool binary);
  bool is_open(const std::string& label) const;
  void close();

 private:
  log::Logger log_;  // the call's (PeerConfig::logger)
  struct Channel {
    std::string label;
    bool ordered = true;
    std::optional<int> max_retransmits;
    bool open = false;
  };
  void on_sctp_connected();
  void on_sctp_message(uint16_t stream, uint32_t ppid, std::span<const uint8_t> data);
  Status open_now(const Channel& channel);
  Channel* find(const std::string& label);

  GlibLoop& loop_;
  Callbacks callbacks_;
  std::unique_ptr<SctpTransport> sctp_;
  bool dtls_client_ = true;
  uint16_t next_stream_ = 0;
  std::vector<Channel> pending_;
  std::map<uint16_t, Channel> channels_;
};

}  // namespace parley::rtc
