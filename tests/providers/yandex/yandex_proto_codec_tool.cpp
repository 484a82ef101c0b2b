// The bridge between parley's Yandex SpeechKit protobuf classes and yandex_proto_compat_test.py,
// which holds Yandex's published definitions (see support/proto_codec.h for the commands).
#include "providers/yandex_proto/yandex_stt.pb.h"
#include "providers/yandex_proto/yandex_tts.pb.h"
#include "support/proto_codec.h"

int main(int argc, char** argv) {
  return parley::testing::proto_codec_main(argc, argv, {speechkit::stt::v3::StreamingRequest::descriptor()->file(),
                                                  speechkit::tts::v3::UtteranceSynthesisRequest::descriptor()->file()});
}
