// The verdict on a test call: what the phone saw (SIP answers, RTP) and what the server API
// showed (room, participants), turned into the steps of a call with their times and, at the
// first step not reached, the cause and its fix. A pure function of its inputs, so every
// failure's wording is unit-tested without a stack.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "diagnose/room_watch.h"
#include "diagnose/sip_phone.h"
#include "livekit/api/api_types.h"

namespace parley::diagnose {

// What the server API says about the SIP setup, to name the cause precisely.
struct CallFacts {
  std::string sip_address;  // where the INVITE went, host:port
  std::string number;       // called
  std::string caller;       // From
  std::string source_ip;    // the address the INVITE came from
  bool had_credentials = false;
  std::string agent_name;      // parley's agent.agent_name
  std::string agent_identity;  // parley's agent.identity
  double answer_timeout = 20;  // seconds the call was given to be answered
  // nullopt when the SIP service could not be listed (then sip_api_error says why)
  std::optional<std::vector<livekit::SipInboundTrunk>> trunks;
  std::optional<std::vector<livekit::SipDispatchRule>> rules;
  std::string sip_api_error;
};

struct CallStep {
  std::string step;   // stable id: sip_answer, room, sip_participant, agent, answered, greeting, bye
  std::string title;  // "SIP answer (100/180)"
  bool reached = false;
  std::optional<double> at;  // seconds since the INVITE
  std::string detail;
};

struct CallVerdict {
  std::vector<CallStep> steps;
  bool ok = false;
  std::string failed_step;  // the first step not reached ("" when ok)
  std::string cause, fix;
  std::string call_id, room;
  nlohmann::ordered_json to_json() const;
  std::string to_text() const;
  std::string summary() const;  // one line: "answered in 1.2 s, greeting 2.1 s at -24 dBFS, ..."
};

CallVerdict judge_call(const PhoneState& phone, const RoomObservation& room, const CallFacts& facts);

// Whether trunk t takes calls to number (listed, compared normalised, as livekit-server does).
bool trunk_lists_number(const livekit::SipInboundTrunk& t, const std::string& number);

// The fix when nothing answers SIP at `where` (host:port): shared by the sip_bridge check and
// the test call.
std::string bridge_not_running_fix(const std::string& where);

// E.164-ish comparison the way the bridge matches trunk numbers: digits and a leading '+'.
std::string normalize_number(const std::string& number);
// Whether ip (dotted IPv4) is inside one of the entries (an address, or address/prefix).
bool address_allowed(const std::string& ip, const std::vector<std::string>& allowed);

}  // namespace parley::diagnose
