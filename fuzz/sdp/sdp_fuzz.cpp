// SDP parser, remote-description reader, answer writer and ICE candidate parser on arbitrary
// bytes: every input is either rejected with an Error or yields SDP that parses again.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "livekit/rtc/ice_candidate.h"
#include "livekit/rtc/negotiation.h"
#include "livekit/rtc/peer_connection.h"
#include "livekit/rtc/sdp.h"

using namespace parley::rtc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_ice_candidate(text);
  (void)IceCandidateInit::from_json(text);
  auto sdp = sdp::parse(text);
  if (!sdp) return 0;
  if (!sdp::parse(sdp::write(*sdp))) abort();  // what we write must parse
  for (bool offer : {true, false}) {
    auto remote = read_remote_description(*sdp, offer);
    if (!remote) continue;
    for (const auto& c : remote->candidates) (void)parse_ice_candidate(c);
    if (offer) {
      LocalTransport t;
      t.ice_ufrag = "abcd";
      t.ice_pwd = "0123456789abcdefghijklmn";
      t.fingerprint.algorithm = "sha-256";
      t.fingerprint.digest.assign(32, 1);
      t.setup = DtlsSetup::kActive;
      auto answer = sdp::parse(build_answer(t, *remote, {1, 1}));
      if (!answer) abort();
    }
  }
  return 0;
}
