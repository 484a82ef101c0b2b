// The bridge between parley's LiveKit protobuf classes and proto_compat_test.py, which holds
// LiveKit's official definitions (see support/proto_codec.h for the commands).
#include "livekit/proto/livekit_agent.pb.h"
#include "livekit/proto/livekit_rtc.pb.h"
#include "livekit/proto/livekit_sip.pb.h"
#include "support/proto_codec.h"

int main(int argc, char** argv) {
  return parley::testing::proto_codec_main(argc, argv,
                                           {livekit::SignalRequest::descriptor()->file(),
                                            livekit::SIPDispatchRuleInfo::descriptor()->file(),
                                            livekit::WorkerMessage::descriptor()->file()});
}
