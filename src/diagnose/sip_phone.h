// A SIP phone for diagnose's test call, built on libre (the SIP library under baresip, from
// Debian's libre-dev): it places one call over UDP offering PCMU, sends silence so the far end
// sees media, measures the audio it receives, and hangs up. libre stays inside sip_phone.cpp;
// this header is plain C++.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace parley::diagnose {

struct PhoneOptions {
  std::string host;   // numeric IPv4 address of the SIP server (the bridge)
  uint16_t port = 5060;
  std::string to;     // the called number: the request-URI's user part
  std::string from;   // the caller's number: the From user part
  std::string username, password;  // digest credentials for a trunk with auth; empty: none
};

struct SipResponse {
  int code = 0;
  std::string reason;
  double at = 0;  // seconds since the INVITE was sent
};

// Audio received over RTP, decoded from G.711 µ-law and measured per packet (20 ms).
struct ReceivedAudio {
  std::optional<double> first_packet;  // seconds since the INVITE
  std::optional<double> first_voice;   // first packet louder than kVoiceDbfs
  std::optional<double> last_voice;
  int packets = 0, voiced_packets = 0;
  double peak_dbfs = -120;     // loudest packet's RMS level
  double voiced_sum_dbfs = 0;  // for the mean level of the voiced packets
  double voiced_seconds() const { return voiced_packets * 0.02; }
  double voiced_mean_dbfs() const { return voiced_packets ? voiced_sum_dbfs / voiced_packets : -120; }
};

// A packet at least this loud counts as speech: a silent room reaches the phone as digital
// silence (about -100 dBFS after µ-law), synthetic speech sits around -20 to -35 dBFS.
inline constexpr double kVoiceDbfs = -50;

struct PhoneState {
  std::string call_id;        // the INVITE's Call-ID
  std::string local_address;  // ip:port the INVITE was sent from
  double now = 0;             // seconds since the INVITE, when this state was taken
  std::vector<SipResponse> provisional;  // every 1xx, in order
  std::optional<SipResponse> final;      // the INVITE's final answer (2xx or an error)
  std::string error;                     // a local failure (socket, timeout), with its text
  bool sent_credentials = false;         // a digest answer to 401/407 was sent
  ReceivedAudio audio;
  std::optional<double> bye_received;  // the far end hung up
  std::optional<double> hangup_sent;   // we sent BYE (answered) or CANCEL (ringing)
  std::optional<SipResponse> bye_answer;
  bool answered() const { return final && final->code >= 200 && final->code < 300; }
};

enum class PhoneAction { kContinue, kHangUp };

// Places the call and runs libre's loop on this thread until the call ends: a final error
// answer, a BYE from the far end, or `tick` (called every tick_interval with the state so far)
// asking to hang up — then BYE once answered, CANCEL while ringing, and a short wait for the
// BYE's answer. Errors only for what prevents placing a call at all (bad address, no socket).
Result<PhoneState> place_call(const PhoneOptions& options, std::chrono::milliseconds tick_interval,
                              const std::function<PhoneAction(const PhoneState&)>& tick);

// Sends SIP OPTIONS over UDP and waits up to `timeout` for an answer (libre retransmits).
// The error says "no answer" when nothing answered in time.
Result<SipResponse> sip_options(const std::string& host, uint16_t port, std::chrono::milliseconds timeout);

// host:port (port defaults to 5060), the host resolved to a numeric IPv4 address.
struct SipAddress {
  std::string host;  // as written
  std::string ip;    // resolved
  uint16_t port = 5060;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};
Result<SipAddress> resolve_sip_address(const std::string& text);

}  // namespace parley::diagnose
